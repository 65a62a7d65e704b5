from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import JSONValue, TenantMixin, UTCDateTime, created_at_column

# A delivery status only moves forward; `failed` is final.
STATUS_RANK = {
    "pending": 0,
    "sending": 1,
    "unknown": 1,
    "sent": 2,
    "delivered": 3,
    "read": 4,
    "played": 4,
    "failed": 5,
}


class Conversation(TenantMixin, db.Model):
    """One contact on one of the org's numbers."""

    __tablename__ = "conversations"
    __table_args__ = (db.UniqueConstraint("phone_number_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("phone_numbers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="open")
    assigned_user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()

    contact = db.relationship("Contact")
    phone_number = db.relationship("PhoneNumber")


class Message(TenantMixin, db.Model):
    """A message in or out; unique by its WhatsApp id within the org."""

    __tablename__ = "messages"
    __table_args__ = (db.UniqueConstraint("org_id", "wamid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    wamid: Mapped[str | None] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSONValue, default=dict)
    status: Mapped[str] = mapped_column(String(20), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(300))
    context_wamid: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person who wrote an outbound message; None when automation sent it.
    sent_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()

    def advance(self, status: str, at: datetime | None = None) -> bool:
        """Move to `status` if it is further along; answer whether it moved."""
        if self.status == "failed":
            return False
        if status == "failed" and self.status in ("delivered", "read", "played"):
            return False
        if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(self.status, -1):
            return False
        self.status = status
        self.status_at = at
        return True


class MediaFile(TenantMixin, db.Model):
    """The bytes of an inbound message's media, fetched from Meta while its link
    lives, kept in the database so every web process of every shape can serve it."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    media_id: Mapped[str] = mapped_column(String(100))
    # pending, stored or failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(String(300))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
