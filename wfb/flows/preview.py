"""The preview: a chat with a flow's saved draft on the org's sandbox number.

Each user previews as a customer of their own, on a fictional phone number made from
their id, so teammates previewing at the same time never answer each other's flows.
The draft is frozen as a preview version and started as a session; what the customer
then writes or taps goes through the sandbox's signed webhook, so the real pipeline
answers it, as it would a customer of a real number.
"""

import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import update

from wfb.accounts.models import User
from wfb.contacts.models import Contact
from wfb.conversations import outbox
from wfb.conversations.models import Conversation, Message
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.flows import engine, service
from wfb.flows.models import OPEN, Flow, FlowSession
from wfb.flows.validation import check_flow
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox import webhooks
from wfb.sandbox.numbers import ensure_sandbox_number
from wfb.sandbox.phone import (
    CHAT_LIMIT,
    Customer,
    customer_message,
    send_read_receipts,
)
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

PREVIEW_NAME = "Preview"
# 555-0100 to 555-0199 are set aside for fiction in every North American area code,
# so a preview customer is never a real person's phone.
AREA_CODES = (
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218,
    219, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260,
    262, 267, 269, 270, 276, 281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312,
    313, 314,
)  # fmt: skip
REPLY_KINDS = ("button_reply", "list_reply")
# Meta's reply ids are at most 256 characters, and titles far shorter.
MAX_REPLY_FIELD = 256
ENDED = "The preview has ended. Restart it to chat with the flow again."
SANDBOX_OFF = (
    "The preview chats with the flow on a sandbox number, and the sandbox is off "
    "on this server (WFB_SANDBOX)."
)


@dataclass
class Preview:
    """What the preview panel shows one user for one flow."""

    number: PhoneNumber | None = None
    contact: Contact | None = None
    session: FlowSession | None = None
    messages: list[Message] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.status in OPEN


def sandbox_on() -> bool:
    return current_app.config["SETTINGS"].WFB_SANDBOX


def preview_phone(user_id: int) -> str:
    """The E.164 phone of the user's preview customer.

    Limitation: two users of one org whose ids differ by a multiple of 5,000 share
    a preview customer, so each sees the other's preview chat.
    """
    area = AREA_CODES[(user_id // 100) % len(AREA_CODES)]
    return f"+1{area}55501{user_id % 100:02d}"


def load(flow: Flow, user: User) -> Preview:
    """The user's preview of this flow as it stands; reads only, creates nothing."""
    number = _sandbox_number(flow.org_id)
    if number is None:
        return Preview()
    contact = db.session.scalar(
        scoped(Contact, flow.org_id).where(Contact.phone == preview_phone(user.id))
    )
    conversation = _conversation(number, contact) if contact else None
    if conversation is None:
        return Preview(number, contact)

    session = db.session.scalar(
        scoped(FlowSession, flow.org_id)
        .where(
            FlowSession.conversation_id == conversation.id,
            FlowSession.flow_id == flow.id,
        )
        .order_by(FlowSession.id.desc())
    )
    messages = _chat(conversation, session) if session else []
    return Preview(number, contact, session, messages)


def start(flow: Flow, user: User) -> None:
    """Run the saved draft from its start node, in place of any earlier preview."""
    _ensure_sandbox()
    problems = check_flow(flow.structure, flow.org_id)
    if problems:
        raise DomainError(f"Fix the draft first: {problems[0].message}", status=422)
    number = ensure_sandbox_number(flow.org_id)
    contact = _preview_contact(flow.org_id, user)
    conversation = _conversation(number, contact) or _new_conversation(number, contact)
    # One start at a time per chat, so that a double click leaves one session open.
    db.session.refresh(conversation, with_for_update=True)
    db.session.execute(
        update(FlowSession)
        .where(
            FlowSession.org_id == flow.org_id,
            FlowSession.conversation_id == conversation.id,
            FlowSession.status.in_(OPEN),
        )
        .values(status="ended")
    )
    conversation.handed_off = False
    version = service.preview_version(flow, user)

    run = engine.start(version, conversation, contact, user.org)
    db.session.commit()
    logger.info("user %s previews flow %s", user.id, flow.id)

    # As a resumed session does: send what the start queued, then the follow-ups.
    outbox.deliver(conversation.id)
    for follow_up in run.follow_ups:
        follow_up()


def send(flow: Flow, user: User, form) -> None:
    """Post what the preview customer wrote or tapped, as Meta would."""
    _ensure_sandbox()
    preview = load(flow, user)
    if not preview.running:
        raise DomainError(ENDED, status=409)
    if form.get("kind") in REPLY_KINDS and not _reply_fits(form):
        raise DomainError("A tap needs its reply's id and title.", status=422)
    message, error = customer_message(preview.number, form)
    if error:
        raise DomainError(error, status=422)

    wa_id = preview.contact.wa_id
    try:
        code = webhooks.post_inbound(preview.number, wa_id, PREVIEW_NAME, message)
    except webhooks.SandboxNotReady:
        code = None
    # The webhook answered in a database session of its own: read its work afresh.
    db.session.expire_all()
    if code != 200:
        logger.warning("preview message of flow %s refused: %s", flow.id, code)
        refused = f"The webhook refused the message ({code or 'no WhatsApp account'})."
        raise DomainError(refused, status=502)


def _reply_fits(form) -> bool:
    values = [form.get("reply_id") or "", form.get("title") or ""]
    return all(0 < len(value.strip()) <= MAX_REPLY_FIELD for value in values)


def mark_read(preview: Preview) -> None:
    """Mark the business's delivered messages read, as the phone shows them."""
    customer = Customer(PREVIEW_NAME, preview.contact.phone)
    send_read_receipts(preview.number, customer, preview.messages)


def _ensure_sandbox() -> None:
    if not sandbox_on():
        raise DomainError(SANDBOX_OFF, status=409)


def _sandbox_number(org_id: int) -> PhoneNumber | None:
    query = scoped(PhoneNumber, org_id).where(PhoneNumber.is_sandbox.is_(True))
    return db.session.scalar(query.order_by(PhoneNumber.id))


def _preview_contact(org_id: int, user: User) -> Contact:
    phone = preview_phone(user.id)
    contact = db.session.scalar(scoped(Contact, org_id).where(Contact.phone == phone))
    if contact is None:
        contact = Contact(
            org_id=org_id, phone=phone, name=PREVIEW_NAME, tags=[], attributes={}
        )
        db.session.add(contact)
        db.session.flush()
    return contact


def _conversation(number: PhoneNumber, contact: Contact) -> Conversation | None:
    return db.session.scalar(
        scoped(Conversation, number.org_id).where(
            Conversation.phone_number_id == number.id,
            Conversation.contact_id == contact.id,
        )
    )


def _new_conversation(number: PhoneNumber, contact: Contact) -> Conversation:
    conversation = Conversation(
        org_id=number.org_id, phone_number_id=number.id, contact_id=contact.id
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def _chat(conversation: Conversation, session: FlowSession) -> list[Message]:
    """The latest messages of this session's run, from its start to the next one's."""
    org_id = conversation.org_id
    query = scoped(Message, org_id).where(
        Message.conversation_id == conversation.id,
        Message.created_at >= session.created_at,
    )
    following = db.session.scalar(
        scoped(FlowSession, org_id)
        .with_only_columns(FlowSession.created_at)
        .where(
            FlowSession.conversation_id == conversation.id,
            FlowSession.id > session.id,
        )
        .order_by(FlowSession.id)
    )
    if following is not None:
        query = query.where(Message.created_at < following)
    latest = query.order_by(Message.id.desc()).limit(CHAT_LIMIT)
    return list(reversed(db.session.scalars(latest).all()))
