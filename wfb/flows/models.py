from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wfb.accounts.models import User
from wfb.extensions import db
from wfb.models_base import (
    JSONValue,
    TenantMixin,
    UTCDateTime,
    created_at_column,
    utcnow,
)

# A session in one of these statuses is still running; any other status has ended it.
OPEN = ("running", "waiting", "delayed")


class Flow(TenantMixin, db.Model):
    """A chatbot flow: a draft that is edited, and immutable published versions.

    Numbers and keyword triggers run the current version; the draft runs only in the
    preview until it is published.
    """

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[dict] = mapped_column(JSONValue, default=dict)
    nodes: Mapped[list] = mapped_column(JSONValue, default=list)
    edges: Mapped[list] = mapped_column(JSONValue, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The published version that runs. No foreign key: flows and their versions point
    # at each other.
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @property
    def structure(self) -> dict:
        return {
            "name": self.name,
            "trigger": self.trigger,
            "nodes": self.nodes,
            "edges": self.edges,
        }


class FlowVersion(TenantMixin, db.Model):
    """A frozen copy of a flow's structure; sessions run the version they began on.

    Published versions are numbered from 1; a preview of the draft is a version with
    no number, never listed and never run by a phone number.
    """

    __tablename__ = "flow_versions"
    __table_args__ = (db.UniqueConstraint("flow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("flows.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[dict] = mapped_column(JSONValue)
    nodes: Mapped[list] = mapped_column(JSONValue)
    edges: Mapped[list] = mapped_column(JSONValue)
    note: Mapped[str | None] = mapped_column(String(200))
    published_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()

    published_by: Mapped[User | None] = db.relationship()


class FlowSession(TenantMixin, db.Model):
    """One contact's run through a flow version on one conversation."""

    __tablename__ = "flow_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    flow_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("flows.id", ondelete="SET NULL")
    )
    flow_version_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("flow_versions.id", ondelete="CASCADE")
    )
    node_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    variables: Mapped[dict] = mapped_column(JSONValue, default=dict)
    # Every node the session has run, once each, in the order first run.
    visited: Mapped[list] = mapped_column(JSONValue, default=list)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = created_at_column()

    version: Mapped[FlowVersion] = db.relationship()
