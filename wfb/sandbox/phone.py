"""The customer's side of the sandbox phone: who they are, what their screen shows,
and what they send when they write or tap.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.phones import e164
from wfb.sandbox import webhooks
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

DEFAULT_CUSTOMER = ("Priya Sharma", "+919876543210")
# Keeps a long chat's 1-second refresh cheap; older messages live in the inbox.
CHAT_LIMIT = 100


@dataclass
class Customer:
    """The person the sandbox user plays: a name and an E.164 phone."""

    name: str
    phone: str
    error: str | None = None

    @property
    def wa_id(self) -> str:
        return self.phone.lstrip("+")


def customer_from(values, region: str) -> Customer:
    """The customer named in a form or query, with the demo customer as default."""
    name = (values.get("name") or "").strip()[:200] or DEFAULT_CUSTOMER[0]
    raw = (values.get("phone") or "").strip() or DEFAULT_CUSTOMER[1]
    phone = e164(raw, region, strict=False)
    if phone is None:
        message = f"“{raw}” is not a phone number; using {DEFAULT_CUSTOMER[1]}."
        return Customer(name, DEFAULT_CUSTOMER[1], message)
    return Customer(name, phone)


def chat_messages(number: PhoneNumber, customer: Customer) -> list[Message]:
    """The latest messages between the customer and the number, oldest first."""
    conversation_id = db.session.scalar(
        select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Conversation.org_id == number.org_id,
            Conversation.phone_number_id == number.id,
            Contact.phone == customer.phone,
        )
    )
    if conversation_id is None:
        return []
    query = (
        scoped(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(CHAT_LIMIT)
    )
    return list(reversed(db.session.scalars(query).all()))


def send_read_receipts(number, customer: Customer, messages: list[Message]) -> None:
    """Mark the business's delivered messages as read, now that they are on screen."""
    entries = [
        webhooks.status(m.wamid, customer.wa_id, "read")
        for m in messages
        if m.direction == "out" and m.status == "delivered" and m.wamid
    ]
    if not entries:
        return
    try:
        webhooks.post_statuses(number, entries)
    except webhooks.SandboxNotReady:
        logger.warning("sandbox number %s cannot sign read receipts", number.id)


def customer_message(number: PhoneNumber, form) -> tuple[dict | None, str | None]:
    """The message part of the webhook for what the customer wrote or tapped."""
    kind = form.get("kind", "text")
    context = None
    if form.get("context"):
        context = webhooks.reply_context(number, form["context"])
    if kind == "button_reply":
        return webhooks.button_reply(form["reply_id"], form["title"], context), None
    if kind == "list_reply":
        description = form.get("description", "")
        reply = webhooks.list_reply(
            form["reply_id"], form["title"], description, context
        )
        return reply, None

    text = form.get("text", "").strip()
    if not text:
        return None, "Write a message first."
    if len(text) > 4096:
        return None, "WhatsApp messages are at most 4096 characters."
    return webhooks.text(text), None
