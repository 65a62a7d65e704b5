"""Background work on Huey: SQLite storage in the embedded mode, Redis when scaled.

Tasks are declared at import time on one Huey object; `init_app` points its storage at
the backend the settings choose. Every task runs inside the app's context, so it can use
the database like a request does.
"""

import functools
import importlib
import logging

from flask import has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from wfb.logs import org_id_var, task_id_var

logger = logging.getLogger(__name__)

huey = Huey("wfb", immediate=True)
_app = None


TASK_MODULES = (
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


class _EmbeddedConsumer(Consumer):
    """A consumer that lives inside the web process and leaves its signals alone."""

    def _set_signal_handlers(self):
        pass


def start_embedded_consumer(workers: int = 2) -> Consumer:
    """Run the queue's workers as threads of this process (the embedded mode)."""
    worker_type = "greenlet" if _gevent_active() else "thread"
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
