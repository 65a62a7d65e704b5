"""Meta's answers to our sends, and the statuses that follow them."""

import logging

import pytest
from sqlalchemy import select

from tests.support import (
    payload_json,
    post_webhook,
    run_scheduled,
    setup_whatsapp,
    text_message,
)
from wfb.conversations.models import Message
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

HELLO = {
    "name": "Hello",
    "trigger": {"type": "any"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "hello", "type": "message", "data": {"text": "Hello!"}},
    ],
    "edges": [{"source": "start", "target": "hello"}],
}


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin):
    org = setup_whatsapp(admin)
    flow_id = admin.post("/flows", json=HELLO).json["id"]
    admin.put(f"/phone-numbers/{org.number['id']}", json={"flow_id": flow_id})
    return org


def say(client, org, wamid="wamid.IN1"):
    body = text_message("hi", wamid)
    assert post_webhook(client, body, org.secret, org.path).status_code == 200


def reply() -> Message:
    db.session.expire_all()
    return db.session.scalar(select(Message).where(Message.direction == "out"))


def status_webhook(wamid: str, status: str, timestamp: str, errors=None) -> dict:
    data = payload_json("webhook_status_delivered.json")
    entry = data["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update(id=wamid, status=status, timestamp=timestamp)
    if errors:
        entry["errors"] = errors
    return data


def test_throughput_error_is_retried_and_ends_sent(client, org, graph):
    graph.fail_next(code=130429, times=1)

    say(client, org)
    assert reply().status == "pending"
    run_scheduled()

    assert reply().status == "sent"
    assert len(graph.messages()) == 2


def test_window_closed_error_says_a_template_is_needed(client, org, graph):
    graph.fail_next(code=131047, times=1)

    say(client, org)

    message = reply()
    assert message.status == "failed"
    assert message.error_code == 131047
    assert "template" in message.error_title
    assert run_scheduled() == 0


def test_undeliverable_recipient_is_marked_failed_with_metas_title(client, org, graph):
    graph.fail_next(code=131026, times=1)

    say(client, org)

    message = reply()
    assert (message.status, message.error_code) == ("failed", 131026)
    assert message.error_title
    assert run_scheduled() == 0


def test_template_problem_fails_the_message(client, org, graph):
    graph.fail_next(code=132001, times=1)

    say(client, org)

    assert (reply().status, reply().error_code) == ("failed", 132001)


def test_expired_token_fails_and_tells_the_admin(client, org, graph, caplog):
    graph.fail_next(code=190, times=1)

    with caplog.at_level(logging.ERROR):
        say(client, org)

    assert (reply().status, reply().error_code) == ("failed", 190)
    assert any("renew" in r.getMessage() for r in caplog.records)
    assert org.token not in caplog.text


def test_timeout_after_sending_marks_unknown_and_never_resends(client, org, graph):
    graph.delay_next(2.0)

    say(client, org)
    run_scheduled()

    assert reply().status == "unknown"
    assert len(graph.messages()) == 1


def test_statuses_out_of_order_end_at_the_furthest(client, org):
    say(client, org)
    wamid = reply().wamid

    for status, ts in (("read", "1788500300"), ("delivered", "1788500200"),
                       ("sent", "1788500100")):  # fmt: skip
        body = status_webhook(wamid, status, ts)
        assert post_webhook(client, body, org.secret, org.path).status_code == 200

    assert reply().status == "read"


def test_failed_status_keeps_metas_code_and_is_final(client, org):
    say(client, org)
    wamid = reply().wamid
    errors = [{"code": 131026, "title": "Message undeliverable"}]

    post_webhook(
        client, status_webhook(wamid, "failed", "2", errors), org.secret, org.path
    )
    post_webhook(client, status_webhook(wamid, "delivered", "3"), org.secret, org.path)

    message = reply()
    assert (message.status, message.error_code) == ("failed", 131026)
    assert message.error_title == "Message undeliverable"


def test_redelivered_status_changes_nothing(client, org):
    say(client, org)
    wamid = reply().wamid
    body = status_webhook(wamid, "delivered", "1788500200")

    post_webhook(client, body, org.secret, org.path)
    first = reply().status_at
    post_webhook(client, body, org.secret, org.path)

    assert reply().status == "delivered"
    assert reply().status_at == first


def test_send_that_keeps_being_throttled_fails_after_its_last_try(client, org, graph):
    graph.fail_next(code=130429, times=100)

    say(client, org)
    while run_scheduled():
        pass

    message = reply()
    assert (message.status, message.error_code) == ("failed", 130429)
    assert message.error_title.startswith("Gave up after 9 tries")
    assert len(graph.messages()) == 9
