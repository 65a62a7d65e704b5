"""Logging that carries the request, org and task ids on every line."""

import logging
import uuid
from contextvars import ContextVar

from flask import g, has_request_context, request

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
org_id_var: ContextVar[str] = ContextVar("org_id", default="-")
task_id_var: ContextVar[str] = ContextVar("task_id", default="-")

FORMAT = (
    "%(asctime)s %(levelname)s %(name)s "
    "[req=%(request_id)s org=%(org_id)s task=%(task_id)s] %(message)s"
)


class ContextFilter(logging.Filter):
    """Adds the ids of the request, org and task being served to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.org_id = org_id_var.get()
        record.task_id = task_id_var.get()
        if has_request_context():
            record.request_id = g.get("request_id", record.request_id)
            record.org_id = g.get("org_id", record.org_id) or "-"
        return True


def init_app(app) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_wfb", False)]
    handler._wfb = True
    root.addHandler(handler)
    root.setLevel(app.config["SETTINGS"].LOG_LEVEL)

    @app.before_request
    def assign_request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        return response


def bind_org(org_id) -> None:
    """Mark the org being served, for the log lines that follow."""
    if has_request_context():
        g.org_id = str(org_id)
    else:
        org_id_var.set(str(org_id))
