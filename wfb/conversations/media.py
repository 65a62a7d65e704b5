"""Inbound media, fetched from Meta as soon as the message is stored.

Meta's download links live five minutes and its media ids about a month, so the bytes
are copied at ingest into the database, from where the org's users get them (never
from Meta, and never anyone else). A fetch that Meta throttles or that cannot connect
is tried again a few times; one that Meta refuses is marked failed with the reason.
"""

import hashlib
import logging

from wfb.conversations.models import Conversation, MediaFile, Message
from wfb.extensions import db
from wfb.jobs import task
from wfb.live.events import emit
from wfb.phone_numbers.models import PhoneNumber
from wfb.whatsapp.client import client_for
from wfb.whatsapp.errors import GraphError

logger = logging.getLogger(__name__)
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MAX_BYTES = 100 * 1024 * 1024  # Meta's own largest (documents)
RETRY_DELAYS = (2, 10, 30, 60)


def note(message: Message) -> MediaFile | None:
    """Record that an inbound message carries media to fetch (in its transaction)."""
    if message.type not in MEDIA_TYPES:
        return None
    content = message.payload.get(message.type)
    media_id = content.get("id") if isinstance(content, dict) else None
    if not isinstance(media_id, str) or not media_id.isdigit() or len(media_id) > 100:
        return None
    filename = content.get("filename")
    stored = MediaFile(
        org_id=message.org_id,
        message_id=message.id,
        media_id=media_id,
        mime_type=str(content.get("mime_type") or "")[:100] or None,
        filename=filename[:255] if isinstance(filename, str) else None,
        sha256=_sha256(content.get("sha256")),
        status="pending",
        attempts=0,
    )
    db.session.add(stored)
    return stored


def _sha256(value) -> str | None:
    """Meta's sha256 of the file, hex or base64 as it comes; only hex is compared."""
    if isinstance(value, str) and len(value) == 64:
        try:
            int(value, 16)
        except ValueError:
            return None
        return value.lower()
    return None


@task()
def fetch(message_id: int) -> None:
    """Copy a message's media from Meta into the database."""
    stored = db.session.scalar(
        db.select(MediaFile).where(MediaFile.message_id == message_id)
    )
    if stored is None or stored.status != "pending":
        return
    message = db.session.get(Message, message_id)
    conversation = db.session.get(Conversation, message.conversation_id)
    number = db.session.get(PhoneNumber, conversation.phone_number_id)
    stored.attempts += 1
    media_id, expected = stored.media_id, stored.sha256
    db.session.commit()

    try:
        client = client_for(number)
        found = client.get_media_url(media_id)
        size = int(found.get("file_size") or 0)
        if size > MAX_BYTES:
            return _fail(stored, conversation, f"The file is over {MAX_BYTES} bytes.")
        data, content_type = client.download_media(found["url"])
    except (GraphError, KeyError, TypeError, ValueError) as error:
        return _failed_try(stored, conversation, error)

    digest = hashlib.sha256(data).hexdigest()
    wanted = expected or _sha256(found.get("sha256"))
    if wanted and digest != wanted:
        return _fail(stored, conversation, "The file did not match Meta's checksum.")
    if len(data) > MAX_BYTES:
        return _fail(stored, conversation, f"The file is over {MAX_BYTES} bytes.")
    stored.data = data
    stored.size = len(data)
    stored.sha256 = digest
    stored.mime_type = (found.get("mime_type") or content_type or "")[:100] or None
    stored.status = "stored"
    _announce(stored, conversation)
    db.session.commit()
    logger.info("media of message %s stored (%s bytes)", message_id, len(data))


def _failed_try(stored: MediaFile, conversation, error) -> None:
    retry = isinstance(error, GraphError) and error.kind in ("retry", "unknown")
    if retry and stored.attempts <= len(RETRY_DELAYS):
        delay = RETRY_DELAYS[stored.attempts - 1]
        logger.warning(
            "media of message %s: %s; again in %ss", stored.message_id, error, delay
        )
        fetch.schedule((stored.message_id,), delay=delay)
        return
    _fail(stored, conversation, f"Meta would not give the file: {error}"[:300])


def _fail(stored: MediaFile, conversation, reason: str) -> None:
    logger.warning("media of message %s not stored: %s", stored.message_id, reason)
    stored.status = "failed"
    stored.error = reason
    _announce(stored, conversation)
    db.session.commit()


def _announce(stored: MediaFile, conversation: Conversation) -> None:
    data = {
        "conversation_id": conversation.id,
        "message_id": stored.message_id,
        "media": stored.status,
    }
    emit(conversation.org_id, "message.status", data, conversation.assigned_user_id)
