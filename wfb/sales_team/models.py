from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import TenantMixin, UTCDateTime, created_at_column


class SalesMember(TenantMixin, db.Model):
    """A person of the org's sales team, optionally linked to a user with the sales
    role."""

    __tablename__ = "sales_members"
    __table_args__ = (
        db.UniqueConstraint("org_id", "email"),
        db.UniqueConstraint("org_id", "phone"),
        db.UniqueConstraint("org_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Only active members with a user account are given new leads, in turn: the one
    # given a lead longest ago (or never) is next.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()
