from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import (
    JSONValue,
    TenantMixin,
    UTCDateTime,
    created_at_column,
    utcnow,
)


class Campaign(TenantMixin, db.Model):
    """A template sent from one number to an audience, now or at `schedule_at`.

    `template` keeps what was asked: name, language, parameters, header, buttons.
    `audience` keeps who: contact ids, tags or all; it becomes recipient rows, fixed
    once the campaign starts.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone_number_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("phone_numbers.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[dict] = mapped_column(JSONValue)
    audience: Mapped[dict] = mapped_column(JSONValue)
    # scheduled, running, paused, completed, cancelled or failed
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    # Why it paused or failed, in plain words.
    reason: Mapped[str | None] = mapped_column(String(500))
    schedule_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class CampaignRecipient(TenantMixin, db.Model):
    """One phone of a campaign's audience and what became of its message.

    pending → sending → sent → delivered → read, or failed, skipped (opted out or
    values that do not fit the template) or unknown (a send that may or may not have
    reached Meta, never retried).
    """

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        db.UniqueConstraint("campaign_id", "phone"),
        db.Index("ix_campaign_recipients_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    wamid: Mapped[str | None] = mapped_column(String(200), unique=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()
