from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import (
    JSONValue,
    TenantMixin,
    UTCDateTime,
    created_at_column,
    utcnow,
)


class Contact(TenantMixin, db.Model):
    """A customer of the org, unique by phone (E.164) within it."""

    __tablename__ = "contacts"
    __table_args__ = (db.UniqueConstraint("org_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list] = mapped_column(JSONValue, default=list)
    attributes: Mapped[dict] = mapped_column(JSONValue, default=dict)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @property
    def wa_id(self) -> str:
        return self.phone.lstrip("+")
