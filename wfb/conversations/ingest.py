"""Storing what Meta reports: inbound messages (once each) and delivery statuses."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber

logger = logging.getLogger(__name__)

KNOWN_TYPES = {
    "text", "interactive", "button", "image", "video", "audio", "document",
    "sticker", "location", "contacts", "reaction", "order", "system",
}  # fmt: skip


@dataclass
class Received:
    """An inbound message just stored, with where it belongs."""

    number: PhoneNumber
    contact: Contact
    conversation: Conversation
    message: Message


def receive_message(number, payload: dict, profile_name: str | None):
    """Store an inbound message; None when it was stored before (a redelivery)."""
    wa_id = payload.get("from")
    wamid = payload.get("id")
    if not wa_id or not wamid:
        logger.warning("inbound message without sender or id skipped: %s", wamid)
        return None
    if _known(number.org_id, wamid):
        return None

    contact = _contact(number.org_id, wa_id, profile_name)
    conversation = _conversation(number, contact)
    message = _message(number.org_id, conversation, payload)
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        logger.info("message %s arrived twice; the copy is ignored", wamid)
        return None

    _touch(conversation, message)
    return Received(number, contact, conversation, message)


def _known(org_id: int, wamid: str) -> bool:
    query = select(Message.id).where(Message.org_id == org_id, Message.wamid == wamid)
    return db.session.scalar(query) is not None


def _get_or_create(model, lookup: dict, defaults: dict):
    """Fetch a row by its unique key, or insert it, surviving a concurrent insert."""
    query = select(model).filter_by(**lookup)
    row = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = model(**lookup, **defaults)
            db.session.add(row)
        return row
    except IntegrityError:
        return db.session.scalar(query)


def _contact(org_id: int, wa_id: str, profile_name: str | None) -> Contact:
    contact = _get_or_create(
        Contact,
        {"org_id": org_id, "phone": "+" + wa_id},
        {"name": profile_name or "", "tags": [], "attributes": {}},
    )
    if profile_name and not contact.name:
        contact.name = profile_name
    return contact


def _conversation(number: PhoneNumber, contact: Contact) -> Conversation:
    return _get_or_create(
        Conversation,
        {"phone_number_id": number.id, "contact_id": contact.id},
        {"org_id": number.org_id},
    )


def _message(org_id: int, conversation: Conversation, payload: dict) -> Message:
    kind = payload.get("type") or "unsupported"
    if kind not in KNOWN_TYPES:
        kind = "unsupported"
    return Message(
        org_id=org_id,
        conversation_id=conversation.id,
        wamid=payload["id"],
        direction="in",
        type=kind,
        text=summary(payload),
        payload=payload,
        status="received",
        context_wamid=(payload.get("context") or {}).get("id"),
        timestamp=meta_time(payload.get("timestamp")),
    )


def _touch(conversation: Conversation, message: Message) -> None:
    at = message.timestamp
    if conversation.last_inbound_at is None or at > conversation.last_inbound_at:
        conversation.last_inbound_at = at
    conversation.last_message_at = max(filter(None, [conversation.last_message_at, at]))
    conversation.unread_count += 1
    if conversation.status == "closed":
        conversation.status = "open"


def meta_time(value) -> datetime:
    """Meta's Unix-seconds string as an aware datetime; now when it is missing."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def summary(payload: dict) -> str:
    """A readable line for an inbound message of any type."""
    kind = payload.get("type")
    body = payload.get(kind) if isinstance(payload.get(kind), dict) else {}
    if kind == "text":
        return body.get("body", "")
    if kind == "interactive":
        reply = body.get(body.get("type")) or {}
        return reply.get("title", "")
    if kind == "button":
        return body.get("text", "")
    if kind in ("image", "video", "document", "audio", "sticker"):
        return body.get("caption") or body.get("filename") or f"[{kind}]"
    if kind == "location":
        return (
            body.get("name")
            or f"[location {body.get('latitude')}, {body.get('longitude')}]"
        )
    if kind == "reaction":
        return body.get("emoji") or "[reaction removed]"
    if kind == "system":
        return body.get("body", "")
    return f"[{kind or 'unsupported'}]"


def apply_status(number: PhoneNumber, status: dict) -> None:
    """Move an outbound message's status forward; older news changes nothing."""
    wamid = status.get("id")
    message = db.session.scalar(
        select(Message).where(Message.org_id == number.org_id, Message.wamid == wamid)
    )
    if message is None:
        logger.info("status %s for unknown message %s", status.get("status"), wamid)
        return
    moved = message.advance(
        status.get("status", ""), meta_time(status.get("timestamp"))
    )
    if moved and message.status == "failed":
        error = (status.get("errors") or [{}])[0]
        message.error_code = error.get("code")
        message.error_title = error.get("title") or error.get("message")
