"""Durable, fast acknowledgement of webhooks by group commit.

Meta wants a 200 quickly and retries anything else, while one insert and commit per
request caps a worker at a few thousand a second. Requests therefore hand their body
to one writer per process, which inserts every body waiting at that moment in a single
transaction, enqueues their processing as one task, and then releases the requests to
answer 200: each acknowledged body is already committed.

Under gevent a SQLite call holds the whole worker: no request can even be read while
a commit runs or waits for another process's lock. There the writer does its database
work on a native thread of gevent's pool, so the worker keeps reading requests, which
then form the next batch. PostgreSQL and Redis calls already yield (psycogreen).
"""

import logging
import queue
import threading
from dataclasses import dataclass, field

from sqlalchemy import insert

from wfb.models_base import utcnow
from wfb.webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)
MAX_BATCH = 500
WAIT_SECONDS = 30


class StoreError(RuntimeError):
    """The body could not be stored; the caller answers 5xx so Meta retries."""


@dataclass
class _Pending:
    row: dict
    done: threading.Event = field(default_factory=threading.Event)
    event_id: int | None = None
    error: Exception | None = None


class EventWriter:
    """Commits webhook bodies in batches on a thread (a greenlet under gevent)."""

    def __init__(self, app):
        self.app = app
        self.queue: queue.Queue[_Pending] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.offload = (
            _gevent_active()
            and app.config["SETTINGS"].sqlite
            and not __import__("os").environ.get("NO_OFFLOAD")
        )

    def store(self, org_id, phone_number_id, body: bytes) -> int:
        """Commit one body and answer its event id, once its batch is committed."""
        row = {"org_id": org_id, "phone_number_id": phone_number_id, "body": body}
        pending = _Pending(row)
        self._ensure_running()
        self.queue.put(pending)
        if not pending.done.wait(WAIT_SECONDS):
            raise StoreError("the webhook store did not answer in time")
        if pending.error is not None:
            raise StoreError(str(pending.error)) from pending.error
        return pending.event_id

    def _ensure_running(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="webhook-writer", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                ids = self._blocking(self._write, [p.row for p in batch])
            except Exception as error:
                logger.exception("could not store %s webhook bodies", len(batch))
                _fail(batch, error)
                continue
            for pending, event_id in zip(batch, ids, strict=True):
                pending.event_id = event_id
                pending.done.set()

    def _blocking(self, fn, *args):
        """Run `fn` where its blocking calls hold up no request of this worker."""
        if not self.offload:
            return fn(*args)
        from gevent import get_hub

        return get_hub().threadpool.apply(fn, args)

    def _write(self, rows: list[dict]) -> list[int]:
        """Insert the rows in one transaction, then queue their processing."""
        from wfb.extensions import db
        from wfb.webhooks.tasks import process_webhook_events

        now = utcnow()
        rows = [{**row, "received_at": now, "attempts": 0} for row in rows]
        with self.app.app_context():
            with db.engine.begin() as connection:
                statement = insert(WebhookEvent).returning(
                    WebhookEvent.id, sort_by_parameter_order=True
                )
                ids = connection.execute(statement, rows).scalars().all()
            _enqueue(process_webhook_events, ids)
        return ids


def _enqueue(task, ids: list[int]) -> None:
    # The bodies are committed: if queueing fails, the sweep processes them.
    try:
        task(ids)
    except Exception:
        logger.exception("could not queue webhook events %s", ids)


def _fail(batch: list[_Pending], error: Exception) -> None:
    for pending in batch:
        if not pending.done.is_set():
            pending.error = error
            pending.done.set()


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def writer_for(app) -> EventWriter:
    app = getattr(app, "_get_current_object", lambda: app)()
    writer = app.extensions.get("wfb_event_writer")
    if writer is None:
        writer = app.extensions["wfb_event_writer"] = EventWriter(app)
    return writer
