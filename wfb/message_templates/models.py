from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import (
    JSONValue,
    TenantMixin,
    UTCDateTime,
    created_at_column,
    utcnow,
)


class MessageTemplate(TenantMixin, db.Model):
    """A message template of the org's WhatsApp Business Account, as Meta last told.

    Unique by name and language, as on Meta; `gone` marks one that a sync no longer
    found on Meta, kept so that campaigns that used it still read well.
    """

    __tablename__ = "message_templates"
    __table_args__ = (db.UniqueConstraint("org_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meta_id: Mapped[str | None] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30), default="")
    status: Mapped[str] = mapped_column(String(30), default="PENDING")
    parameter_format: Mapped[str] = mapped_column(String(20), default="POSITIONAL")
    components: Mapped[list] = mapped_column(JSONValue, default=list)
    # Meta's reason for a rejection, pause or disabling, in its words.
    reason: Mapped[str | None] = mapped_column(Text)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
