"""Column helpers shared by every feature's models."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from wfb.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(db.TypeDecorator):
    """Timestamps stored in UTC and read back timezone-aware (SQLite drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class JSONValue(db.TypeDecorator):
    """JSON that comes back as the same Python value on SQLite and PostgreSQL."""

    impl = JSON
    cache_ok = True


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, default=utcnow, nullable=False)


class TenantMixin:
    """Rows that belong to one org; fetched only through `wfb.tenancy`."""

    org_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("orgs.id", ondelete="CASCADE"), index=True, nullable=False
    )
