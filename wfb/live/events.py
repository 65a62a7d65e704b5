"""Live events: what just happened in an org, for its connected clients.

Code that changes something calls `emit` inside its transaction; the events go out
once the transaction commits and are dropped if it rolls back, so a client never hears
of a change that did not happen. Each event gets an id that orders it within its org,
so a client that reconnects can ask for what it missed (`since`).

Embedded mode: one process, so events travel through an in-process broker. Scaled
mode: an event is appended to its org's short Redis stream (which gives the id and
keeps the recent past) and published on one Redis channel, which every web process
listens to and fans out to its own clients.
"""

import json
import logging
import queue
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

import redis
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

# An event meant for every user of the org; sales users see only events about
# conversations assigned to them.
EVERYONE = "everyone"
HISTORY = 1000  # events kept per org for clients catching up
INBOX_SIZE = 1000  # events waiting for one slow client before it is dropped
CHANNEL = "wfb:live"
STREAM = "wfb:live:{}"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict
    # EVERYONE, or the user id of the conversation's assignee (None: nobody's).
    audience: int | str | None = EVERYONE

    def body(self) -> str:
        return json.dumps({"id": self.id, "type": self.type, "data": self.data})

    def encoded(self, org_id: int) -> str:
        return json.dumps({"org": org_id, **self.__dict__})


def order(event_id: str) -> tuple[int, int]:
    """An event id as a sortable pair; ids look like Redis stream ids ("ms-seq")."""
    first, _, second = event_id.partition("-")
    return int(first), int(second or 0)


def emit(org_id: int, kind: str, data: dict, audience=EVERYONE) -> None:
    """Send an event to the org's clients once the current transaction commits."""
    from wfb.extensions import db

    # Begun for sure, so that a rollback, even of nothing else, forgets the event.
    db.session.connection()
    db.session.info.setdefault("live_events", []).append((org_id, kind, data, audience))


@sa_event.listens_for(Session, "after_commit")
def _send_committed(session) -> None:
    for org_id, kind, data, audience in session.info.pop("live_events", ()):
        try:
            broker().publish(org_id, kind, data, audience)
        except redis.RedisError:
            logger.warning("live event %s of org %s was not published", kind, org_id)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction) -> None:
    # Only the outermost rollback undoes everything; a savepoint's keeps the rest.
    if previous_transaction.parent is None:
        session.info.pop("live_events", None)


class Subscription:
    """One client's inbox of its org's events."""

    def __init__(self, broker, org_id: int):
        self.broker, self.org_id = broker, org_id
        self.inbox: queue.Queue = queue.Queue(INBOX_SIZE)
        self.dropped = False

    def deliver(self, event: Event) -> None:
        try:
            self.inbox.put_nowait(event)
        except queue.Full:
            # The client is not reading; it will reconnect and catch up.
            self.dropped = True

    def get(self, timeout: float) -> Event | None:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.broker.unsubscribe(self)


class LocalBroker:
    """Events within one process, with the recent past of each org kept in memory."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[int, set] = defaultdict(set)
        self._history: dict[int, deque] = defaultdict(lambda: deque(maxlen=HISTORY))
        self._last = (0, 0)

    def publish(self, org_id: int, kind: str, data: dict, audience=EVERYONE) -> Event:
        with self._lock:
            now = int(time.time() * 1000)
            self._last = (now, 0) if now > self._last[0] else (now, self._last[1] + 1)
            event = Event(f"{self._last[0]}-{self._last[1]}", kind, data, audience)
            self._history[org_id].append(event)
        self._fan_out(org_id, event)
        return event

    def subscribe(self, org_id: int) -> Subscription:
        subscription = Subscription(self, org_id)
        with self._lock:
            self._subscribers[org_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers[subscription.org_id].discard(subscription)

    def since(self, org_id: int, event_id: str) -> list[Event] | None:
        """The org's events after `event_id`; None when they are no longer all kept."""
        with self._lock:
            history = list(self._history.get(org_id, ()))
        return _after(history, event_id, full=len(history) < HISTORY)

    def _fan_out(self, org_id: int, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(org_id, ()))
        for subscription in subscribers:
            subscription.deliver(event)


class RedisBroker(LocalBroker):
    """Events across processes: a short stream per org and one channel for all."""

    def __init__(self, url: str):
        super().__init__()
        self.redis = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        # Waits for the channel without a read timeout; pings keep the link checked.
        self.listening = redis.Redis.from_url(
            url, decode_responses=True, socket_keepalive=True, health_check_interval=30
        )
        self._listener: threading.Thread | None = None

    def publish(self, org_id: int, kind: str, data: dict, audience=EVERYONE) -> Event:
        fields = {"type": kind, "data": json.dumps(data)}
        fields["audience"] = json.dumps(audience)
        event_id = self.redis.xadd(
            STREAM.format(org_id), fields, maxlen=HISTORY, approximate=True
        )
        event = Event(event_id, kind, data, audience)
        self.redis.publish(CHANNEL, event.encoded(org_id))
        return event

    def subscribe(self, org_id: int) -> Subscription:
        self._listen()
        return super().subscribe(org_id)

    def since(self, org_id: int, event_id: str) -> list[Event] | None:
        stream = STREAM.format(org_id)
        entries = self.redis.xrange(stream, f"({event_id}", "+", count=HISTORY + 1)
        if len(entries) > HISTORY:
            return None
        oldest = self.redis.xrange(stream, "-", "+", count=1)
        if oldest and order(oldest[0][0]) > order(event_id) and not _is_start(event_id):
            # The stream was trimmed past the client's last event.
            return None
        return [
            Event(
                entry_id,
                fields["type"],
                json.loads(fields["data"]),
                json.loads(fields["audience"]),
            )
            for entry_id, fields in entries
        ]

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            self._listener = threading.Thread(
                target=self._relay, name="live-events", daemon=True
            )
            self._listener.start()

    def _relay(self) -> None:
        """Hand every event published by any process to this process's clients."""
        while True:
            try:
                pubsub = self.listening.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    body = json.loads(message["data"])
                    org_id = body.pop("org")
                    self._fan_out(org_id, Event(**body))
            except (redis.RedisError, OSError, ValueError):
                logger.warning("live events lost Redis; listening again in a second")
                time.sleep(1)


def _is_start(event_id: str) -> bool:
    return order(event_id) == (0, 0)


def _after(history: list[Event], event_id: str, full: bool) -> list[Event] | None:
    last = order(event_id)
    if history and not full and order(history[0].id) > last and not _is_start(event_id):
        return None
    return [event for event in history if order(event.id) > last]


_brokers: dict[str, LocalBroker] = {}
_brokers_lock = threading.Lock()


def broker() -> LocalBroker:
    """This process's broker for the app's shape (Redis when the app is scaled)."""
    settings = current_app.config["SETTINGS"]
    key = settings.REDIS_URL if settings.scaled else ""
    with _brokers_lock:
        if key not in _brokers:
            _brokers[key] = RedisBroker(key) if key else LocalBroker()
        return _brokers[key]
