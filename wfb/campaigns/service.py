"""Campaigns: created, started, paused, resumed, cancelled, failed and finished.

Every change of a campaign's status is one conditional UPDATE from the statuses it
may come from, so two processes that race (two schedulers, a pause during a send)
change it once and agree on the result.

    scheduled → running → completed
    scheduled/running → paused → scheduled/running
    scheduled/running/paused → cancelled;  running → failed
"""

import logging

from sqlalchemy import select, update

from wfb.audit import record
from wfb.campaigns import fit, recipients, tasks
from wfb.campaigns.models import Campaign
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.live.events import emit
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

ACTIVE = ("scheduled", "running")
TOKEN_REFUSED = (
    "Meta refused the WhatsApp access token (code {code}): save a new one in "
    "Settings, then resume the campaign."
)
NO_AUDIENCE = "The audience had no contacts when the campaign started."


def refusal(problems: list[fit.Problem], status: int = 422) -> DomainError:
    """The 422 that names each problem of a campaign's values at its field."""
    errors: dict = {}
    for problem in problems:
        place = errors
        parts = problem.field.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            place = place.setdefault(part, {})
        place.setdefault(parts[-1], []).append(problem.message)
    message = f"The campaign cannot be sent: {problems[0].message}"
    return DomainError(message, status, errors={"json": errors})


def org_number(org_id: int, number_id) -> PhoneNumber:
    """The org's number with this id (the product's id), or a 422 naming the field."""
    number = db.session.scalar(
        scoped(PhoneNumber, org_id).where(PhoneNumber.id == number_id)
    )
    if number is None:
        problem = fit.Problem(
            "phone_number_id", f"No phone number with id {number_id} in this org."
        )
        raise refusal([problem])
    return number


def create_campaign(org_id: int, user_id: int | None, data: dict) -> Campaign:
    """Store a campaign and queue its start, now or at `schedule_at`."""
    number = org_number(org_id, data["phone_number_id"])
    _, problems = fit.plan_for(org_id, data["template"])
    if problems:
        raise refusal(problems)
    now = utcnow()
    schedule_at = data.get("schedule_at") or now
    if schedule_at <= now and audience_size(org_id, data["audience"]) == 0:
        problem = fit.Problem("audience", "The audience has no contacts.")
        raise refusal([problem])

    campaign = Campaign(
        org_id=org_id,
        name=data["name"],
        phone_number_id=number.id,
        template=data["template"],
        audience=data["audience"],
        status="scheduled",
        schedule_at=schedule_at,
        created_by_id=user_id,
    )
    db.session.add(campaign)
    db.session.commit()
    logger.info("campaign %s of org %s created", campaign.id, org_id)
    tasks.start_when_due(campaign.id, campaign.schedule_at)
    return campaign


def audience_size(org_id: int, audience: dict) -> int:
    from wfb.contacts.service import audience_query

    query = audience_query(org_id, audience).order_by(None).subquery()
    return db.session.scalar(select(db.func.count()).select_from(query))


def start(campaign_id: int) -> bool:
    """Start a due scheduled campaign: fix its audience as recipient rows.

    The claim and the rows commit together, so a campaign is started once and with
    all its rows, even when two schedulers try at the same moment.
    """
    db.session.rollback()
    now = utcnow()
    claimed = db.session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == "scheduled",
            Campaign.schedule_at <= now,
        )
        .values(status="running", started_at=now, updated_at=now)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return False
    campaign = db.session.get(Campaign, campaign_id)
    added = recipients.materialize(campaign, now)
    db.session.commit()
    logger.info("campaign %s started with %s recipients", campaign_id, added)
    if not added:
        _move(campaign_id, ("running",), "completed", NO_AUDIENCE)
    return True


def heartbeat(campaign_id: int) -> bool:
    """Note that a sender is at work; False when the campaign no longer runs."""
    touched = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == "running")
        .values(updated_at=utcnow())
    ).rowcount
    db.session.commit()
    return touched == 1


def finish_if_done(campaign_id: int) -> bool:
    """Complete a running campaign that has no row left to send."""
    if recipients.still_open(campaign_id):
        db.session.rollback()
        return False
    return _move(campaign_id, ("running",), "completed")


def fail(campaign_id: int, reason: str) -> bool:
    logger.warning("campaign %s failed: %s", campaign_id, reason)
    return _move(campaign_id, ("running",), "failed", reason)


CANCELLED_BEFORE_SENDING = "The campaign was cancelled before this message was sent."


def pause(campaign_id: int, reason: str) -> bool:
    logger.warning("campaign %s paused: %s", campaign_id, reason)
    return _move(campaign_id, ACTIVE, "paused", reason)


def _move(campaign_id: int, sources, status: str, reason=None) -> bool:
    """Change the status if it is one of `sources`; answer whether it changed."""
    values = {"status": status, "reason": reason, "updated_at": utcnow()}
    if status in ("completed", "failed", "cancelled"):
        values["finished_at"] = values["updated_at"]
    moved = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(sources))
        .values(**values)
    ).rowcount
    if moved:
        _progress_event(campaign_id)
    db.session.commit()
    return moved == 1


def change(campaign: Campaign, action: str, user) -> Campaign:
    """Pause, resume or cancel a campaign for a user; 409 when its status forbids."""
    if action == "pause":
        moved = _move(campaign.id, ACTIVE, "paused", f"Paused by {user.name}.")
    elif action == "cancel":
        sources = (*ACTIVE, "paused")
        moved = _move(campaign.id, sources, "cancelled", f"Cancelled by {user.name}.")
        if moved:
            recipients.skip_pending(campaign.id, CANCELLED_BEFORE_SENDING)
            db.session.commit()
    else:
        moved = _resume(campaign)
    db.session.refresh(campaign)
    if not moved:
        raise DomainError(_refused(campaign.status, action), 409)
    logger.info("campaign %s: %s by user %s", campaign.id, action, user.id)
    return campaign


def _refused(status: str, action: str) -> str:
    allowed = {
        "pause": "a scheduled or running campaign can be paused",
        "resume": "a paused campaign can be resumed",
        "cancel": "a scheduled, running or paused campaign can be cancelled",
    }
    return f"This campaign is {status}: only {allowed[action]}."


def _resume(campaign: Campaign) -> bool:
    if campaign.status != "paused":
        return False
    org_number(campaign.org_id, campaign.phone_number_id)
    _, problems = fit.plan_for(campaign.org_id, campaign.template)
    if problems:
        raise refusal(problems, 409)
    target = "running" if campaign.started_at else "scheduled"
    if not _move(campaign.id, ("paused",), target):
        return False
    if target == "running":
        tasks.send_campaign(campaign.id)
    else:
        tasks.start_when_due(campaign.id, campaign.schedule_at)
    return True


def pause_for_token(number: PhoneNumber, error) -> list[int]:
    """Pause every scheduled or running campaign of a number whose token Meta
    refused, and tell the org's admins (audit log, and mail when SMTP is set)."""
    if error.code is not None:
        reason = TOKEN_REFUSED.format(code=error.code)
    else:
        reason = f"{error.title}, then resume the campaign."
    ids = db.session.scalars(
        select(Campaign.id)
        .where(Campaign.phone_number_id == number.id, Campaign.status.in_(ACTIVE))
        .order_by(Campaign.id)
    ).all()
    paused = [campaign_id for campaign_id in ids if pause(campaign_id, reason)]
    if not paused:
        return []
    record(
        "campaigns.paused_for_token",
        number.org_id,
        None,
        number.display_phone_number,
        campaign_ids=paused,
        reason=reason,
    )
    db.session.commit()
    tasks.tell_admins_token_refused(number.org_id, number.id, paused, reason)
    return paused


def pause_using_template(org_id: int, name: str, language: str, reason: str) -> int:
    """Pause the org's scheduled and running campaigns that send this template."""
    found = db.session.scalars(
        scoped(Campaign, org_id).where(Campaign.status.in_(ACTIVE))
    ).all()
    using = [
        campaign.id
        for campaign in found
        if campaign.template.get("name") == name
        and campaign.template.get("language") == language
    ]
    text = f"Meta paused the template {name} ({language}): {reason}"
    return sum(1 for campaign_id in using if pause(campaign_id, text[:500]))


def publish_progress(campaign_id: int) -> None:
    """Tell the org's open dashboards how far the campaign got."""
    _progress_event(campaign_id)
    db.session.commit()


def _progress_event(campaign_id: int) -> None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return
    db.session.refresh(campaign)
    counts = recipients.counts([campaign_id])[campaign_id]
    emit(
        campaign.org_id,
        "campaign.progress",
        {"id": campaign_id, "status": campaign.status, "counts": counts},
    )
