"""The main job: a message arrives, the right flow runs, its replies reach Meta."""

import pytest
from sqlalchemy import select

from tests.support import (
    payload,
    payload_json,
    post_webhook,
    run_scheduled,
    setup_whatsapp,
    text_message,
)
from wfb.conversations.models import Message
from wfb.extensions import db
from wfb.flows.models import FlowSession

pytestmark = pytest.mark.usefixtures("app")
TO = "+15550002222"

BUTTONS = [
    {"id": "confirm_booking_42", "title": "Confirm"},
    {"id": "reschedule_booking_42", "title": "Reschedule"},
    {"id": "cancel_booking_42", "title": "Cancel"},
]
BOOKING = {
    "name": "Booking",
    "trigger": {"type": "keyword", "keywords": ["slot"], "match": "contains"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "menu", "type": "buttons", "data": {
            "text": "Shall we book it?",
            "buttons": BUTTONS,
            "retry_text": "Please tap one of the buttons.",
        }},
        {"id": "confirmed", "type": "message",
         "data": {"text": "Booked, {{contact.name}}!"}},
        {"id": "moved", "type": "message",
         "data": {"text": "Let us find another time."}},
        {"id": "cancelled", "type": "message", "data": {"text": "Cancelled."}},
        {"id": "end", "type": "end"},
    ],
    "edges": [
        {"source": "start", "target": "menu"},
        {"source": "menu", "source_handle": "confirm_booking_42",
         "target": "confirmed"},
        {"source": "menu", "source_handle": "reschedule_booking_42", "target": "moved"},
        {"source": "menu", "source_handle": "cancel_booking_42", "target": "cancelled"},
        {"source": "confirmed", "target": "end"},
        {"source": "moved", "target": "end"},
        {"source": "cancelled", "target": "end"},
    ],
}  # fmt: skip

EMAIL = {
    "name": "Email",
    "trigger": {"type": "keyword", "keywords": ["email"], "match": "exact"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "ask", "type": "question", "data": {
            "text": "Your email?", "save_as": "email", "validate": "email",
            "retry_text": "That does not look like an email.",
        }},
        {"id": "check", "type": "condition", "data": {
            "variable": "vars.email", "operator": "contains", "value": "@gmail.com",
        }},
        {"id": "gmail", "type": "message", "data": {"text": "Gmail: {{vars.email}}"}},
        {"id": "other", "type": "message", "data": {"text": "Other: {{vars.email}}"}},
    ],
    "edges": [
        {"source": "start", "target": "ask"},
        {"source": "ask", "target": "check"},
        {"source": "check", "source_handle": "true", "target": "gmail"},
        {"source": "check", "source_handle": "false", "target": "other"},
    ],
}  # fmt: skip


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org(admin):
    org = setup_whatsapp(admin)
    for flow in (BOOKING, EMAIL):
        response = admin.post("/flows", json=flow)
        assert response.status_code == 201, response.json
    return org


def say(client, org, text, wamid, wa_id="15550002222"):
    body = text_message(text, wamid, wa_id=wa_id)
    assert post_webhook(client, body, org.secret, org.path).status_code == 200


def texts(graph) -> list:
    """What reached Meta: the text of each message, or its interactive body."""
    out = []
    for body in graph.messages():
        if body["type"] == "text":
            out.append(body["text"]["body"])
        elif body["type"] == "interactive":
            out.append(body["interactive"]["body"]["text"])
        else:
            out.append(body["type"])
    return out


def test_keyword_starts_the_flow_with_metas_exact_buttons_request(client, org, graph):
    post_webhook(client, payload("webhook_text.json"), org.secret, org.path)

    [body] = graph.messages()
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Shall we book it?"},
            "action": {"buttons": [
                {"type": "reply", "reply": button} for button in BUTTONS
            ]},
        },
    }  # fmt: skip
    request = graph.requests[-1]
    assert request.path == "/v25.0/200000000000001/messages"
    assert request.headers["Authorization"] == f"Bearer {org.token}"
    reply = db.session.scalar(select(Message).where(Message.direction == "out"))
    assert reply.status == "sent"
    assert reply.wamid.startswith("wamid.")


def test_button_reply_follows_the_buttons_edge(client, org, graph):
    post_webhook(client, payload("webhook_text.json"), org.secret, org.path)

    post_webhook(client, payload("webhook_button_reply.json"), org.secret, org.path)

    assert texts(graph) == ["Shall we book it?", "Booked, Priya Sharma!"]
    session = db.session.scalar(select(FlowSession))
    assert session.status == "completed"


def test_typed_button_title_follows_the_same_edge(client, org, graph):
    say(client, org, "any slot tomorrow?", "wamid.T1")

    say(client, org, "  reschedule ", "wamid.T2")

    assert texts(graph) == ["Shall we book it?", "Let us find another time."]


def test_wrong_answer_reasks_three_times_then_ends(client, org, graph):
    say(client, org, "slot please", "wamid.W0")

    for i in range(1, 5):
        say(client, org, "maybe", f"wamid.W{i}")

    retry = "Please tap one of the buttons."
    assert texts(graph) == ["Shall we book it?", retry, retry, retry]
    assert db.session.scalar(select(FlowSession.status)) == "ended"


def test_wrong_answers_then_fallback_edge(client, org, graph, admin):
    flow = admin.get("/flows").json["items"][0]
    structure = dict(BOOKING)
    structure["nodes"] = BOOKING["nodes"] + [
        {"id": "human", "type": "message", "data": {"text": "A person will help."}}
    ]
    structure["edges"] = BOOKING["edges"] + [
        {"source": "menu", "source_handle": "fallback", "target": "human"}
    ]
    assert admin.put(f"/flows/{flow['id']}", json=structure).status_code == 200
    assert admin.post(f"/flows/{flow['id']}/publish", json={}).status_code == 201
    say(client, org, "slot", "wamid.F0")

    for i in range(1, 5):
        say(client, org, "hmm", f"wamid.F{i}")

    assert texts(graph)[-1] == "A person will help."
    assert len(graph.messages()) == 5


def test_list_reply_follows_its_row(client, org, graph, admin):
    data = payload_json("webhook_list_reply.json")
    row = data["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"][
        "list_reply"
    ]
    flow = {
        "name": "Menu",
        "trigger": {"type": "keyword", "keywords": ["menu"]},
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "pick", "type": "list", "data": {
                "text": "Pick one", "button": "Options",
                "sections": [{"title": "All", "rows": [
                    {"id": row["id"], "title": row["title"][:24]},
                    {"id": "other_row", "title": "Other"},
                ]}],
            }},
            {"id": "a", "type": "message", "data": {"text": "Row picked"}},
            {"id": "b", "type": "message", "data": {"text": "Other picked"}},
        ],
        "edges": [
            {"source": "start", "target": "pick"},
            {"source": "pick", "source_handle": row["id"], "target": "a"},
            {"source": "pick", "source_handle": "other_row", "target": "b"},
        ],
    }  # fmt: skip
    assert admin.post("/flows", json=flow).status_code == 201
    say(client, org, "menu", "wamid.L0", wa_id="15550003333")

    post_webhook(client, data, org.secret, org.path)

    assert texts(graph) == ["Pick one", "Row picked"]
    assert graph.messages()[0]["interactive"]["type"] == "list"


def test_question_saves_a_valid_email_and_condition_branches(client, org, graph):
    say(client, org, "EMAIL", "wamid.E0")
    say(client, org, "not an email", "wamid.E1")

    say(client, org, "Priya@Gmail.com", "wamid.E2")

    assert texts(graph) == [
        "Your email?",
        "That does not look like an email.",
        "Gmail: priya@gmail.com",
    ]
    session = db.session.scalar(select(FlowSession))
    assert session.variables == {"email": "priya@gmail.com"}


def test_condition_takes_the_false_branch(client, org, graph):
    say(client, org, "email", "wamid.E0")

    say(client, org, "asha@example.org", "wamid.E1")

    assert texts(graph)[-1] == "Other: asha@example.org"


def test_message_delivered_twice_is_answered_once(client, org, graph):
    for _ in range(3):
        post_webhook(client, payload("webhook_text.json"), org.secret, org.path)

    assert texts(graph) == ["Shall we book it?"]


def test_publishing_leaves_running_sessions_on_their_version(client, org, graph, admin):
    say(client, org, "slot", "wamid.V0")
    flow = admin.get("/flows").json["items"][0]
    edited = {**BOOKING, "nodes": [dict(n) for n in BOOKING["nodes"]]}
    edited["nodes"][2] = {
        "id": "confirmed",
        "type": "message",
        "data": {"text": "NEW TEXT"},
    }
    assert admin.put(f"/flows/{flow['id']}", json=edited).status_code == 200
    say(client, org, "Confirm", "wamid.V1")
    say(client, org, "slot", "wamid.V2")
    assert admin.post(f"/flows/{flow['id']}/publish", json={}).status_code == 201
    say(client, org, "Confirm", "wamid.V3")
    say(client, org, "slot", "wamid.V4")
    say(client, org, "Confirm", "wamid.V5")

    # A saved draft changes nothing; publishing changes new sessions only.
    assert texts(graph) == [
        "Shall we book it?", "Booked, Priya Sharma!",
        "Shall we book it?", "Booked, Priya Sharma!",
        "Shall we book it?", "NEW TEXT",
    ]  # fmt: skip


def test_stop_opts_the_contact_out_and_ends_the_session(client, org, graph):
    from wfb.contacts.models import Contact

    say(client, org, "slot", "wamid.S0")

    say(client, org, "stop", "wamid.S1")
    say(client, org, "Confirm", "wamid.S2")

    contact = db.session.scalar(select(Contact))
    assert contact.opted_out is True
    assert db.session.scalar(select(FlowSession.status)) == "ended"
    assert texts(graph) == ["Shall we book it?"]


def test_delay_node_resumes_later(client, org, graph, admin):
    flow = {
        "name": "Later",
        "trigger": {"type": "keyword", "keywords": ["later"]},
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "now", "type": "message", "data": {"text": "Now"}},
            {"id": "wait", "type": "delay", "data": {"seconds": 5}},
            {"id": "then", "type": "message", "data": {"text": "Then"}},
        ],
        "edges": [
            {"source": "start", "target": "now"},
            {"source": "now", "target": "wait"},
            {"source": "wait", "target": "then"},
        ],
    }
    assert admin.post("/flows", json=flow).status_code == 201
    say(client, org, "later", "wamid.D0")
    assert texts(graph) == ["Now"]

    assert run_scheduled() == 1

    assert texts(graph) == ["Now", "Then"]


def test_assigned_flow_answers_any_message(client, org, graph, admin):
    flow = {
        "name": "Any",
        "trigger": {"type": "any"},
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "hello",
                "type": "message",
                "data": {"text": "Hello {{contact.name}}"},
            },
        ],
        "edges": [{"source": "start", "target": "hello"}],
    }
    flow_id = admin.post("/flows", json=flow).json["id"]
    admin.put(f"/phone-numbers/{org.number['id']}", json={"flow_id": flow_id})

    say(client, org, "good morning", "wamid.Y0")

    assert texts(graph) == ["Hello Priya Sharma"]


def test_replies_to_one_message_go_out_in_order(client, org, graph, admin):
    nodes = [{"id": "start", "type": "start"}]
    nodes += [
        {"id": f"m{i}", "type": "message", "data": {"text": f"part {i}"}}
        for i in range(5)
    ]
    edges = [{"source": "start", "target": "m0"}]
    edges += [{"source": f"m{i}", "target": f"m{i + 1}"} for i in range(4)]
    flow = {"name": "Many", "trigger": {"type": "keyword", "keywords": ["many"]},
            "nodes": nodes, "edges": edges}  # fmt: skip
    assert admin.post("/flows", json=flow).status_code == 201

    say(client, org, "many", "wamid.M0")

    assert texts(graph) == [f"part {i}" for i in range(5)]
