"""Flows and webhooks facing slow endpoints, hostile input and malformed batches."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.support import payload_json, post_webhook, setup_whatsapp, text_message
from wfb.conversations.models import Message
from wfb.extensions import db
from wfb.flows.models import FlowSession
from wfb.webhooks.models import WebhookEvent

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org(admin):
    return setup_whatsapp(admin)


@pytest.fixture
def endpoint():
    """A business's own HTTP endpoint: records what it got, answers JSON."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(
                json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            )
            status = 500 if self.path == "/fail" else 200
            body = json.dumps({"slot": "17:00", "ok": True}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


def flow_with(admin, keyword, nodes, edges):
    flow = {
        "name": keyword,
        "trigger": {"type": "keyword", "keywords": [keyword]},
        "nodes": [{"id": "start", "type": "start"}, *nodes],
        "edges": edges,
    }
    response = admin.post("/flows", json=flow)
    assert response.status_code == 201, response.json


def say(client, org, text, wamid):
    assert (
        post_webhook(
            client, text_message(text, wamid), org.secret, org.path
        ).status_code
        == 200
    )


def bodies(graph):
    return [m["text"]["body"] for m in graph.messages() if m["type"] == "text"]


def webhook_flow(admin, url):
    flow_with(
        admin,
        "book",
        [
            {
                "id": "call",
                "type": "webhook",
                "data": {"url": url, "save_as": "booking"},
            },
            {
                "id": "ok",
                "type": "message",
                "data": {"text": "Booked at {{vars.booking}}"},
            },
            {"id": "bad", "type": "message", "data": {"text": "Could not book"}},
        ],
        [
            {"source": "start", "target": "call"},
            {"source": "call", "source_handle": "success", "target": "ok"},
            {"source": "call", "source_handle": "error", "target": "bad"},
        ],
    )


def test_webhook_node_posts_the_session_and_saves_the_answer(
    client, org, admin, graph, endpoint
):
    webhook_flow(admin, f"{endpoint.url}/book")

    say(client, org, "book", "wamid.W1")

    [sent] = endpoint.received
    assert sent["contact"]["phone"] == "+15550002222"
    assert sent["session"]["node_id"] == "call"
    assert bodies(graph) == ['Booked at {"slot": "17:00", "ok": true}']
    assert db.session.scalar(select(FlowSession.variables)) == {
        "booking": {"slot": "17:00", "ok": True}
    }


def test_webhook_node_follows_error_when_the_endpoint_fails(
    client, org, admin, graph, endpoint
):
    webhook_flow(admin, f"{endpoint.url}/fail")

    say(client, org, "book", "wamid.W1")

    assert bodies(graph) == ["Could not book"]


def test_webhook_node_follows_error_when_nothing_listens(client, org, admin, graph):
    webhook_flow(admin, "http://127.0.0.1:9/closed")

    say(client, org, "book", "wamid.W1")

    assert bodies(graph) == ["Could not book"]


def test_customer_text_is_never_used_as_a_pattern(client, org, admin, graph):
    flow_with(
        admin,
        "rx",
        [
            {"id": "ask", "type": "question",
             "data": {"text": "Pattern?", "save_as": "x", "validate": "text"}},
            {"id": "check", "type": "condition", "data": {
                "variable": "contact.name", "operator": "matches",
                "value": "{{vars.x}}"}},
            {"id": "yes", "type": "message", "data": {"text": "matched"}},
            {"id": "no", "type": "message", "data": {"text": "no match"}},
        ],
        [
            {"source": "start", "target": "ask"},
            {"source": "ask", "target": "check"},
            {"source": "check", "source_handle": "true", "target": "yes"},
            {"source": "check", "source_handle": "false", "target": "no"},
        ],
    )  # fmt: skip
    say(client, org, "rx", "wamid.R0")

    say(client, org, "(", "wamid.R1")

    assert bodies(graph) == ["Pattern?", "no match"]
    assert db.session.scalar(select(FlowSession.status)) == "completed"


def test_number_question_refuses_infinity(client, org, admin, graph):
    flow_with(
        admin,
        "age",
        [{"id": "ask", "type": "question", "data": {
            "text": "Age?", "save_as": "age", "validate": "number",
            "retry_text": "A number please"}}],
        [{"source": "start", "target": "ask"}],
    )  # fmt: skip
    say(client, org, "age", "wamid.N0")

    say(client, org, "1e999", "wamid.N1")
    say(client, org, "42", "wamid.N2")

    assert bodies(graph) == ["Age?", "A number please"]
    assert db.session.scalar(select(FlowSession.variables)) == {"age": 42}


def test_malformed_messages_do_not_fail_the_rest_of_the_batch(client, org):
    data = payload_json("webhook_text.json")
    value = data["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        {**good, "id": "wamid.BAD1", "text": "just a string"},
        {**good, "id": "wamid.BAD2", "from": 919800000004},
        {**good, "id": {"a": 1}},
        {
            **good,
            "id": "wamid.BAD4",
            "type": "interactive",
            "interactive": {"type": ["x"]},
        },
        {**good, "id": "wamid.BAD5", "type": ["text"]},
        good,
    ]
    data["entry"].append(
        {"id": "x", "changes": [{"field": "messages", "value": [1, 2]}]}
    )

    response = post_webhook(client, data, org.secret, org.path)

    assert response.status_code == 200
    event = db.session.scalar(select(WebhookEvent))
    assert (event.processed_at is not None, event.error) == (True, None)
    stored = dict(db.session.execute(select(Message.wamid, Message.type)).all())
    assert stored == {
        "wamid.BAD1": "unsupported",
        "wamid.BAD4": "interactive",
        "wamid.BAD5": "unsupported",
        good["id"]: "text",
    }


def test_status_webhook_for_an_inbound_message_changes_nothing(client, org):
    say(client, org, "hello", "wamid.IN")
    status = payload_json("webhook_status_read.json")
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = "wamid.IN"

    post_webhook(client, status, org.secret, org.path)

    assert db.session.scalar(select(Message.status)) == "received"
