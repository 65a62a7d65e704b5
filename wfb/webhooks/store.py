"""Durable, fast acknowledgement of webhooks by group commit.

Meta wants a 200 quickly and retries anything else, while one insert and commit per
request caps a worker at a few thousand a second. Requests therefore hand their body
to one writer per process, which inserts every body waiting at that moment in a single
transaction, enqueues their processing as one task, and then releases the requests to
answer 200: each acknowledged body is already committed.

Under gevent a SQLite call holds up the whole worker: no request is even read while a
commit runs, waits for another process's lock, or while Huey's SQLite queue syncs to
disk. There the writer does its database work on a native thread of gevent's pool,
and the worker meanwhile reads the requests that make up the next batch. PostgreSQL
and Redis calls already let other requests run (psycogreen, gevent sockets).
"""

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import insert

from wfb.jobs import foreground, task_queued
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
    error: Exception | None = None


class EventWriter:
    """Commits webhook bodies in batches on a thread (a greenlet under gevent)."""

    def __init__(self, app):
        self.app = app
        self.queue: queue.Queue[_Pending] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.running: int | None = None
        self.offload = _gevent_active() and app.config["SETTINGS"].sqlite

    def store(self, org_id, phone_number_id, body: bytes) -> None:
        """Return once the body is committed; StoreError if it could not be."""
        row = {"org_id": org_id, "phone_number_id": phone_number_id, "body": body}
        pending = _Pending(row)
        self._ensure_running()
        self.queue.put(pending)
        with foreground():
            answered = pending.done.wait(WAIT_SECONDS)
        if not answered:
            raise StoreError("the webhook store did not answer in time")
        if pending.error is not None:
            raise StoreError(str(pending.error)) from pending.error

    def _ensure_running(self) -> None:
        # A flag, not Thread.is_alive(): under gevent that call lets other requests
        # run first, which breaks batches into pairs. The pid notices a fork.
        if self.running == os.getpid():
            return
        with self.lock:
            if self.running != os.getpid():
                self.running = os.getpid()
                self.thread = threading.Thread(
                    target=self._run, name="webhook-writer", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self.running = None

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._blocking(self._write, [p.row for p in batch])
            except Exception as error:
                logger.exception("could not store %s webhook bodies", len(batch))
                _fail(batch, error)
                continue
            task_queued()
            for pending in batch:
                pending.done.set()

    def _next_batch(self) -> list[_Pending]:
        batch = [self.queue.get()]
        # Let the requests that are already running reach the queue, so that they
        # share this commit rather than each waiting for one of their own.
        time.sleep(0)
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _blocking(self, fn, *args):
        """Run `fn` where its blocking calls hold up no request of this worker."""
        if not self.offload:
            return fn(*args)
        from gevent import get_hub

        return get_hub().threadpool.apply(fn, args)

    def _write(self, rows: list[dict]) -> None:
        """Insert the rows in one transaction, then queue their processing."""
        from wfb.extensions import db
        from wfb.webhooks.tasks import process_webhook_events

        now = utcnow()
        rows = [{**row, "received_at": now, "attempts": 0} for row in rows]
        with self.app.app_context():
            with db.engine.begin() as connection:
                statement = insert(WebhookEvent).returning(WebhookEvent.id)
                ids = sorted(connection.execute(statement, rows).scalars())
            _enqueue(process_webhook_events, ids)


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
