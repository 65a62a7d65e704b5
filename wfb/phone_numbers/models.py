from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db
from wfb.models_base import TenantMixin, created_at_column

DEFAULT_RATE = 80
MAX_RATE = 1000


class PhoneNumber(TenantMixin, db.Model):
    """A WhatsApp Business number; one org owns each Meta phone_number_id."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_phone_number: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100), default="")
    flow_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("flows.id", ondelete="SET NULL")
    )
    bot_id: Mapped[int | None] = mapped_column(Integer)
    messages_per_second: Mapped[int] = mapped_column(Integer, default=DEFAULT_RATE)
    is_sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
