"""Background processing of stored webhook events, and the sweep that retries them."""

import logging
from datetime import timedelta

from huey import crontab
from sqlalchemy import select

from wfb.extensions import db
from wfb.jobs import periodic_task, task
from wfb.models_base import utcnow
from wfb.webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@task()
def process_webhook_events(event_ids: list[int]) -> None:
    from wfb.webhooks.processing import process_event

    for event_id in event_ids:
        process_event(event_id)


@periodic_task(crontab(minute="*"))
def sweep_webhook_events() -> None:
    """Process events that were stored but never processed (a worker died, say)."""
    from flask import current_app

    from wfb.conversations.outbox import sweep_outbox
    from wfb.flows.sweep import sweep_sessions

    settings = current_app.config["SETTINGS"]
    cutoff = utcnow() - timedelta(seconds=settings.SWEEP_AFTER_SECONDS)
    stale = db.session.scalars(
        select(WebhookEvent.id)
        .where(
            WebhookEvent.processed_at.is_(None),
            WebhookEvent.received_at < cutoff,
            WebhookEvent.attempts < MAX_ATTEMPTS,
        )
        .order_by(WebhookEvent.id)
        .limit(500)
    ).all()
    db.session.rollback()
    if stale:
        process_webhook_events(stale)
    if stale:
        logger.info("sweep re-queued %s webhook events", len(stale))
    sweep_outbox(cutoff)
    sweep_sessions()
