from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import TenantMixin, created_at_column


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
    created_at: Mapped[datetime] = created_at_column()
