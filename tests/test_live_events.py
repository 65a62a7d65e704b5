"""Live events: sent once the change commits, never after a rollback, kept for
clients catching up, across processes through Redis in the scaled shape."""

import os
import time

import pytest
import redis

from wfb.extensions import db
from wfb.live import events
from wfb.live.events import HISTORY, LocalBroker, RedisBroker, emit, order

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL")


def test_an_event_goes_out_when_its_transaction_commits(app):
    broker = events.broker()
    with broker.subscribe(41) as subscription:
        emit(41, "conversation.updated", {"id": 7})
        assert subscription.get(0.05) is None

        db.session.commit()

        event = subscription.get(1)
        assert (event.type, event.data) == ("conversation.updated", {"id": 7})


def test_a_rolled_back_change_sends_nothing(app):
    broker = events.broker()
    with broker.subscribe(42) as subscription:
        emit(42, "message.created", {"id": 1})
        db.session.rollback()
        db.session.commit()

        assert subscription.get(0.05) is None


def test_events_go_only_to_their_orgs_subscribers():
    broker = LocalBroker()
    with broker.subscribe(1) as mine, broker.subscribe(2) as theirs:
        broker.publish(1, "message.created", {"id": 1})

        assert mine.get(0.5).data == {"id": 1}
        assert theirs.get(0.05) is None


def test_ids_order_events_and_since_answers_what_came_after():
    broker = LocalBroker()
    sent = [broker.publish(3, "message.created", {"n": n}) for n in range(5)]

    assert [order(e.id) for e in sent] == sorted(order(e.id) for e in sent)
    assert len({e.id for e in sent}) == 5
    missed = broker.since(3, sent[1].id)
    assert [e.data["n"] for e in missed] == [2, 3, 4]
    assert broker.since(3, sent[4].id) == []
    assert broker.since(4, sent[0].id) == []


def test_since_answers_none_when_the_missed_events_are_no_longer_kept():
    broker = LocalBroker()
    first = broker.publish(5, "message.created", {"n": 0})
    for n in range(HISTORY):
        broker.publish(5, "message.created", {"n": n + 1})

    assert broker.since(5, first.id) is None
    assert len(broker.since(5, "0-0")) == HISTORY


def test_a_client_that_does_not_read_is_dropped_not_waited_for():
    broker = LocalBroker()
    with broker.subscribe(6) as slow:
        for n in range(events.INBOX_SIZE + 1):
            broker.publish(6, "message.created", {"n": n})

        assert slow.dropped is True


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("wfb:live:*"):
        client.delete(key)
    return RedisBroker(REDIS_URL)


@needs_redis
def test_redis_carries_an_event_to_a_broker_of_another_process(redis_broker):
    publisher = RedisBroker(REDIS_URL)  # as another process's broker would be
    with redis_broker.subscribe(7) as subscription:
        wait_until_listening(redis_broker)

        sent = publisher.publish(7, "message.status", {"status": "read"}, audience=3)

        event = subscription.get(2)
        assert event == sent
        assert event.audience == 3


@needs_redis
def test_redis_keeps_the_recent_past_for_catching_up(redis_broker):
    sent = [redis_broker.publish(8, "message.created", {"n": n}) for n in range(4)]

    missed = redis_broker.since(8, sent[0].id)

    assert [e.data["n"] for e in missed] == [1, 2, 3]
    assert redis_broker.since(8, sent[3].id) == []


def wait_until_listening(broker, seconds=5.0):
    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + seconds
    while client.pubsub_numsub(events.CHANNEL)[0][1] == 0:
        assert time.monotonic() < deadline, "the broker never subscribed"
        time.sleep(0.02)


def test_a_sales_user_hears_only_of_conversations_given_to_them():
    from wfb.live.socket import _visible

    theirs = events.Event("1-0", "message.created", {}, audience=7)
    someone_elses = events.Event("1-1", "message.created", {}, audience=8)
    nobodys = events.Event("1-2", "conversation.updated", {}, audience=None)
    progress = events.Event("1-3", "campaign.progress", {})

    heard = [e.id for e in (theirs, someone_elses, nobodys, progress)
             if _visible(e, user_id=7, sales=True)]  # fmt: skip
    assert heard == ["1-0"]
    assert all(
        _visible(e, user_id=9, sales=False)
        for e in (theirs, someone_elses, nobodys, progress)
    )
