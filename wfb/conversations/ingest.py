"""Storing what Meta reports: inbound messages (once each) and delivery statuses."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from wfb.campaigns.statuses import apply_recipient_status
from wfb.contacts.models import Contact
from wfb.conversations import media
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.live.events import emit
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


def well_formed(payload: dict) -> bool:
    """Whether an inbound message has the sender and id it must be stored under."""
    sender, wamid = payload.get("from"), payload.get("id")
    return (
        isinstance(sender, str)
        and sender.isascii()
        and sender.isdigit()
        and 5 <= len(sender) <= 20
        and isinstance(wamid, str)
        and 0 < len(wamid) <= 200
    )


def receive_message(number, payload: dict, profile_name: str | None):
    """Add an inbound message to the session; None when it was stored before.

    Nothing is committed here: the caller commits the message together with what
    automation decides to answer, so a failure leaves no half-handled message.
    A concurrent insert of the same row raises IntegrityError; the caller retries.
    """
    if _known(number.org_id, payload["id"]):
        return None

    contact = _contact(number.org_id, payload["from"], profile_name)
    conversation = _conversation(number, contact)
    message = _message(number.org_id, conversation, payload)
    db.session.add(message)
    db.session.flush()

    _touch(conversation, message)
    media.note(message)
    announce(message, conversation)
    return Received(number, contact, conversation, message)


def _known(org_id: int, wamid: str) -> bool:
    query = select(Message.id).where(Message.org_id == org_id, Message.wamid == wamid)
    return db.session.scalar(query) is not None


def _get_or_create(model, lookup: dict, defaults: dict):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **defaults)
        db.session.add(row)
        db.session.flush()
    return row


def _contact(org_id: int, wa_id: str, profile_name) -> Contact:
    profile_name = profile_name if isinstance(profile_name, str) else None
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
    kind = payload.get("type")
    known = isinstance(kind, str) and kind in KNOWN_TYPES
    if not known or not isinstance(payload.get(kind), dict | list):
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


# Where each message type keeps a line worth showing, in order of preference.
SUMMARY_FIELDS = {
    "text": ("body",),
    "interactive": ("title",),
    "button": ("text",),
    "image": ("caption",),
    "video": ("caption",),
    "document": ("caption", "filename"),
    "location": ("name", "address"),
    "reaction": ("emoji",),
    "system": ("body",),
}


def summary(payload: dict) -> str:
    """A readable line for an inbound message of any type, however malformed."""
    kind = payload.get("type") if isinstance(payload.get("type"), str) else None
    body = payload.get(kind) if kind else None
    body = body if isinstance(body, dict) else {}
    if kind == "interactive":
        reply = (
            body.get(body.get("type")) if isinstance(body.get("type"), str) else None
        )
        body = reply if isinstance(reply, dict) else {}
    for name in SUMMARY_FIELDS.get(kind, ()):
        if isinstance(body.get(name), str) and body[name]:
            return body[name]
    if kind == "text":
        return ""
    if kind == "reaction":
        return "[reaction removed]"
    return f"[{kind if kind in KNOWN_TYPES else 'unsupported'}]"


def announce(message: Message, conversation: Conversation) -> None:
    """Tell the org's clients of a new message, once it is committed."""
    data = {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "direction": message.direction,
    }
    emit(conversation.org_id, "message.created", data, conversation.assigned_user_id)


def announce_status(message: Message) -> None:
    assignee = db.session.scalar(
        select(Conversation.assigned_user_id).where(
            Conversation.id == message.conversation_id
        )
    )
    data = {
        "conversation_id": message.conversation_id,
        "message_id": message.id,
        "status": message.status,
    }
    emit(message.org_id, "message.status", data, assignee)


def apply_status(number: PhoneNumber, status: dict) -> None:
    """Move an outbound message's or a campaign recipient's status forward; older
    news changes nothing."""
    wamid, value = status.get("id"), status.get("status")
    if not isinstance(wamid, str) or not isinstance(value, str):
        logger.warning("status without a readable id or value skipped")
        return
    message = db.session.scalar(
        select(Message).where(
            Message.org_id == number.org_id,
            Message.wamid == wamid,
            Message.direction == "out",
        )
    )
    at = meta_time(status.get("timestamp"))
    if message is None:
        if not apply_recipient_status(number.org_id, status, at):
            logger.info("status %s for unknown message %s", value, wamid)
        return
    moved = message.advance(value, at)
    if moved:
        announce_status(message)
    if moved and message.status == "failed":
        errors = status.get("errors")
        error = errors[0] if isinstance(errors, list) and errors else {}
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        message.error_code = code if isinstance(code, int) else None
        title = error.get("title") or error.get("message")
        message.error_title = str(title)[:300] if title else None
