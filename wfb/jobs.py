"""Background work on Huey: SQLite storage in the embedded mode, Redis when scaled.

Tasks are declared at import time on one Huey object; `init_app` points its storage at
the backend the settings choose. Every task runs inside the app's context, so it can use
the database like a request does.
"""

import contextlib
import functools
import importlib
import logging
import threading
import time
from contextvars import ContextVar

from flask import has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Worker

from wfb.logs import org_id_var, task_id_var

logger = logging.getLogger(__name__)

huey = Huey("wfb", immediate=True)
_app = None


TASK_MODULES = (
    "wfb.accounts.tasks",
    "wfb.webhooks.tasks",
    "wfb.conversations.outbox",
    "wfb.conversations.inbox",
    "wfb.conversations.media",
    "wfb.conversations.leads",
    "wfb.flows.engine",
    "wfb.sandbox.tasks",
    "wfb.campaigns.tasks",
)


def init_app(app) -> None:
    """Choose the queue's storage and remember the app that tasks run in."""
    global _app
    _app = app
    for module in TASK_MODULES:
        importlib.import_module(module)
    settings = app.config["SETTINGS"]
    if settings.scaled:
        huey.storage_class = RedisHuey.storage_class
        huey.storage_kwargs = {"url": settings.REDIS_URL, "blocking": True}
    else:
        huey.storage_class = SqliteHuey.storage_class
        # Every enqueue would otherwise wait for a disk sync. A queue lost to a power
        # cut is redone by the sweep: webhook bodies live in the main database.
        huey.storage_kwargs = {"filename": settings.HUEY_SQLITE_PATH, "fsync": False}
    huey.immediate = settings.HUEY_IMMEDIATE
    if not huey.immediate:
        huey.storage = huey.create_storage()


def task(**options):
    """Declare a Huey task that runs inside the app context with its id logged."""

    def decorate(fn):
        return huey.task(context=True, **options)(_with_task_id(_in_app(fn)))

    return decorate


def periodic_task(validate_datetime, **options):
    """Declare a periodic Huey task that runs inside the app context."""

    def decorate(fn):
        run = _with_task_id(_in_app(fn))
        return huey.periodic_task(validate_datetime, context=True, **options)(run)

    return decorate


def _in_app(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app.app_context():
            return fn(*args, **kwargs)

    return run


def _with_task_id(fn):
    @functools.wraps(fn)
    def run(*args, task=None, **kwargs):
        task_token = task_id_var.set(task.id if task else "-")
        org_token = org_id_var.set("-")
        try:
            return fn(*args, **kwargs)
        finally:
            org_id_var.reset(org_token)
            task_id_var.reset(task_token)

    return run


# Under gevent a task's greenlet shares one thread with the web requests and runs
# until it waits for I/O. Workers therefore pause before each task and after each
# commit while webhook requests are waiting in this process, for at most the time
# they just ran (counted up to PAUSE_BASIS) times 1 / BACKGROUND_SHARE - 1: a busy
# web worker keeps about nine tenths of its time, and the queue is never starved.
BACKGROUND_SHARE = 0.1
PAUSE_BASIS = 0.01
PAUSE_STEP = 0.0005
_running_since: ContextVar[float | None] = ContextVar("running_since", default=None)
_task_queued: threading.Event | None = None
_requests_waiting = 0


class _EmbeddedWorker(Worker):
    """A queue worker inside a web process: woken at once by this process's tasks,
    and giving way to its web requests under gevent (see BACKGROUND_SHARE)."""

    def initialize(self):
        super().initialize()
        if _gevent_active():
            _running_since.set(time.monotonic())

    def loop(self, now=None):
        give_way_to_requests()
        return super().loop(now)

    def sleep(self):
        # Polling is only the fallback: the webhook writer says when it queued work.
        if _task_queued is None:
            return super().sleep()
        self.delay = min(self.delay, self.max_delay)
        if _task_queued.wait(self.delay):
            _task_queued.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


def give_way_to_requests(*_args) -> None:
    """In an embedded worker under gevent, let waiting web requests run first."""
    since = _running_since.get()
    if since is None:
        return
    import gevent

    now = time.monotonic()
    until = now + min(now - since, PAUSE_BASIS) * (1 / BACKGROUND_SHARE - 1)
    gevent.sleep(0)
    while _requests_waiting and time.monotonic() < until:
        gevent.sleep(PAUSE_STEP)
    _running_since.set(time.monotonic())


@contextlib.contextmanager
def foreground():
    """Mark a web request as waiting, so that embedded workers give way to it."""
    global _requests_waiting
    _requests_waiting += 1
    try:
        yield
    finally:
        _requests_waiting -= 1


def task_queued() -> None:
    """Wake this process's embedded workers: a task is waiting for them."""
    if _task_queued is not None:
        _task_queued.set()


class _EmbeddedConsumer(Consumer):
    """A consumer that lives inside the web process and leaves its signals alone."""

    worker_class = _EmbeddedWorker

    def _set_signal_handlers(self):
        pass


def start_embedded_consumer(workers: int = 2) -> Consumer:
    """Run the queue's workers as threads of this process (the embedded mode)."""
    global _task_queued
    worker_type = "greenlet" if _gevent_active() else "thread"
    if worker_type == "greenlet":
        _give_way_after_commits()
    _task_queued = threading.Event()
    consumer = _EmbeddedConsumer(
        huey,
        workers=workers,
        worker_type=worker_type,
        initial_delay=0.01,
        backoff=1.5,
        max_delay=0.1,
        check_worker_health=False,
    )
    consumer.start()
    logger.info(
        "embedded queue consumer started with %s %s workers", workers, worker_type
    )
    return consumer


def _give_way_after_commits() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", give_way_to_requests):
        event.listen(Session, "after_commit", give_way_to_requests)


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")
