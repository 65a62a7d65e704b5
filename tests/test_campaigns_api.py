"""The campaigns API: sending, checking, listing, logs, and pause/resume/cancel.

The factories here (an org with a number, synced templates, contacts, a send body)
are shared by the other campaign test modules.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tests.support import setup_whatsapp
from wfb.campaigns.models import Campaign, CampaignRecipient
from wfb.contacts.models import Contact
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate

pytestmark = pytest.mark.usefixtures("app")

ORDER_UPDATE = [
    {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."},
    {"type": "FOOTER", "text": "Acme Salon"},
]
OFFER = [
    {"type": "HEADER", "format": "IMAGE"},
    {"type": "BODY", "text": "Get {{1}} off this week, {{2}}."},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop promotions"},
            {"type": "URL", "text": "Book", "url": "https://acme.example/b/{{1}}"},
        ],
    },
]
IMAGE = "https://acme.example/diwali.jpg"


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin):
    return make_org(admin)


def make_org(admin):
    """Org A with credentials, order_update synced, and a number sending 1000
    messages a second."""
    org = setup_whatsapp(admin)
    response = admin.put(
        f"/phone-numbers/{org.number['id']}", json={"messages_per_second": 1000}
    )
    assert response.status_code == 200, response.json
    add_template(org.org_id)
    return org


def add_template(
    org_id,
    name="order_update",
    language="en_US",
    components=None,
    status="APPROVED",
    parameter_format="POSITIONAL",
):
    """A template as a sync from Meta stores it."""
    template = MessageTemplate(
        org_id=org_id,
        meta_id=f"17{org_id:04d}{len(name):04d}",
        name=name,
        language=language,
        category="MARKETING",
        status=status,
        parameter_format=parameter_format,
        components=components or ORDER_UPDATE,
        synced_at=datetime.now(UTC),
    )
    db.session.add(template)
    db.session.commit()
    return template


def add_contacts(org_id, count, start=0, **values) -> list[int]:
    """`count` contacts with phones +9198000NNNNN, named Customer N."""
    rows = [
        {
            "org_id": org_id,
            "phone": phone(start + i),
            "name": f"Customer {start + i}",
            "tags": values.get("tags", ["vip"]),
            "attributes": values.get("attributes", {"city": "Pune"}),
            "opted_out": values.get("opted_out", False),
            "created_at": datetime.now(UTC),
            "updated_at": datetime.now(UTC),
        }
        for i in range(count)
    ]
    db.session.execute(insert(Contact), rows)
    db.session.commit()
    ids = db.session.scalars(
        select(Contact.id)
        .where(Contact.org_id == org_id, Contact.phone.in_([r["phone"] for r in rows]))
        .order_by(Contact.id)
    ).all()
    return list(ids)


def phone(serial: int) -> str:
    return f"+9198000{serial:05d}"


def body(org, **changes) -> dict:
    """A send of order_update to the contacts tagged vip."""
    sent = {
        "name": "Diwali orders",
        "phone_number_id": org.number["id"],
        "template": {
            "name": "order_update",
            "language": "en_US",
            "parameters": ["{{contact.name}}", "ORD-42"],
        },
        "audience": {"tags": ["vip"]},
    }
    sent.update(changes)
    return sent


def rows(campaign_id) -> list[CampaignRecipient]:
    db.session.expire_all()
    return db.session.scalars(
        select(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.id)
    ).all()


def statuses(campaign_id) -> dict[str, str]:
    return {row.phone: row.status for row in rows(campaign_id)}


def campaign_row(campaign_id) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id)


def counts(**given) -> dict:
    names = ("pending", "sending", "sent", "delivered", "read", "failed", "skipped")
    return {name: given.get(name, 0) for name in (*names, "unknown")}


def test_send_answers_202_and_sends_each_contact_once(admin, org, graph):
    add_contacts(org.org_id, 3)

    response = admin.post("/campaigns/send", json=body(org))

    assert response.status_code == 202, response.json
    assert response.json["name"] == "Diwali orders"
    assert response.json["status"] == "completed"
    assert response.json["counts"] == counts(sent=3)
    assert response.json["total"] == 3
    # Sends go out side by side, so their order at Meta is not fixed.
    sent = sorted(graph.sent(), key=lambda m: m["to"])
    assert [m["to"] for m in sent] == [phone(0), phone(1), phone(2)]
    assert sent[0]["template"] == {
        "name": "order_update",
        "language": {"code": "en_US", "policy": "deterministic"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Customer 0"},
                    {"type": "text", "text": "ORD-42"},
                ],
            }
        ],
    }
    recipient = rows(response.json["id"])[0]
    assert sent[0]["biz_opaque_callback_data"] == (
        f"wfb-campaign:{response.json['id']}:{recipient.id}"
    )
    to_first = [r for r in graph.requests if (r.body or {}).get("to") == phone(0)]
    answer = to_first[0].answer
    assert recipient.wamid == answer["messages"][0]["id"]
    assert recipient.attempts == 1
    assert recipient.sent_at is not None


def test_send_with_a_header_and_url_button_builds_metas_components(admin, org, graph):
    add_template(org.org_id, "offer", components=OFFER)
    add_contacts(org.org_id, 1)
    template = {
        "name": "offer",
        "language": "en_US",
        "parameters": ["20%", "{{contact.attributes.city}}"],
        "header": {"type": "image", "link": IMAGE},
        "buttons": ["diwali-{{contact.name}}"],
    }

    response = admin.post("/campaigns/send", json=body(org, template=template))

    assert response.status_code == 202, response.json
    assert graph.sent()[0]["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": IMAGE}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "20%"},
                {"type": "text", "text": "Pune"},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "diwali-Customer 0"}],
        },
    ]


def test_named_parameters_are_sent_with_their_names(admin, org, graph):
    components = [{"type": "BODY", "text": "Hi {{first_name}}, use {{code}}."}]
    add_template(org.org_id, "named", components=components, parameter_format="NAMED")
    add_contacts(org.org_id, 1)
    template = {
        "name": "named",
        "language": "en_US",
        "parameters": {"code": "FEST10", "first_name": "{{contact.name}}"},
    }

    response = admin.post("/campaigns/send", json=body(org, template=template))

    assert response.status_code == 202, response.json
    assert graph.sent()[0]["template"]["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "first_name", "text": "Customer 0"},
                {"type": "text", "parameter_name": "code", "text": "FEST10"},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("template", "status", "message"),
    [
        (
            {"name": "nothing_like_it", "language": "en_US"},
            None,
            "Template nothing_like_it (en_US) is not synced: sync the templates first.",
        ),
        (
            {"name": "festive", "language": "en_US"},
            "PAUSED",
            "Template festive (en_US) is PAUSED on Meta, not APPROVED.",
        ),
        (
            {"name": "festive", "language": "en_US"},
            "PENDING",
            "Template festive (en_US) is PENDING on Meta, not APPROVED.",
        ),
    ],
)
def test_a_template_not_synced_and_approved_is_refused_with_422_naming_it(
    admin, org, graph, template, status, message
):
    if status:
        add_template(org.org_id, "festive", status=status)
    add_contacts(org.org_id, 1)

    response = admin.post("/campaigns/send", json=body(org, template=template))

    assert response.status_code == 422
    assert response.json["message"] == f"The campaign cannot be sent: {message}"
    assert response.json["errors"] == {"json": {"template": {"name": [message]}}}
    assert graph.messages() == []
    assert db.session.scalar(select(Campaign.id)) is None


@pytest.mark.parametrize(
    ("template", "errors"),
    [
        (
            {"parameters": ["only one"]},
            {"parameters": ["The template's body has 2 variables; 1 given."]},
        ),
        (
            {"parameters": ["Asha", "line one\nline two"]},
            {"parameters": {"1": ["The value has a new line or a tab."]}},
        ),
        (
            {"parameters": ["Asha", "wide     gap"]},
            {"parameters": {"1": ["The value has more than four spaces in a row."]}},
        ),
        (
            {"parameters": ["   ", "ORD-1"]},
            {"parameters": {"0": ["The value is empty."]}},
        ),
        (
            {"parameters": ["{{contact.email}}", "ORD-1"]},
            {
                "parameters": {
                    "0": ["{{contact.email}} is not a placeholder a campaign can fill."]
                }
            },
        ),
        (
            {"header": {"type": "text", "text": "Hello"}},
            {"header": ["The template has no header."]},
        ),
    ],
)
def test_values_that_meta_would_refuse_are_refused_before_sending(
    admin, org, graph, template, errors
):
    add_contacts(org.org_id, 1)
    sent = body(org)
    sent["template"].update(template)

    response = admin.post("/campaigns/send", json=sent)

    assert response.status_code == 422
    assert response.json["errors"] == {"json": {"template": errors}}
    assert graph.messages() == []


def test_offer_needs_its_image_header_and_its_button_value(admin, org):
    add_template(org.org_id, "offer", components=OFFER)
    add_contacts(org.org_id, 1)
    template = {"name": "offer", "language": "en_US", "parameters": ["20%", "x"]}

    response = admin.post("/campaigns/send", json=body(org, template=template))

    assert response.status_code == 422
    assert response.json["errors"] == {
        "json": {
            "template": {
                "header": ["The template's header needs a image value."],
                "buttons": ["The template has 1 URL button with a value."],
            }
        }
    }


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"audience": {}}, {"audience": {"_schema": [
            "Give exactly one of contact_ids, tags or all: true."]}}),
        ({"audience": {"all": True, "tags": ["vip"]}}, {"audience": {"_schema": [
            "Give exactly one of contact_ids, tags or all: true."]}}),
        ({"audience": {"all": False}},
         {"audience": {"all": ["Only true is allowed."]}}),
        ({"audience": {"contact_ids": ["7"]}},
         {"audience": {"contact_ids": {"0": ["Not a valid integer."]}}}),
        ({"phone_number_id": "1"}, {"phone_number_id": ["Not a valid integer."]}),
        ({"schedule_at": "tomorrow"}, {"schedule_at": ["Not a valid datetime."]}),
        ({"name": ""}, {"name": ["Length must be between 1 and 200."]}),
    ],
)  # fmt: skip
def test_a_malformed_send_answers_422_at_the_field(admin, org, changes, errors):
    response = admin.post("/campaigns/send", json=body(org, **changes))

    assert response.status_code == 422
    assert response.json["errors"] == {"json": errors}


def test_another_orgs_number_is_refused_as_unknown(admin, other_admin, org):
    theirs = setup_whatsapp(
        other_admin, waba_id="100000000000002", phone_number_id="200000000000002"
    )
    add_contacts(org.org_id, 1)

    response = admin.post(
        "/campaigns/send", json=body(org, phone_number_id=theirs.number["id"])
    )

    assert response.status_code == 422
    message = f"No phone number with id {theirs.number['id']} in this org."
    assert response.json["errors"] == {"json": {"phone_number_id": [message]}}


def test_an_empty_audience_is_refused_when_sending_now(admin, org):
    response = admin.post("/campaigns/send", json=body(org, audience={"tags": ["x"]}))

    assert response.status_code == 422
    assert response.json["errors"] == {
        "json": {"audience": ["The audience has no contacts."]}
    }


def test_check_counts_the_audience_and_finds_unfit_values_storing_nothing(
    admin, org, graph
):
    add_contacts(org.org_id, 3)
    add_contacts(org.org_id, 2, start=10, opted_out=True)
    nameless = add_contacts(org.org_id, 1, start=20)[0]
    db.session.get(Contact, nameless).name = ""
    db.session.commit()

    response = admin.post("/campaigns/check", json=body(org))

    assert response.status_code == 200
    assert response.json == {
        "ok": True,
        "audience": 6,
        "opted_out": 2,
        "unfit": 1,
        "sendable": 3,
        "checked": 4,
        "problems": [],
        "unfit_examples": [
            {
                "contact_id": nameless,
                "phone": phone(20),
                "reason": "The body value 1 ({{contact.name}}) is empty for this "
                "contact.",
            }
        ],
    }
    assert db.session.scalar(select(Campaign.id)) is None
    assert graph.messages() == []


def test_check_reports_what_a_send_would_refuse(admin, org):
    add_contacts(org.org_id, 2)
    sent = body(org, phone_number_id=999999)
    sent["template"]["parameters"] = ["one"]

    response = admin.post("/campaigns/check", json=sent)

    assert response.status_code == 200
    assert response.json["ok"] is False
    assert response.json["audience"] == 2
    assert response.json["problems"] == [
        {
            "field": "phone_number_id",
            "message": "No phone number with id 999999 in this org.",
        },
        {
            "field": "template.parameters",
            "message": "The template's body has 2 variables; 1 given.",
        },
    ]


def test_list_is_newest_first_with_counts(admin, org, graph):
    add_contacts(org.org_id, 2)
    first = admin.post("/campaigns/send", json=body(org, name="First")).json
    graph.fail_for(phone(1), 131026)
    second = admin.post("/campaigns/send", json=body(org, name="Second")).json

    response = admin.get("/campaigns")

    assert response.status_code == 200
    assert response.json["total"] == 2
    assert [(c["id"], c["name"]) for c in response.json["items"]] == [
        (second["id"], "Second"),
        (first["id"], "First"),
    ]
    assert response.json["items"][0]["counts"] == counts(sent=1, failed=1)
    assert response.json["items"][1]["counts"] == counts(sent=2)
    only_completed = admin.get("/campaigns?status=completed").json
    assert only_completed["total"] == 2
    assert admin.get("/campaigns?status=paused").json["total"] == 0


def test_logs_page_through_recipients_filter_by_status_and_count(admin, org, graph):
    add_contacts(org.org_id, 5)
    graph.fail_for(phone(3), 131026)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    everyone = admin.get(f"/campaigns/{campaign['id']}/logs?page_size=2&page=2")
    failed = admin.get(f"/campaigns/{campaign['id']}/logs?status=failed")

    assert everyone.status_code == 200
    assert everyone.json["total"] == 5
    assert [r["phone"] for r in everyone.json["items"]] == [phone(2), phone(3)]
    assert everyone.json["counts"] == counts(sent=4, failed=1)
    assert failed.json["total"] == 1
    item = failed.json["items"][0]
    assert item["phone"] == phone(3)
    assert item["status"] == "failed"
    assert item["error_code"] == 131026
    assert item["error_title"] == (
        "(#131026) Message Undeliverable: Unable to deliver message."
    )
    assert item["reason"].startswith("WhatsApp could not deliver to this number")
    assert failed.json["counts"] == counts(sent=4, failed=1)


def test_logs_refuse_an_unknown_status(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    response = admin.get(f"/campaigns/{campaign['id']}/logs?status=lost")

    assert response.status_code == 422


def scheduled(admin, org, minutes=30) -> dict:
    at = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    response = admin.post("/campaigns/send", json=body(org, schedule_at=at))
    assert response.status_code == 202, response.json
    return response.json


def test_a_scheduled_campaign_waits_for_its_time(admin, org, graph):
    add_contacts(org.org_id, 2)

    campaign = scheduled(admin, org)

    assert campaign["status"] == "scheduled"
    assert campaign["total"] == 0
    assert graph.messages() == []


def test_pause_resume_and_cancel_follow_the_status_rules(admin, org, graph):
    add_contacts(org.org_id, 2)
    campaign = scheduled(admin, org)
    url = f"/campaigns/{campaign['id']}"

    paused = admin.post(f"{url}/pause")
    paused_again = admin.post(f"{url}/pause")
    resumed = admin.post(f"{url}/resume")
    cancelled = admin.post(f"{url}/cancel")
    resumed_after_cancel = admin.post(f"{url}/resume")
    cancelled_again = admin.post(f"{url}/cancel")

    assert paused.status_code == 200
    assert paused.json["status"] == "paused"
    assert paused.json["reason"] == "Paused by Asha Admin."
    assert paused_again.status_code == 409
    assert paused_again.json["message"] == (
        "This campaign is paused: only a scheduled or running campaign can be paused."
    )
    assert resumed.json["status"] == "scheduled"
    assert resumed.json["reason"] is None
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["finished_at"] is not None
    assert resumed_after_cancel.status_code == 409
    assert resumed_after_cancel.json["message"] == (
        "This campaign is cancelled: only a paused campaign can be resumed."
    )
    assert cancelled_again.status_code == 409
    assert graph.messages() == []


def test_a_completed_campaign_cannot_be_paused_or_cancelled(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    paused = admin.post(f"/campaigns/{campaign['id']}/pause")
    cancelled = admin.post(f"/campaigns/{campaign['id']}/cancel")

    assert (paused.status_code, cancelled.status_code) == (409, 409)
    assert cancelled.json["message"] == (
        "This campaign is completed: only a scheduled, running or paused campaign "
        "can be cancelled."
    )


def test_resuming_a_paused_running_campaign_sends_the_rest(admin, org, graph):
    ids = add_contacts(org.org_id, 3)
    campaign = scheduled(admin, org)
    db.session.execute(
        Campaign.__table__.update().values(schedule_at=datetime.now(UTC))
    )
    db.session.commit()
    from wfb.campaigns import service

    assert service.start(campaign["id"])
    service.pause(campaign["id"], "Held for a moment.")

    resumed = admin.post(f"/campaigns/{campaign['id']}/resume")

    assert resumed.status_code == 200
    assert resumed.json["status"] == "completed"
    assert resumed.json["counts"] == counts(sent=3)
    assert sorted(m["to"] for m in graph.sent()) == [phone(i) for i in range(3)]
    assert len(ids) == 3


def test_resume_is_refused_while_the_template_cannot_be_sent(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = scheduled(admin, org)
    admin.post(f"/campaigns/{campaign['id']}/pause")
    template = db.session.scalar(select(MessageTemplate))
    template.status = "PAUSED"
    db.session.commit()

    response = admin.post(f"/campaigns/{campaign['id']}/resume")

    assert response.status_code == 409
    assert response.json["message"] == (
        "The campaign cannot be sent: Template order_update (en_US) is PAUSED on "
        "Meta, not APPROVED."
    )
    assert campaign_row(campaign["id"]).status == "paused"


def test_marketing_may_send_and_sales_may_not(team, org, graph):
    add_contacts(org.org_id, 1)

    by_marketing = team.marketing.api.post("/campaigns/send", json=body(org))
    by_sales = team.sales.api.post("/campaigns/send", json=body(org))
    list_by_sales = team.sales.api.get("/campaigns")

    assert by_marketing.status_code == 202
    assert by_marketing.json["created_by_id"] == team.marketing.id
    assert by_sales.status_code == 403
    assert list_by_sales.status_code == 403


def test_another_orgs_campaign_answers_404(admin, other_admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = scheduled(admin, org)

    answers = [
        other_admin.get(f"/campaigns/{campaign['id']}").status_code,
        other_admin.get(f"/campaigns/{campaign['id']}/logs").status_code,
        other_admin.post(f"/campaigns/{campaign['id']}/cancel").status_code,
    ]

    assert answers == [404, 404, 404]
    assert other_admin.get("/campaigns").json["total"] == 0
    assert campaign_row(campaign["id"]).status == "scheduled"
