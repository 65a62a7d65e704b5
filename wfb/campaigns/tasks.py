"""The campaign dispatcher's background tasks.

`start_campaign` runs at a campaign's `schedule_at` (queued with that ETA, which the
queue keeps across restarts). `send_campaign` sends in slices of a few seconds, so a
long campaign gives way to other tasks between slices, and queues its own next
slice. `tend_campaigns` runs every minute and when a worker starts: it starts due
campaigns whose start was lost, marks rows that a dead worker left `sending` as
`unknown`, and restarts the sending of running campaigns that no sender touched for
SWEEP_AFTER_SECONDS. Two processes doing any of this at once do it once: every
start, claim and status change is a conditional UPDATE.
"""

import logging
import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from wfb import mail
from wfb.accounts.models import User
from wfb.campaigns import dispatcher, recipients, service
from wfb.campaigns.models import Campaign
from wfb.extensions import db
from wfb.jobs import huey, periodic_task, task
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber

logger = logging.getLogger(__name__)

# A wait for a retry this short is slept through inside the task.
SLEEP_LIMIT = 2.0
# Campaigns scheduled this far ahead get their start queued for the exact moment.
LOOKAHEAD = timedelta(seconds=90)
# How long after a campaign last changed a dead worker's rows may still be in it.
STALE_WINDOW = timedelta(days=1)

TOKEN_SUBJECT = "WFB paused your campaigns: renew the WhatsApp access token"
TOKEN_TEXT = """Hello {name},

{reason}

Paused campaigns sending from {number}:
{campaigns}

Once the new token is saved, resume them on the Campaigns page.
"""


def start_when_due(campaign_id: int, at: datetime | None) -> None:
    """Queue a campaign's start for `at`, or now when that has passed."""
    if at is None or at <= utcnow():
        start_campaign(campaign_id)
    else:
        start_campaign.schedule((campaign_id,), eta=at)


@task()
def start_campaign(campaign_id: int) -> None:
    if service.start(campaign_id):
        send_campaign(campaign_id)


@task()
def send_campaign(campaign_id: int) -> None:
    """Send a slice of a running campaign, then queue the next one if any."""
    begun = time.monotonic()
    while True:
        delay = dispatcher.dispatch(campaign_id)
        if delay is None:
            return
        elapsed = time.monotonic() - begun
        if delay <= SLEEP_LIMIT and elapsed + delay < dispatcher.SLICE_SECONDS:
            time.sleep(delay)
            continue
        if delay <= 0:
            send_campaign(campaign_id)
        else:
            send_campaign.schedule((campaign_id,), delay=delay)
        return


@periodic_task(crontab(minute="*"))
def tend_campaigns_each_minute() -> None:
    tend()


@task()
def tend_campaigns(again: bool = False) -> None:
    """Tend now and, when `again`, once more after the stale cutoff has passed."""
    tend()
    if again:
        seconds = current_app.config["SETTINGS"].SWEEP_AFTER_SECONDS
        tend_campaigns.schedule((False,), delay=seconds + 1)


_restart_lock = threading.Lock()
_restart_tended = False


@huey.on_startup()
def tend_after_restart() -> None:
    """A worker that starts may follow one that died: tend its campaigns (once a
    process, though each worker thread calls this)."""
    global _restart_tended
    with _restart_lock:
        if _restart_tended:
            return
        _restart_tended = True
    tend_campaigns(True)


def tend() -> None:
    """Start what is due, forget dead workers' sends, restart stalled campaigns."""
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["SETTINGS"].SWEEP_AFTER_SECONDS)
    _start_due(now)
    _forget_stale_sends(now, cutoff)
    _restart_stalled(cutoff)


def _start_due(now: datetime) -> None:
    due = db.session.execute(
        select(Campaign.id, Campaign.schedule_at).where(
            Campaign.status == "scheduled", Campaign.schedule_at <= now + LOOKAHEAD
        )
    ).all()
    db.session.rollback()
    for campaign_id, at in due:
        start_when_due(campaign_id, at)


def _forget_stale_sends(now: datetime, cutoff: datetime) -> None:
    ids = db.session.scalars(
        select(Campaign.id).where(
            Campaign.status.in_(("running", "paused", "cancelled", "failed")),
            Campaign.updated_at > now - STALE_WINDOW,
        )
    ).all()
    forgotten = recipients.forget_stale_sends(ids, cutoff)
    db.session.commit()
    if forgotten:
        logger.warning(
            "%s campaign recipients were being sent by a dead worker: marked unknown",
            forgotten,
        )


def _restart_stalled(cutoff: datetime) -> None:
    stalled = db.session.scalars(
        select(Campaign.id).where(
            Campaign.status == "running", Campaign.updated_at < cutoff
        )
    ).all()
    db.session.rollback()
    for campaign_id in stalled:
        # Whoever touches it first restarts it; another tender sees it touched.
        taken = db.session.execute(
            update(Campaign)
            .where(
                Campaign.id == campaign_id,
                Campaign.status == "running",
                Campaign.updated_at < cutoff,
            )
            .values(updated_at=utcnow())
        ).rowcount
        db.session.commit()
        if taken:
            logger.info("campaign %s had no sender: restarted", campaign_id)
            send_campaign(campaign_id)


@task(retries=3, retry_delay=60)
def tell_admins_token_refused(
    org_id: int, number_id: int, campaign_ids: list[int], reason: str
) -> None:
    """Mail the org's admins that a refused token paused their campaigns."""
    if not mail.configured():
        logger.warning(
            "org %s: campaigns %s paused for a refused token; SMTP_URL is not set, "
            "so only the audit log says so",
            org_id,
            campaign_ids,
        )
        return
    number = db.session.get(PhoneNumber, number_id)
    names = db.session.scalars(
        select(Campaign.name).where(Campaign.id.in_(campaign_ids)).order_by(Campaign.id)
    ).all()
    admins = db.session.scalars(
        select(User).where(User.org_id == org_id, User.role == "admin")
    ).all()
    for admin in admins:
        text = TOKEN_TEXT.format(
            name=admin.name,
            reason=reason,
            number=number.display_phone_number if number else "a removed number",
            campaigns="\n".join(f"- {name}" for name in names),
        )
        mail.send(admin.email, TOKEN_SUBJECT, text)
    logger.info("org %s: %s admins told of the refused token", org_id, len(admins))
