"""The shared inbox: who sees which conversation, the 24-hour window, and what people
do to a conversation (reply, assign, hand back, close, read)."""

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from wfb.accounts.models import User
from wfb.campaigns import fit
from wfb.contacts.models import Contact
from wfb.conversations import outbox
from wfb.conversations.models import Conversation, MediaFile, Message
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.jobs import task
from wfb.live.events import emit
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.phones import e164
from wfb.tenancy import scoped
from wfb.whatsapp import messages
from wfb.whatsapp.client import client_for
from wfb.whatsapp.errors import GraphError

logger = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)
# Who may be given a conversation.
ASSIGNABLE_ROLES = ("admin", "marketing", "sales")


def window_closes_at(conversation: Conversation) -> datetime | None:
    """When the customer-service window closes: 24 hours after the customer's last
    message, by Meta's timestamp; None when the customer never wrote."""
    if conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + WINDOW


def window_open(conversation: Conversation, now: datetime | None = None) -> bool:
    closes = window_closes_at(conversation)
    return closes is not None and (now or utcnow()) < closes


def visible(user: User, org_id: int):
    """A SELECT of the conversations this user may see: sales users only theirs."""
    query = scoped(Conversation, org_id)
    if user.role == "sales":
        query = query.where(Conversation.assigned_user_id == user.id)
    return query


def listing(user: User, org_id: int, filters: dict):
    """The user's conversations with the filters of the list, most recent first."""
    query = visible(user, org_id)
    if filters.get("status"):
        query = query.where(Conversation.status == filters["status"])
    assigned = filters.get("assigned")
    if assigned == "me":
        query = query.where(Conversation.assigned_user_id == user.id)
    elif assigned == "none":
        query = query.where(Conversation.assigned_user_id.is_(None))
    if filters.get("unread"):
        query = query.where(Conversation.unread_count > 0)
    if filters.get("phone_number_id"):
        query = query.where(Conversation.phone_number_id == filters["phone_number_id"])
    if search := (filters.get("q") or "").strip():
        pattern = f"%{search.lower()}%"
        query = query.join(Contact, Contact.id == Conversation.contact_id).where(
            func.lower(Contact.name).like(pattern) | Contact.phone.like(pattern)
        )
    last = func.coalesce(Conversation.last_message_at, Conversation.created_at)
    return query.order_by(last.desc(), Conversation.id.desc())


def find(user: User, org_id: int, wa_id: str, phone_number_id: int | None):
    """The conversation with this customer that the user may see, or a 404.

    With several numbers the org names one; without, the customer's latest
    conversation is meant.
    """
    digits = wa_id.removeprefix("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise DomainError(f"'{wa_id}' is not a WhatsApp number.", status=404)
    query = (
        visible(user, org_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.phone == "+" + digits)
    )
    if phone_number_id is not None:
        query = query.where(Conversation.phone_number_id == phone_number_id)
    conversation = db.session.scalar(
        query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    )
    if conversation is None:
        raise DomainError(f"No conversation with {wa_id}.", status=404)
    return conversation


def history(conversation: Conversation, before: int | None, limit: int):
    """A page of messages, newest first, older than the message id `before`."""
    query = select(Message).where(
        Message.org_id == conversation.org_id,
        Message.conversation_id == conversation.id,
    )
    if before is not None:
        query = query.where(Message.id < before)
    found = db.session.scalars(query.order_by(Message.id.desc()).limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more else None)


def customer_phone(org_id: int, to: str, region: str) -> str | None:
    """The E.164 number a sender means by `to`: a WhatsApp id (digits) of a known
    customer, a number with its country code, or one written as the org's country
    writes it."""
    raw = to.strip()
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.isdigit():
        known = db.session.scalar(
            scoped(Contact, org_id)
            .with_only_columns(Contact.phone)
            .where(Contact.phone == "+" + digits)
        )
        if known:
            return known
        return e164(raw, region) or e164("+" + digits, region, strict=False)
    return e164(raw, region, strict=not raw.startswith("+"))


def start_or_find(org_id: int, number: PhoneNumber, contact: Contact) -> Conversation:
    """The conversation of this contact on this number, made if it is new."""
    conversation = db.session.scalar(
        scoped(Conversation, org_id).where(
            Conversation.phone_number_id == number.id,
            Conversation.contact_id == contact.id,
        )
    )
    if conversation is None:
        conversation = Conversation(
            org_id=org_id, phone_number_id=number.id, contact_id=contact.id
        )
        db.session.add(conversation)
        db.session.flush()
    return conversation


def reply(conversation: Conversation, payload: dict, user: User) -> Message:
    """Queue a person's message; a free-form one needs the window open."""
    if payload["type"] != "template" and not window_open(conversation):
        raise DomainError(
            outbox.WINDOW_CLOSED,
            status=422,
            errors={"json": {"text": ["The customer has not written in 24 hours."]}},
        )
    message = outbox.queue(conversation, payload)
    message.sent_by_id = user.id
    conversation.unread_count = 0
    if conversation.status == "closed":
        conversation.status = "open"
    db.session.flush()
    return message


def payload_for(contact: Contact, data: dict) -> dict:
    """Meta's payload for a reply of text, media or a template; a template's values
    are checked against the synced template first, as campaigns check them."""
    to = contact.phone
    if data.get("text") is not None:
        return messages.text(to, data["text"], preview_url=True)
    if data.get("media") is not None:
        media = data["media"]
        return messages.media(
            to,
            media["type"],
            link=media.get("link"),
            media_id=media.get("id"),
            caption=media.get("caption"),
            filename=media.get("filename"),
        )
    spec = data["template"]
    plan, problems = fit.plan_for(contact.org_id, spec)
    if plan is None:
        errors = {problem.field: [problem.message] for problem in problems}
        raise DomainError(problems[0].message, 422, errors={"json": errors})
    try:
        components = plan.components(contact)
    except fit.Unfit as unfit:
        raise DomainError(unfit.reason, 422) from None
    return messages.template(to, plan.name, plan.language, components)


def assign(conversation: Conversation, member: User | None) -> None:
    """Give the conversation to a member of its org (None: to nobody)."""
    if member is not None and (
        member.org_id != conversation.org_id or member.role not in ASSIGNABLE_ROLES
    ):
        raise DomainError(f"No member with id {member.id} in this organization.", 422)
    conversation.assigned_user_id = member.id if member else None
    if member is not None:
        conversation.handed_off = True


def hand_back(conversation: Conversation) -> None:
    """Let automation answer the conversation again."""
    conversation.handed_off = False
    conversation.assigned_user_id = None


def close(conversation: Conversation) -> None:
    conversation.status = "closed"


def mark_read(conversation: Conversation) -> None:
    conversation.unread_count = 0


def tell_meta_read(conversation: Conversation) -> None:
    """Mark the customer's last message read on WhatsApp too, after the answer."""
    last = db.session.scalar(
        select(Message.id)
        .where(
            Message.org_id == conversation.org_id,
            Message.conversation_id == conversation.id,
            Message.direction == "in",
        )
        .order_by(Message.id.desc())
    )
    if last is not None:
        mark_read_on_meta(last)


@task()
def mark_read_on_meta(message_id: int) -> None:
    message = db.session.get(Message, message_id)
    if message is None:  # deleted with its contact meanwhile
        return
    conversation = db.session.get(Conversation, message.conversation_id)
    number = db.session.get(PhoneNumber, conversation.phone_number_id)
    try:
        client_for(number).mark_read(number.phone_number_id, message.wamid)
    except GraphError as error:
        # Only the ticks the customer sees depend on it; nothing to retry for.
        logger.warning("Meta did not mark message %s read: %s", message_id, error)


# Shown in the browser only where it cannot carry scripts; everything else downloads.
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "audio/", "video/")


def disposition(stored: MediaFile) -> str:
    """The Content-Disposition to serve a stored media file with."""
    mime = stored.mime_type or ""
    inline = any(mime.startswith(kind) for kind in INLINE_TYPES)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", stored.filename or "")[:100]
    name = name or f"media-{stored.message_id}"
    return f'{"inline" if inline else "attachment"}; filename="{name}"'


def changed(conversation: Conversation, previous_assignee: int | None = None) -> None:
    """Tell the org's clients the conversation changed; a sales user who lost it is
    told too, so it leaves their list."""
    body = {
        "id": conversation.id,
        "status": conversation.status,
        "assigned_user_id": conversation.assigned_user_id,
        "handed_off": conversation.handed_off,
        "unread_count": conversation.unread_count,
    }
    org_id, assignee = conversation.org_id, conversation.assigned_user_id
    emit(org_id, "conversation.updated", body, assignee)
    if previous_assignee and previous_assignee != assignee:
        emit(org_id, "conversation.updated", body, previous_assignee)
    logger.info("conversation %s changed", conversation.id)
