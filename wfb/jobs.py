"""Background work on Huey: SQLite storage in the embedded mode, Redis when scaled.

Tasks are declared at import time on one Huey object; `init_app` points its storage at
the backend the settings choose. Every task runs inside the app's context, so it can use
the database like a request does.
"""

import functools
import time
from contextvars import ContextVar
import importlib
import logging

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
    "wfb.flows.engine",
    "wfb.sandbox.tasks",
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
        huey.storage_kwargs = {"filename": settings.HUEY_SQLITE_PATH}
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


class _PacedWorker(Worker):
    """A queue worker that gives way to web requests sharing its gevent thread.

    A greenlet runs until it waits for I/O, so a task's ORM work would take its turn
    between every two requests and slow them all. At each pause (before a task and
    after each commit of one) this worker waits until the web side is idle, but no
    longer than `1 / BACKGROUND_SHARE - 1` times the time it has just run: it is never
    starved, and uses a busy worker's time only at that share.
    """

    def initialize(self):
        super().initialize()
        _paced_since.set(time.monotonic())

    def loop(self, now=None):
        pause_for_requests()
        return super().loop(now)


BACKGROUND_SHARE = float(__import__("os").environ.get("BG_SHARE", "0.15"))
_paced_since: ContextVar[float | None] = ContextVar("paced_since", default=None)


def pause_for_requests(*_args) -> None:
    """In a paced worker, let waiting web requests go first (see _PacedWorker)."""
    since = _paced_since.get()
    if since is None:
        return
    import gevent

    ran = time.monotonic() - since
    owed = ran * (1 / BACKGROUND_SHARE - 1)
    if owed > 0:
        with gevent.Timeout(owed, False):
            gevent.idle()
    _paced_since.set(time.monotonic())


class _EmbeddedConsumer(Consumer):
    """A consumer that lives inside the web process and leaves its signals alone."""

    worker_class = Worker

    def _set_signal_handlers(self):
        pass


def start_embedded_consumer(workers: int = 2) -> Consumer:
    """Run the queue's workers as threads of this process (the embedded mode)."""
    worker_type = "greenlet" if _gevent_active() else "thread"
    if worker_type == "greenlet" and not __import__("os").environ.get("NO_PACE"):
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        _EmbeddedConsumer.worker_class = _PacedWorker
        event.listen(Session, "after_commit", pause_for_requests)
    consumer = _EmbeddedConsumer(
        huey,
        workers=workers,
        worker_type=worker_type,
        initial_delay=0.005,
        backoff=1.3,
        max_delay=0.1,
        check_worker_health=False,
    )
    consumer.start()
    logger.info(
        "embedded queue consumer started with %s %s workers", workers, worker_type
    )
    return consumer


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")
