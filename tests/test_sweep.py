"""The periodic sweep: what a dead worker left behind is finished, never doubled."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support import setup_whatsapp, text_message
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.flows.models import FlowSession
from wfb.models_base import utcnow
from wfb.webhooks.models import WebhookEvent
from wfb.webhooks.tasks import sweep_webhook_events

pytestmark = pytest.mark.usefixtures("app")

HELLO = {
    "name": "Hello",
    "trigger": {"type": "any"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "ask", "type": "question",
         "data": {"text": "Your name?", "save_as": "name", "validate": "text"}},
        {"id": "bye", "type": "message", "data": {"text": "Thanks {{vars.name}}"}},
    ],
    "edges": [{"source": "start", "target": "ask"}, {"source": "ask", "target": "bye"}],
}  # fmt: skip


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org(admin):
    org = setup_whatsapp(admin)
    flow_id = admin.post("/flows", json=HELLO).json["id"]
    admin.put(f"/phone-numbers/{org.number['id']}", json={"flow_id": flow_id})
    return org


def stored_event(org, wamid: str, age_seconds: int) -> int:
    body = json.dumps(text_message("hello", wamid)).encode()
    event = WebhookEvent(
        org_id=org.org_id,
        body=body,
        received_at=utcnow() - timedelta(seconds=age_seconds),
    )
    db.session.add(event)
    db.session.commit()
    return event.id


def test_sweep_processes_an_event_that_was_never_processed(org, graph):
    event_id = stored_event(org, "wamid.LOST", age_seconds=120)
    fresh_id = stored_event(org, "wamid.FRESH", age_seconds=0)

    sweep_webhook_events()

    db.session.expire_all()
    assert db.session.get(WebhookEvent, event_id).processed_at is not None
    assert db.session.get(WebhookEvent, fresh_id).processed_at is None
    assert [m["text"]["body"] for m in graph.messages()] == ["Your name?"]


def test_sweep_marks_messages_left_sending_unknown_and_sends_pending(
    client, org, graph
):
    stored_event(org, "wamid.ONE", age_seconds=120)
    sweep_webhook_events()
    conversation = db.session.scalar(select(Conversation))
    old = utcnow() - timedelta(minutes=5)
    stuck = Message(
        org_id=org.org_id,
        conversation_id=conversation.id,
        direction="out",
        type="text",
        text="stuck",
        status="sending",
        status_at=old,
        payload={"type": "text", "text": {"body": "stuck"}},
        created_at=old,
    )
    left = Message(org_id=org.org_id, conversation_id=conversation.id, direction="out",
                   type="text", text="left", status="pending", created_at=old,
                   payload={"messaging_product": "whatsapp", "to": "+15550002222",
                            "type": "text", "text": {"body": "left"}})  # fmt: skip
    db.session.add_all([stuck, left])
    db.session.commit()

    sweep_webhook_events()

    db.session.expire_all()
    assert db.session.get(Message, stuck.id).status == "unknown"
    assert db.session.get(Message, left.id).status == "sent"
    assert [m["text"]["body"] for m in graph.messages()] == ["Your name?", "left"]


def test_silent_session_expires_after_a_day_and_the_flow_starts_over(org, graph):
    stored_event(org, "wamid.A", age_seconds=120)
    sweep_webhook_events()
    session = db.session.scalar(select(FlowSession))
    session.last_activity_at = utcnow() - timedelta(hours=25)
    db.session.commit()

    sweep_webhook_events()
    stored_event(org, "wamid.B", age_seconds=120)
    sweep_webhook_events()

    db.session.expire_all()
    statuses = db.session.scalars(select(FlowSession.status).order_by(FlowSession.id))
    assert list(statuses) == ["expired", "waiting"]
    assert [m["text"]["body"] for m in graph.messages()] == ["Your name?", "Your name?"]


def test_body_of_an_unexpected_shape_is_processed_without_error(org):
    event = WebhookEvent(org_id=org.org_id, body=b'{"entry": 5}',
                         received_at=utcnow() - timedelta(minutes=5))  # fmt: skip
    db.session.add(event)
    db.session.commit()

    sweep_webhook_events()

    db.session.expire_all()
    stored = db.session.get(WebhookEvent, event.id)
    assert stored.processed_at is not None
    assert stored.error is None


def test_sweep_leaves_events_that_used_all_their_attempts(org):
    event_id = stored_event(org, "wamid.TIRED", age_seconds=120)
    db.session.get(WebhookEvent, event_id).attempts = 5
    db.session.commit()

    sweep_webhook_events()

    db.session.expire_all()
    event = db.session.get(WebhookEvent, event_id)
    assert (event.attempts, event.processed_at) == (5, None)
