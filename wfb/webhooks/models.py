from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import UTCDateTime, created_at_column


class WebhookEvent(db.Model):
    """A webhook body exactly as Meta posted it, stored before it is acknowledged.

    `org_id` is empty for the global route, whose batches may span several orgs.
    """

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("orgs.id", ondelete="CASCADE"), index=True
    )
    phone_number_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = created_at_column()
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
