"""Meta's template webhooks: review results, pauses and category changes reach the
stored templates, each org only its own."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import APP_SECRET
from tests.support import (
    give_credentials,
    payload,
    payload_json,
    post_webhook,
    setup_whatsapp,
    text_message,
)
from wfb.campaigns.models import Campaign
from wfb.conversations.models import Message
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate
from wfb.webhooks.models import WebhookEvent

pytestmark = pytest.mark.usefixtures("app")

WABA_ID = "100000000000001"
TEMPLATES = (
    payload_json("templates_list_page1.json")["data"]
    + payload_json("templates_list_page2.json")["data"]
)


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin, graph):
    """Org A with the example templates synced from Meta."""
    org = setup_whatsapp(admin)
    graph.add_templates(WABA_ID, copy.deepcopy(TEMPLATES))
    assert admin.get("/templates").status_code == 200
    return org


def template(name: str, language: str = "en_US") -> MessageTemplate:
    db.session.expire_all()
    return db.session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.name == name, MessageTemplate.language == language
        )
    )


def status_update(
    event: str, name="festive_offer", template_id=1700000000000002, **extra
):
    body = payload_json("webhook_template_status_update.json")
    value = body["entry"][0]["changes"][0]["value"]
    value.update(
        event=event,
        message_template_id=template_id,
        message_template_name=name,
        **extra,
    )
    return body


def send(client, org, body):
    response = post_webhook(client, body, org.secret, org.path)
    assert response.status_code == 200
    db.session.expire_all()
    event = db.session.scalars(
        select(WebhookEvent).order_by(WebhookEvent.id.desc())
    ).first()
    assert event.error is None
    assert event.processed_at is not None


def test_approved_webhook_approves_the_stored_template(client, org):
    db.session.execute(
        MessageTemplate.__table__.update().values(status="PENDING", reason="old")
    )
    db.session.commit()

    response = post_webhook(
        client, payload("webhook_template_status_update.json"), org.secret, org.path
    )

    assert response.status_code == 200
    reminder = template("appointment_reminder")
    assert (reminder.status, reminder.reason) == ("APPROVED", None)
    assert template("appointment_reminder", "hi").status == "PENDING"


def test_rejected_webhook_keeps_metas_reason_and_recommendation(client, org):
    send(client, org, payload_json("webhook_template_status_rejected.json"))

    offer = template("festive_offer")
    assert offer.status == "REJECTED"
    assert offer.reason == (
        "INVALID_FORMAT: The template has two variables next to each other "
        "({{1}}{{2}}) with no text between them. Put descriptive text between "
        "variables."
    )


def test_paused_webhook_keeps_the_pause_title_and_description(client, org):
    body = status_update(
        "PAUSED",
        name="appointment_reminder",
        template_id=1700000000000001,
        reason=None,
        other_info={
            "title": "FIRST_PAUSE",
            "description": "Paused for 3 hours after negative feedback.",
        },
    )

    send(client, org, body)

    reminder = template("appointment_reminder")
    assert reminder.status == "PAUSED"
    assert reminder.reason == (
        "FIRST_PAUSE: Paused for 3 hours after negative feedback."
    )


def test_webhook_finds_the_template_by_metas_id_before_its_name(client, org):
    body = status_update(
        "DISABLED", name="renamed_elsewhere", template_id=1700000000000004
    )
    body["entry"][0]["changes"][0]["value"]["message_template_language"] = "en_US"

    send(client, org, body)

    assert template("appointment_reminder", "hi").status == "DISABLED"
    assert template("appointment_reminder").status == "APPROVED"


def test_hyphenated_language_of_the_webhook_reference_is_accepted(client, org):
    body = status_update("REJECTED", template_id=999)
    body["entry"][0]["changes"][0]["value"]["message_template_language"] = "en-US"

    send(client, org, body)

    assert template("festive_offer").status == "REJECTED"


def test_deleted_webhook_marks_the_template_gone(client, org):
    send(client, org, status_update("DELETED", reason=None))

    offer = template("festive_offer")
    assert (offer.status, offer.gone) == ("DELETED", True)


def test_reinstated_template_is_approved_again(client, org):
    send(client, org, status_update("REINSTATED"))

    assert template("festive_offer").status == "APPROVED"


def test_category_update_changes_the_category(client, org):
    body = payload_json("webhook_template_status_update.json")
    change = body["entry"][0]["changes"][0]
    change["field"] = "template_category_update"
    change["value"] = {
        "message_template_id": 1700000000000001,
        "message_template_name": "appointment_reminder",
        "message_template_language": "en_US",
        "previous_category": "UTILITY",
        "new_category": "MARKETING",
    }

    send(client, org, body)

    assert template("appointment_reminder").category == "MARKETING"


def test_redelivered_webhook_changes_nothing_more(client, org):
    body = payload_json("webhook_template_status_rejected.json")

    send(client, org, body)
    first = template("festive_offer")
    state = (first.status, first.reason)
    send(client, org, body)

    again = template("festive_offer")
    assert (again.status, again.reason) == state


def test_webhook_for_an_unknown_template_is_processed_without_change(client, org):
    body = status_update("APPROVED", name="never_synced", template_id=123)

    send(client, org, body)

    assert template("never_synced") is None


def test_webhook_naming_another_wabas_template_changes_nothing(client, org):
    body = payload_json("webhook_template_status_rejected.json")
    body["entry"][0]["id"] = "100000000000002"

    send(client, org, body)

    assert template("festive_offer").status == "PAUSED"


def test_another_orgs_webhook_cannot_touch_this_orgs_templates(
    client, org, other_admin
):
    other = setup_whatsapp(
        other_admin,
        waba_id="100000000000002",
        phone_number_id="200000000000002",
        display="15550004444",
        app_secret="other_app_secret_0002",
    )
    body = payload_json("webhook_template_status_rejected.json")

    response = post_webhook(client, body, other.secret, other.path)

    assert response.status_code == 200
    assert template("festive_offer").status == "PAUSED"


def test_batch_with_a_message_and_a_template_update_handles_both(client, org):
    body = text_message("hi", "wamid.TPLBATCH1")
    body["entry"].append(
        payload_json("webhook_template_status_rejected.json")["entry"][0]
    )

    send(client, org, body)

    assert template("festive_offer").status == "REJECTED"
    assert db.session.scalar(select(Message).where(Message.wamid == "wamid.TPLBATCH1"))


def campaign(org, name: str, language="en_US", status="scheduled") -> int:
    row = Campaign(
        org_id=org.org_id,
        name=f"Send {name}",
        phone_number_id=org.number["id"],
        template={"name": name, "language": language, "parameters": []},
        audience={"all": True},
        status=status,
        schedule_at=datetime.now(UTC) + timedelta(days=1),
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def campaign_state(campaign_id: int) -> tuple:
    db.session.expire_all()
    row = db.session.get(Campaign, campaign_id)
    return row.status, row.reason


def test_paused_template_pauses_the_campaigns_that_send_it(client, org):
    offer = campaign(org, "festive_offer")
    hindi = campaign(org, "festive_offer", language="hi")
    other = campaign(org, "appointment_reminder")
    body = status_update(
        "PAUSED",
        reason=None,
        other_info={"title": "SECOND_PAUSE", "description": "Low quality."},
    )

    send(client, org, body)

    assert campaign_state(offer) == (
        "paused",
        "Meta paused the template festive_offer (en_US): SECOND_PAUSE: Low quality.",
    )
    assert campaign_state(hindi) == ("scheduled", None)
    assert campaign_state(other) == ("scheduled", None)


def test_disabled_template_pauses_its_campaigns(client, org):
    offer = campaign(org, "festive_offer")

    send(client, org, status_update("DISABLED", reason="SCAM"))

    assert campaign_state(offer)[0] == "paused"
    assert campaign_state(offer)[1].endswith(": SCAM")


def test_approved_template_leaves_campaigns_alone(client, org):
    offer = campaign(org, "festive_offer")

    send(client, org, status_update("APPROVED"))

    assert campaign_state(offer) == ("scheduled", None)


def test_global_route_finds_the_org_by_its_waba(client, org):
    body = payload_json("webhook_template_status_rejected.json")

    response = post_webhook(client, body, APP_SECRET, "/webhook")

    assert response.status_code == 200
    assert template("festive_offer").status == "REJECTED"


def test_global_route_trusts_no_org_when_two_name_the_same_waba(
    client, org, other_admin
):
    give_credentials(other_admin, waba_id=WABA_ID)
    body = payload_json("webhook_template_status_rejected.json")

    response = post_webhook(client, body, APP_SECRET, "/webhook")

    assert response.status_code == 200
    assert template("festive_offer").status == "PAUSED"
