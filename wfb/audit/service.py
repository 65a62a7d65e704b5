"""Recording the security-relevant actions: logins, team and role changes,
credentials, org status. Details never carry a secret."""

import logging

from flask import has_request_context, request
from sqlalchemy import select

from wfb.audit.models import AuditEvent
from wfb.extensions import db
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)


def record(action: str, org_id=None, actor=None, target=None, **details) -> AuditEvent:
    """Add an event to the session; it is saved by the caller's commit.

    `actor` is a user or a user id; `org_id` is None for the platform's own events.
    """
    event = AuditEvent(
        action=action,
        org_id=org_id,
        actor_id=getattr(actor, "id", actor),
        target=str(target or "")[:320],
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    logger.info(
        "audit %s org=%s actor=%s target=%s",
        action,
        org_id,
        event.actor_id,
        event.target,
    )
    return event


def events(org_id: int | None = None):
    """A SELECT of audit events, newest first, of one org or of all."""
    query = select(AuditEvent) if org_id is None else scoped(AuditEvent, org_id)
    return query.order_by(AuditEvent.id.desc())
