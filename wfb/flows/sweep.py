"""Ending sessions that the customer left silent for longer than the timeout."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from wfb.extensions import db
from wfb.flows.models import FlowSession
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)


def sweep_sessions() -> None:
    hours = current_app.config["SETTINGS"].SESSION_TIMEOUT_HOURS
    expired = db.session.execute(
        update(FlowSession)
        .where(
            FlowSession.status.in_(("waiting", "delayed")),
            FlowSession.last_activity_at < utcnow() - timedelta(hours=hours),
        )
        .values(status="expired")
    ).rowcount
    db.session.commit()
    if expired:
        logger.info("%s silent flow sessions expired", expired)
