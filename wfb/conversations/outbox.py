"""Outbound messages: queued in the same transaction as the decision to send them,
then delivered in order, each at most once.

A message is `pending` until a sender claims it (`sending`), then `sent` with its
wamid, or `failed` with Meta's code, or `unknown` when the request went out but no
answer came back: such a message is never sent again, because Meta may have it.
"""

import logging
from datetime import datetime

from sqlalchemy import func, select, update

from wfb.conversations.ingest import announce, announce_status
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.jobs import task
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.whatsapp import ratelimit
from wfb.whatsapp.client import client_for
from wfb.whatsapp.errors import GraphError, GraphTimeout
from wfb.whatsapp.messages import preview

logger = logging.getLogger(__name__)
# Seconds between tries of a throttled or unreachable send; then it fails. The
# longest wait stays under the sweep's cutoff, so the sweep never doubles a retry.
RETRY_DELAYS = (1, 2, 4, 8, 15, 30, 30, 30)
WINDOW_CLOSED = "The 24-hour window is closed: send a template instead."


def queue(conversation: Conversation, payload: dict) -> Message:
    """Add a message to the conversation's outbox; it goes out after the commit."""
    message = Message(
        org_id=conversation.org_id,
        conversation_id=conversation.id,
        direction="out",
        type=payload.get("type", "text"),
        text=preview(payload),
        payload=payload,
        status="pending",
    )
    db.session.add(message)
    db.session.flush()
    conversation.last_message_at = utcnow()
    announce(message, conversation)
    return message


def deliver(conversation_id: int, attempt: int = 0) -> None:
    """Send the pending messages in order, stopping at an error worth a retry."""
    pending = db.session.scalars(
        select(Message.id)
        .where(Message.conversation_id == conversation_id, Message.status == "pending")
        .order_by(Message.id)
    ).all()
    give_up = attempt >= len(RETRY_DELAYS)
    for message_id in pending:
        if not _send_one(message_id, give_up):
            delay = RETRY_DELAYS[attempt]
            deliver_later.schedule((conversation_id, attempt + 1), delay=delay)
            return


@task()
def deliver_later(conversation_id: int, attempt: int) -> None:
    deliver(conversation_id, attempt)


def _claim(message_id: int) -> bool:
    claimed = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "pending")
        .values(status="sending", status_at=utcnow())
    ).rowcount
    db.session.commit()
    return claimed == 1


def _send_one(message_id: int, give_up: bool = False) -> bool:
    """Send one claimed message; False when it should be tried again later."""
    if not _claim(message_id):
        return True
    message = db.session.get(Message, message_id)
    conversation = db.session.get(Conversation, message.conversation_id)
    number = db.session.get(PhoneNumber, conversation.phone_number_id)

    try:
        client = client_for(number)
        ratelimit.acquire(number.phone_number_id, number.messages_per_second)
        wamid = client.send_message(number.phone_number_id, message.payload)
    except GraphTimeout:
        logger.warning("message %s timed out after sending; marked unknown", message_id)
        _finish(message, "unknown")
        return True
    except GraphError as error:
        return _failed(message, number, error, give_up)

    message.wamid = wamid
    _finish(message, "sent")
    return True


def _failed(message, number: PhoneNumber, error: GraphError, give_up: bool) -> bool:
    logger.warning(
        "message %s to conversation %s refused by Meta: %s %s (%s)",
        message.id,
        message.conversation_id,
        error.code,
        error.title,
        error.kind,
    )
    if error.kind == "retry" and not give_up:
        if error.code == 130429:
            ratelimit.penalize(number.phone_number_id, 1.0)
        _finish(message, "pending")
        return False
    message.error_code = error.code
    message.error_title = WINDOW_CLOSED if error.kind == "window" else error.title
    if error.kind == "retry":
        message.error_title = (
            f"Gave up after {len(RETRY_DELAYS) + 1} tries: {error.title}"
        )
    if error.kind == "auth":
        logger.error(
            "org %s: Meta refused the access token; the admin must renew it",
            number.org_id,
        )
    _finish(message, "failed")
    return True


def _finish(message: Message, status: str) -> None:
    changed = message.status != status
    message.status = status
    message.status_at = utcnow()
    if changed:
        announce_status(message)
    db.session.commit()


def sweep_outbox(cutoff: datetime) -> None:
    """Deliver the pending messages that a dead worker left behind."""
    conversation_ids = db.session.scalars(
        select(Message.conversation_id)
        .where(
            Message.status == "pending",
            func.coalesce(Message.status_at, Message.created_at) < cutoff,
        )
        .distinct()
        .limit(500)
    ).all()
    stuck = db.session.execute(
        update(Message)
        .where(Message.status == "sending", Message.status_at < cutoff)
        .values(status="unknown", status_at=utcnow())
    ).rowcount
    db.session.commit()
    if stuck:
        logger.warning(
            "%s messages were being sent by a dead worker: marked unknown", stuck
        )
    for conversation_id in conversation_ids:
        deliver_later(conversation_id, 0)
