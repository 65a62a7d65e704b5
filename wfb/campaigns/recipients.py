"""A campaign's recipient rows: made in one statement, claimed in batches, counted.

A row is claimed with one conditional UPDATE (pending → sending), so two senders
never get the same row; on PostgreSQL the rows are picked with FOR UPDATE SKIP
LOCKED, so concurrent senders take different rows instead of waiting on each other.
A pending row's `status_at`, when set, is the earliest time it may be tried again.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, case, func, literal, or_, select, update

from wfb.campaigns.models import Campaign, CampaignRecipient
from wfb.contacts.models import Contact
from wfb.contacts.service import audience_query
from wfb.extensions import db
from wfb.models_base import UTCDateTime, utcnow

STATUSES = (
    "pending", "sending", "sent", "delivered", "read", "failed", "skipped", "unknown",
)  # fmt: skip
# Rows that a sender may still send or be sending.
OPEN = ("pending", "sending")
# Rows whose send reached Meta: from the sender's own record or Meta's statuses.
REACHED = ("sent", "delivered", "read")
RECIPIENTS = CampaignRecipient.__table__


def materialize(campaign: Campaign, now: datetime) -> int:
    """Add one row per contact of the audience, in one INSERT ... SELECT.

    Contacts are unique by phone within an org, so each phone gets one row; the
    opted-out ones are recorded `skipped`. Nothing is committed here.
    """
    source = audience_query(campaign.org_id, campaign.audience).with_only_columns(
        literal(campaign.org_id),
        literal(campaign.id),
        Contact.id,
        Contact.phone,
        case((Contact.opted_out.is_(True), "skipped"), else_="pending"),
        literal(0),
        literal(now, UTCDateTime),
    )
    columns = [
        "org_id", "campaign_id", "contact_id", "phone", "status", "attempts",
        "created_at",
    ]  # fmt: skip
    inserted = db.session.execute(RECIPIENTS.insert().from_select(columns, source))
    return inserted.rowcount


def claim(campaign_id: int, limit: int, after_id: int = 0) -> list[Row]:
    """Take up to `limit` due pending rows for sending, of ids above `after_id`;
    answer them, committed.

    A sender passes the last id it claimed, so that each claim starts where the
    previous one ended instead of stepping over every row already sent.
    """
    now = utcnow()
    due = (
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == "pending",
            CampaignRecipient.id > after_id,
            _due(now),
        )
        .order_by(CampaignRecipient.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(due), CampaignRecipient.status == "pending")
        .values(
            status="sending",
            status_at=now,
            attempts=CampaignRecipient.attempts + 1,
        )
        .returning(
            CampaignRecipient.id,
            CampaignRecipient.contact_id,
            CampaignRecipient.phone,
            CampaignRecipient.attempts,
        )
    ).all()
    db.session.commit()
    return sorted(claimed, key=lambda row: row.id)


def contacts_of(rows: list[Row]) -> dict[int, Row]:
    """The contacts of claimed rows, with what a template's values may use."""
    ids = [row.contact_id for row in rows if row.contact_id is not None]
    if not ids:
        return {}
    found = db.session.execute(
        select(
            Contact.id, Contact.name, Contact.phone, Contact.tags,
            Contact.attributes, Contact.opted_out,
        ).where(Contact.id.in_(ids))
    ).all()  # fmt: skip
    return {contact.id: contact for contact in found}


def write(changes: dict[str, list[dict]]) -> None:
    """Apply batches of outcomes, one executemany per kind; nothing committed.

    Every change applies only to a row still being sent (or marked unknown by a
    sweep meanwhile), so a status Meta already reported is never moved back.
    """
    now = utcnow()
    for kind, params in changes.items():
        if params:
            db.session.execute(_STATEMENTS[kind](), [dict(p, now=now) for p in params])


def _in_hand():
    # Not IN (...): an expanding list cannot go in an executemany.
    status = RECIPIENTS.c.status
    return or_(status == "sending", status == "unknown")


def _by_id():
    return RECIPIENTS.c.id == bindparam("rid")


def _sent():
    still_open = _in_hand()
    return (
        update(RECIPIENTS)
        .where(_by_id())
        .values(
            status=case((still_open, "sent"), else_=RECIPIENTS.c.status),
            wamid=func.coalesce(RECIPIENTS.c.wamid, bindparam("wamid")),
            sent_at=bindparam("now"),
            status_at=case(
                (still_open, bindparam("now")), else_=RECIPIENTS.c.status_at
            ),
        )
    )


def _ended():
    """Failed, unknown or skipped, with the reason where there is one."""
    return (
        update(RECIPIENTS)
        .where(_by_id(), _in_hand())
        .values(
            status=bindparam("status"),
            error_code=bindparam("code"),
            error_title=bindparam("title"),
            status_at=bindparam("now"),
        )
    )


def _again():
    """Back to pending, to be tried at `at`; `refund` gives back the attempt."""
    return (
        update(RECIPIENTS)
        .where(_by_id(), _in_hand())
        .values(
            status="pending",
            status_at=bindparam("at"),
            attempts=RECIPIENTS.c.attempts - bindparam("refund"),
            error_code=bindparam("code"),
            error_title=bindparam("title"),
        )
    )


_STATEMENTS = {"sent": _sent, "ended": _ended, "again": _again}


def counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each campaign's rows by status (every status present, zero or more)."""
    found = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    if not campaign_ids:
        return found
    rows = db.session.execute(
        select(
            CampaignRecipient.campaign_id,
            CampaignRecipient.status,
            func.count(),
        )
        .where(CampaignRecipient.campaign_id.in_(campaign_ids))
        .group_by(CampaignRecipient.campaign_id, CampaignRecipient.status)
    ).all()
    for campaign_id, status, count in rows:
        found[campaign_id][status] = count
    return found


def still_open(campaign_id: int) -> bool:
    """Whether any row is still pending or being sent."""
    found = db.session.scalar(
        select(CampaignRecipient.id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status.in_(OPEN),
        )
        .limit(1)
    )
    return found is not None


def pending_due_at(campaign_id: int) -> datetime | None:
    """When the next pending row may go: now if one is due, else the earliest
    retry time; None when no row is pending."""
    now = utcnow()
    pending = CampaignRecipient.status == "pending"
    due = db.session.scalar(
        select(CampaignRecipient.id)
        .where(CampaignRecipient.campaign_id == campaign_id, pending, _due(now))
        .limit(1)
    )
    if due is not None:
        return now
    # Only rows waiting for a retry are left: few, so the MIN is cheap.
    return db.session.scalar(
        select(func.min(CampaignRecipient.status_at)).where(
            CampaignRecipient.campaign_id == campaign_id, pending
        )
    )


def _due(now: datetime):
    return or_(
        CampaignRecipient.status_at.is_(None), CampaignRecipient.status_at <= now
    )


def forget_stale_sends(campaign_ids: list[int], cutoff: datetime) -> int:
    """Rows left `sending` before `cutoff` by a worker that died become unknown."""
    if not campaign_ids:
        return 0
    return db.session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id.in_(campaign_ids),
            CampaignRecipient.status == "sending",
            CampaignRecipient.status_at < cutoff,
        )
        .values(status="unknown", status_at=utcnow())
    ).rowcount


def retry_at(delay: float) -> datetime:
    return utcnow() + timedelta(seconds=delay)


def skip_pending(campaign_id: int, reason: str) -> int:
    """Mark the recipients not sent yet `skipped`, saying why; answer how many."""
    return db.session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.status == "pending",
        )
        .values(status="skipped", error_title=reason, status_at=utcnow())
    ).rowcount
