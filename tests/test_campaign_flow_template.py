"""The flow's `template` node: values filled in for the contact who wrote, and
checked against the synced template the way a campaign's are."""

import pytest
from sqlalchemy import select

from tests.support import post_webhook, setup_whatsapp, text_message
from tests.test_campaigns_api import OFFER, add_template
from wfb.contacts.models import Contact
from wfb.conversations.models import Message
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")
IMAGE = "https://acme.example/offer.jpg"


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


def flow(template: dict) -> dict:
    return {
        "name": "Offer",
        "trigger": {"type": "any"},
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "offer", "type": "template", "data": template},
            {"id": "thanks", "type": "message", "data": {"text": "Thanks!"}},
        ],
        "edges": [
            {"source": "start", "target": "offer"},
            {"source": "offer", "target": "thanks"},
        ],
    }


def run_flow(client, admin, template: dict):
    """An org whose number runs a flow with this template node, and a customer
    (Priya Sharma) who writes to it."""
    org = setup_whatsapp(admin)
    created = admin.post("/flows", json=flow(template))
    assert created.status_code == 201, created.json
    admin.put(
        f"/phone-numbers/{org.number['id']}", json={"flow_id": created.json["id"]}
    )
    return org


def write(client, org, wamid="wamid.IN1"):
    body = text_message("hi", wamid)
    assert post_webhook(client, body, org.secret, org.path).status_code == 200


def outbound() -> list[Message]:
    db.session.expire_all()
    return db.session.scalars(
        select(Message).where(Message.direction == "out").order_by(Message.id)
    ).all()


def test_an_unsynced_template_is_sent_with_its_values_as_written(client, admin, graph):
    template = {
        "name": "welcome",
        "language": "en_US",
        "parameters": ["{{contact.name}}", "FEST10"],
    }
    org = run_flow(client, admin, template)

    write(client, org)

    sent = graph.sent()
    assert sent[0]["template"] == {
        "name": "welcome",
        "language": {"code": "en_US", "policy": "deterministic"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Priya Sharma"},
                    {"type": "text", "text": "FEST10"},
                ],
            }
        ],
    }
    assert sent[1]["text"]["body"] == "Thanks!"
    assert [m.status for m in outbound()] == ["sent", "sent"]


def test_a_synced_template_gets_its_header_and_url_button_in_place(
    client, admin, graph
):
    template = {
        "name": "offer",
        "language": "en_US",
        "parameters": ["20%", "{{contact.name}}"],
        "header": {"type": "image", "link": IMAGE},
        "buttons": ["p-{{contact.phone}}"],
    }
    org = run_flow(client, admin, template)
    add_template(org.org_id, "offer", components=OFFER)

    write(client, org)

    assert graph.sent()[0]["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": IMAGE}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "20%"},
                {"type": "text", "text": "Priya Sharma"},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "p-+15550002222"}],
        },
    ]


def test_values_that_do_not_fit_are_not_sent_and_the_flow_goes_on(client, admin, graph):
    template = {
        "name": "order_update",
        "language": "en_US",
        "parameters": ["{{contact.name}}", "{{contact.attributes.order}}"],
    }
    org = run_flow(client, admin, template)
    add_template(org.org_id)

    write(client, org)

    failed, thanks = outbound()
    assert (failed.status, failed.type) == ("failed", "template")
    assert failed.error_title == (
        "The body value 2 ({{contact.attributes.order}}) is empty for this contact."
    )
    assert thanks.status == "sent"
    assert [m["type"] for m in graph.messages()] == ["text"]


def test_a_synced_template_with_the_wrong_count_is_not_sent(client, admin, graph):
    template = {"name": "order_update", "language": "en_US", "parameters": ["x"]}
    org = run_flow(client, admin, template)
    add_template(org.org_id)

    write(client, org)

    assert outbound()[0].error_title == "The template's body has 2 variables; 1 given."
    assert [m["type"] for m in graph.messages()] == ["text"]


def test_a_flow_still_answers_a_contact_who_opted_out_of_campaigns(
    client, admin, graph
):
    template = {"name": "order_update", "language": "en_US", "parameters": ["a", "b"]}
    org = run_flow(client, admin, template)
    add_template(org.org_id)
    write(client, org, "wamid.IN1")
    contact = db.session.scalar(select(Contact))
    contact.opted_out = True
    db.session.commit()
    graph.reset()

    write(client, org, "wamid.IN2")

    assert [m["type"] for m in graph.sent()] == ["template", "text"]
