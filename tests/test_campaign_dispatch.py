"""What the dispatcher does with each of Meta's answers (design section 6), with
opted-out contacts and unfit values, and with Meta's delivery statuses after."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support import payload_json, post_webhook
from tests.test_campaigns_api import (
    add_contacts,
    add_template,
    body,
    campaign_row,
    counts,
    make_org,
    phone,
    rows,
    statuses,
)
from wfb.campaigns import service, tasks
from wfb.campaigns.models import Campaign
from wfb.contacts.models import Contact
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides(graph, smtp_server):
    return {
        "META_GRAPH_URL": graph.url,
        "META_TIMEOUT": 0.5,
        "SMTP_URL": smtp_server.url,
        "PUBLIC_URL": "https://wfb.example",
    }


@pytest.fixture
def org(admin):
    return make_org(admin)


def send(admin, org, **changes) -> dict:
    response = admin.post("/campaigns/send", json=body(org, **changes))
    assert response.status_code == 202, response.json
    return response.json


def test_a_throttled_recipient_is_retried_and_ends_sent(admin, org, graph):
    add_contacts(org.org_id, 3)
    graph.fail_next(code=130429, times=1)

    started = time.monotonic()
    campaign = send(admin, org)

    assert campaign["status"] == "completed"
    assert campaign["counts"] == counts(sent=3)
    assert sorted(m["to"] for m in graph.sent()) == [phone(i) for i in range(3)]
    assert len(graph.messages()) == 4
    assert sorted(row.attempts for row in rows(campaign["id"])) == [1, 1, 2]
    # The campaign waited for Meta's window before trying again.
    assert time.monotonic() - started >= 1.0


def test_an_undeliverable_recipient_fails_with_metas_code_and_title(admin, org, graph):
    add_contacts(org.org_id, 3)
    graph.fail_for(phone(1), 131026)

    campaign = send(admin, org)

    failed = [row for row in rows(campaign["id"]) if row.status == "failed"]
    assert [(r.phone, r.error_code) for r in failed] == [(phone(1), 131026)]
    assert failed[0].error_title == (
        "(#131026) Message Undeliverable: Unable to deliver message."
    )
    assert failed[0].wamid is None
    assert campaign["counts"] == counts(sent=2, failed=1)
    assert len(graph.messages()) == 3


@pytest.mark.parametrize("code", [131049, 131050, 131047])
def test_other_per_recipient_errors_fail_only_that_recipient(admin, org, graph, code):
    add_contacts(org.org_id, 2)
    graph.fail_for(phone(0), code)

    campaign = send(admin, org)

    assert statuses(campaign["id"]) == {phone(0): "failed", phone(1): "sent"}
    assert rows(campaign["id"])[0].error_code == code


def test_a_refused_token_pauses_every_campaign_of_the_number(
    admin, org, graph, smtp_server
):
    add_contacts(org.org_id, 3)
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    waiting = send(admin, org, name="Tomorrow", schedule_at=later)
    graph.fail_next(code=190, times=50)

    campaign = send(admin, org)

    reason = (
        "Meta refused the WhatsApp access token (code 190): save a new one in "
        "Settings, then resume the campaign."
    )
    assert (campaign["status"], campaign["reason"]) == ("paused", reason)
    assert (campaign_row(waiting["id"]).status, campaign_row(waiting["id"]).reason) == (
        "paused",
        reason,
    )
    assert campaign["counts"] == counts(pending=3)
    # The refused tries are not held against the recipients.
    assert [row.attempts for row in rows(campaign["id"])] == [0, 0, 0]
    log = admin.get("/admin/audit-log").json["items"][0]
    assert (log["action"], log["target"]) == (
        "campaigns.paused_for_token",
        "15550001111",
    )
    assert log["details"] == {
        "campaign_ids": [waiting["id"], campaign["id"]],
        "reason": reason,
    }
    assert smtp_server.recipients == [["admin@acme.test"]]
    assert smtp_server.mails[0]["Subject"] == (
        "WFB paused your campaigns: renew the WhatsApp access token"
    )
    assert "\r\n- Tomorrow\r\n- Diwali orders\r\n" in smtp_server.text()


def test_after_a_new_token_a_paused_campaign_resumes_and_sends_once(admin, org, graph):
    add_contacts(org.org_id, 3)
    graph.fail_next(code=190, times=50)
    campaign = send(admin, org)
    graph.reset()

    resumed = admin.post(f"/campaigns/{campaign['id']}/resume")

    assert resumed.json["status"] == "completed"
    assert resumed.json["counts"] == counts(sent=3)
    assert sorted(m["to"] for m in graph.messages()) == [phone(i) for i in range(3)]


def test_a_template_error_fails_the_campaign_with_that_reason(admin, org, graph):
    add_contacts(org.org_id, 3)
    graph.fail_next(code=132001, times=50)

    campaign = send(admin, org)

    assert campaign["status"] == "failed"
    assert campaign["reason"] == (
        "Meta refused the template (code 132001): (#132001) Template does not exist"
    )
    assert campaign["finished_at"] is not None
    assert campaign["counts"] == counts(pending=3)
    assert all(row.error_code == 132001 for row in rows(campaign["id"]))


def test_unfit_values_fail_their_recipient_with_the_reason_while_others_send(
    admin, org, graph
):
    add_contacts(org.org_id, 3)
    contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
    contacts[0].name = ""
    contacts[2].name = "Asha\tRao"
    db.session.commit()

    campaign = send(admin, org)

    assert statuses(campaign["id"]) == {
        phone(0): "failed",
        phone(1): "sent",
        phone(2): "failed",
    }
    reasons = [row.error_title for row in rows(campaign["id"])]
    assert reasons[0] == (
        "The body value 1 ({{contact.name}}) is empty for this contact."
    )
    assert reasons[2] == (
        "The body value 1 ({{contact.name}}) has a new line or a tab for this contact."
    )
    assert [m["to"] for m in graph.messages()] == [phone(1)]


def test_a_body_made_too_long_by_a_contacts_value_fails_that_recipient(
    admin, org, graph
):
    add_contacts(org.org_id, 1, attributes={"note": "x" * 1100})
    add_contacts(org.org_id, 1, start=1)
    template = {
        "name": "order_update",
        "language": "en_US",
        "parameters": ["{{contact.attributes.note}}", "ORD-1"],
    }

    campaign = send(admin, org, template=template, audience={"all": True})

    assert statuses(campaign["id"]) == {phone(0): "failed", phone(1): "failed"}
    first, second = rows(campaign["id"])
    assert first.error_title == (
        "The body with this contact's values is 1134 characters; Meta allows 1024."
    )
    assert second.error_title == (
        "The body value 1 ({{contact.attributes.note}}) is empty for this contact."
    )
    assert graph.messages() == []


def test_opted_out_contacts_are_skipped(admin, org, graph):
    add_contacts(org.org_id, 2)
    add_contacts(org.org_id, 1, start=5, opted_out=True)

    campaign = send(admin, org)

    assert statuses(campaign["id"]) == {
        phone(0): "sent",
        phone(1): "sent",
        phone(5): "skipped",
    }
    assert campaign["counts"] == counts(sent=2, skipped=1)
    assert phone(5) not in [m["to"] for m in graph.messages()]


def test_a_contact_who_opts_out_before_their_turn_is_skipped(admin, org, graph):
    add_contacts(org.org_id, 2)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    campaign = send(admin, org, schedule_at=later)
    db.session.execute(
        Campaign.__table__.update().values(schedule_at=datetime.now(UTC))
    )
    db.session.commit()
    service.start(campaign["id"])
    db.session.scalar(select(Contact).where(Contact.phone == phone(0))).opted_out = True
    db.session.commit()

    tasks.send_campaign(campaign["id"])

    assert statuses(campaign["id"]) == {phone(0): "skipped", phone(1): "sent"}


def test_a_send_without_an_answer_is_unknown_and_never_sent_again(admin, org, graph):
    add_contacts(org.org_id, 1)
    graph.drop_next()

    campaign = send(admin, org)
    tasks.tend()

    assert campaign["counts"] == counts(unknown=1)
    assert campaign["status"] == "completed"
    assert len(graph.messages()) == 1
    assert rows(campaign["id"])[0].error_title.startswith("No answer from the Graph")


def test_a_slow_answer_past_the_timeout_is_unknown_too(admin, org, graph):
    add_contacts(org.org_id, 2)
    graph.delay_next(1.0)

    campaign = send(admin, org)

    assert campaign["counts"] == counts(sent=1, unknown=1)
    assert len(graph.messages()) == 2


def status_webhook(wamid: str, status: str, timestamp: str, **extra) -> dict:
    data = payload_json("webhook_status_delivered.json")
    entry = data["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update(id=wamid, status=status, timestamp=timestamp, **extra)
    return data


def test_statuses_from_webhooks_move_recipients_forward_only(client, admin, org, graph):
    add_contacts(org.org_id, 3)
    campaign = send(admin, org)
    first, second, third = rows(campaign["id"])

    for wamid, status, at in [
        (first.wamid, "delivered", "1788500001"),
        (first.wamid, "read", "1788500002"),
        (second.wamid, "read", "1788500003"),
        (second.wamid, "delivered", "1788500004"),
        (second.wamid, "failed", "1788500005"),
    ]:
        hook = status_webhook(wamid, status, at)
        assert post_webhook(client, hook, org.secret, org.path).status_code == 200
    failure = {
        "errors": [{"code": 131049, "title": "Meta chose not to deliver.",
                    "message": "Healthy ecosystem engagement."}]
    }  # fmt: skip
    hook = status_webhook(third.wamid, "failed", "1788500006", **failure)
    post_webhook(client, hook, org.secret, org.path)

    assert statuses(campaign["id"]) == {
        phone(0): "read",
        phone(1): "read",
        phone(2): "failed",
    }
    first, second, third = rows(campaign["id"])
    assert first.status_at == datetime.fromtimestamp(1788500002, UTC)
    assert (third.error_code, third.error_title) == (
        131049,
        "Meta chose not to deliver.",
    )
    counted = admin.get(f"/campaigns/{campaign['id']}").json["counts"]
    assert counted == counts(read=2, failed=1)


def test_a_status_for_an_unknown_send_finds_its_row_by_the_echoed_tag(
    client, admin, org, graph
):
    add_contacts(org.org_id, 1)
    graph.drop_next()
    campaign = send(admin, org)
    recipient = rows(campaign["id"])[0]
    tag = graph.messages()[0]["biz_opaque_callback_data"]

    hook = status_webhook(
        "wamid.LATE0001", "delivered", "1788500100", biz_opaque_callback_data=tag
    )
    post_webhook(client, hook, org.secret, org.path)

    recipient = rows(campaign["id"])[0]
    assert (recipient.status, recipient.wamid) == ("delivered", "wamid.LATE0001")
    assert recipient.sent_at == datetime.fromtimestamp(1788500100, UTC)


def test_an_echoed_tag_of_another_org_changes_nothing(
    client, admin, other_admin, org, graph
):
    from tests.support import setup_whatsapp

    add_contacts(org.org_id, 1)
    graph.drop_next()
    campaign = send(admin, org)
    theirs = setup_whatsapp(
        other_admin,
        waba_id="100000000000002",
        phone_number_id="200000000000002",
        app_secret="other_app_secret",
    )
    tag = graph.messages()[0]["biz_opaque_callback_data"]
    hook = status_webhook(
        "wamid.FORGED01", "read", "1788500100", biz_opaque_callback_data=tag
    )
    hook["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = (
        "200000000000002"
    )

    post_webhook(client, hook, theirs.secret, theirs.path)

    recipient = rows(campaign["id"])[0]
    assert (recipient.status, recipient.wamid) == ("unknown", None)


def test_a_template_that_meta_pauses_pauses_the_campaigns_using_it(admin, org, graph):
    add_contacts(org.org_id, 1)
    add_template(org.org_id, "other_one")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    using = send(admin, org, schedule_at=later)
    other = body(org, schedule_at=later)
    other["template"]["name"] = "other_one"
    other = admin.post("/campaigns/send", json=other).json

    paused = service.pause_using_template(
        org.org_id, "order_update", "en_US", "FIRST_PAUSE"
    )

    assert paused == 1
    assert campaign_row(using["id"]).status == "paused"
    assert campaign_row(using["id"]).reason == (
        "Meta paused the template order_update (en_US): FIRST_PAUSE"
    )
    assert campaign_row(other["id"]).status == "scheduled"
    assert service.pause_using_template(org.org_id, "order_update", "en_US", "x") == 0


def test_a_cancelled_campaign_skips_what_it_had_not_sent(admin, org, graph):
    add_contacts(org.org_id, 3)
    graph.fail_next(code=190, times=50)
    paused = send(admin, org)
    assert paused["counts"] == counts(pending=3)

    cancelled = admin.post(f"/campaigns/{paused['id']}/cancel")

    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["counts"] == counts(skipped=3)
    log = admin.get(f"/campaigns/{paused['id']}/logs?status=skipped").json
    assert {item["error_title"] for item in log["items"]} == {
        "The campaign was cancelled before this message was sent."
    }
