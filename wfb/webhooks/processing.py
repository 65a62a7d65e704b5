"""Turning one stored webhook body into messages, statuses and flow runs.

Every entry, change, message and status of a batch is handled, each message in its own
transaction. Processing is idempotent: a message is unique by its wamid and a status
only moves forward, so a redelivered body or a second run changes nothing.
"""

import json
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wfb.conversations import ingest, media, outbox
from wfb.extensions import db
from wfb.logs import bind_org
from wfb.message_templates import updates as template_updates
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.webhooks.models import WebhookEvent
from wfb.webhooks.tasks import MAX_ATTEMPTS

logger = logging.getLogger(__name__)
RACE_RETRIES = 3


def process_event(event_id: int) -> None:
    event = db.session.get(WebhookEvent, event_id)
    if event is None or event.processed_at is not None:
        return
    event.attempts += 1
    db.session.commit()

    try:
        payload = json.loads(event.body)
        for entry in _items(payload, "entry"):
            for change in _items(entry, "changes"):
                _handle_change(event, change, entry.get("id"))
    except Exception as error:
        db.session.rollback()
        logger.exception(
            "webhook event %s failed (attempt %s)", event_id, event.attempts
        )
        event.error = f"{type(error).__name__}: {error}"[:2000]
        if event.attempts >= MAX_ATTEMPTS:
            event.processed_at = utcnow()
        db.session.commit()
        return

    event.processed_at = utcnow()
    event.error = None
    db.session.commit()


def _items(container, key: str) -> list:
    items = container.get(key) if isinstance(container, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _handle_change(event: WebhookEvent, change: dict, waba_id=None) -> None:
    field = change.get("field")
    value = change.get("value")
    if field in template_updates.FIELDS and isinstance(value, dict):
        template_updates.apply_change(event.org_id, waba_id, field, value)
        return
    if field != "messages" or not isinstance(value, dict):
        logger.info("webhook event %s: change field %s not handled", event.id, field)
        return
    number = _number_for(event, value)
    if number is None:
        return
    bind_org(number.org_id)
    names = _profile_names(value)
    for message in _items(value, "messages"):
        _receive(number, message, names)
    for status in _items(value, "statuses"):
        ingest.apply_status(number, status)
        db.session.commit()
    for error in _items(value, "errors"):
        logger.warning(
            "Meta reported error %s for number %s: %s",
            error.get("code"),
            number.phone_number_id,
            error.get("title"),
        )


def _profile_names(value: dict) -> dict[str, str]:
    names = {}
    for contact in _items(value, "contacts"):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        if isinstance(contact.get("wa_id"), str) and isinstance(name, str):
            names[contact["wa_id"]] = name
    return names


def _number_for(event: WebhookEvent, value: dict) -> PhoneNumber | None:
    """The number a change is for, refusing numbers outside the event's org."""
    metadata = value.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    phone_id = str(metadata.get("phone_number_id") or "")
    query = select(PhoneNumber).where(PhoneNumber.phone_number_id == phone_id)
    if event.org_id is not None:
        query = query.where(PhoneNumber.org_id == event.org_id)
    if event.phone_number_id is not None and phone_id != event.phone_number_id:
        query = query.where(False)
    number = db.session.scalar(query)
    if number is None:
        logger.warning("webhook event %s: unknown number %s", event.id, phone_id)
    elif not number_org_active(number):
        logger.info("webhook event %s: org %s is not active", event.id, number.org_id)
        return None
    return number


def number_org_active(number: PhoneNumber) -> bool:
    from wfb.accounts.models import Org

    org = db.session.get(Org, number.org_id)
    return org is not None and org.active


def _receive(number: PhoneNumber, payload: dict, names: dict) -> None:
    """Store one message and let automation answer it, in one transaction."""
    if not ingest.well_formed(payload):
        logger.warning("malformed inbound message skipped: %.80r", payload.get("id"))
        return
    profile_name = names.get(payload["from"])
    try:
        received, follow_ups = _store_and_answer(number, payload, profile_name)
    except Exception:
        db.session.rollback()
        logger.exception(
            "automation failed on message %s; stored unanswered", payload["id"]
        )
        received, follow_ups = _store_only(number, payload, profile_name), []
    if received is None:
        return
    if received.message.type in media.MEDIA_TYPES:
        media.fetch(received.message.id)
    outbox.deliver(received.conversation.id)
    for follow_up in follow_ups:
        follow_up()


def _store_and_answer(number, payload, profile_name):
    from wfb.flows import engine

    for _ in range(RACE_RETRIES):
        try:
            received = ingest.receive_message(number, payload, profile_name)
            if received is None:
                db.session.rollback()
                return None, []
            follow_ups = engine.handle_inbound(received)
            db.session.commit()
            return received, follow_ups
        except IntegrityError:
            # Another worker stored the same contact or message first: look again.
            db.session.rollback()
    raise RuntimeError(f"message {payload['id']} kept colliding with other writers")


def _store_only(number, payload, profile_name):
    try:
        received = ingest.receive_message(number, payload, profile_name)
        db.session.commit()
        return received
    except IntegrityError:
        db.session.rollback()
        return None
