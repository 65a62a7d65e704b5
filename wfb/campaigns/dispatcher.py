"""Sending a running campaign at its number's rate, each recipient at most once.

A send task calls `dispatch` for a slice of time. It claims a batch of pending rows
(pending → sending, committed before anything is sent), hands each to a pool of
sender threads that take a slot of the number's rate (shared by every process
through wfb.whatsapp.ratelimit) and call the Graph API, and writes the outcomes back
in batches. Batches are sized to about a quarter second of sending, so the rows in
hand stay few: a worker killed mid-send leaves at most that many rows `sending`,
which the campaign sweep later marks `unknown` rather than send twice.

What Meta answers decides what happens (design section 6): throttling puts the row
back to pending for a later try and slows the campaign down; a template problem
fails the campaign; a refused token pauses every campaign of the number; a
recipient's own error fails that recipient; no answer after the request went out
marks it `unknown`, never sent again.

Limitation: a campaign message is recorded only as its recipient row (the
campaign's log), not as a message of the contact's inbox conversation; a reply to
it opens the conversation as any inbound message does.
"""

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from wfb.campaigns import fit, recipients, service
from wfb.campaigns.models import Campaign
from wfb.campaigns.statuses import callback_data
from wfb.extensions import db
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.whatsapp import messages, ratelimit
from wfb.whatsapp.client import client_for
from wfb.whatsapp.errors import AUTH, RETRY, TEMPLATE, UNKNOWN, GraphError

logger = logging.getLogger(__name__)

# Requests in flight at once in one dispatch. On loopback a few suffice for 1000 a
# second; against Meta, at 50 to 150 ms a request, 64 carry 400 to 1000 a second.
SENDERS = 64
SLICE_SECONDS = 10.0
CLAIM_SECONDS = 0.25
MAX_BATCH = 250
FLUSH_SECONDS = 0.2
PROGRESS_SECONDS = 2.0
# Seconds before each new try of a throttled send; after the last it fails.
RETRY_DELAYS = (1, 2, 4, 8, 15, 30, 60, 120)
THROTTLE_PAUSE = 1.0
THROTTLES = frozenset({130429, 80007, 4})


@dataclass
class Outcome:
    """What became of one claimed row: `kind` is "sent", "unfit", "skipped" or the
    GraphError kind."""

    recipient_id: int
    attempts: int
    kind: str
    wamid: str | None = None
    error: GraphError | None = None
    reason: str | None = None


def dispatch(campaign_id: int) -> float | None:
    """Send for one slice; answer after how many seconds to go on, or None when
    nothing is left to do for now (done, stopped, or in another sender's hands)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "running":
        return None
    number = (
        db.session.get(PhoneNumber, campaign.phone_number_id)
        if campaign.phone_number_id
        else None
    )
    if number is None:
        service.fail(campaign_id, "Its phone number was removed.")
        return None
    plan, problems = fit.plan_for(campaign.org_id, campaign.template)
    if problems:
        service.pause(campaign_id, problems[0].message)
        return None
    try:
        client = client_for(number)
    except GraphError as error:
        service.pause_for_token(number, error)
        return None

    Dispatch(campaign, number, plan, client).run()
    return _next_step(campaign_id)


def _next_step(campaign_id: int) -> float | None:
    db.session.rollback()
    status = db.session.scalar(
        select(Campaign.status).where(Campaign.id == campaign_id)
    )
    if status != "running":
        return None
    due = recipients.pending_due_at(campaign_id)
    if due is None:
        service.finish_if_done(campaign_id)
        return None
    return max(0.0, (due - utcnow()).total_seconds())


class Dispatch:
    """One slice of sending for a campaign."""

    def __init__(self, campaign: Campaign, number: PhoneNumber, plan, client):
        self.campaign_id = campaign.id
        self.org_id = campaign.org_id
        self.number = number
        self.phone_number_id = number.phone_number_id
        self.plan = plan
        self.client = client
        self.limit = max(1, number.messages_per_second)
        self.rate = self.limit
        self.open = True
        self.stopped = False
        self.outcomes: list[Outcome] = []
        self.next_claim = 0.0
        self.cursor = 0
        self.last_flush = self.last_progress = time.monotonic()

    @property
    def batch(self) -> int:
        return max(1, min(MAX_BATCH, int(self.rate * CLAIM_SECONDS)))

    def run(self) -> None:
        deadline = time.monotonic() + SLICE_SECONDS
        app = current_app._get_current_object()
        with ThreadPoolExecutor(SENDERS, initializer=_enter, initargs=(app,)) as pool:
            self._pump(pool, deadline)
        self._flush()

    def _pump(self, pool: ThreadPoolExecutor, deadline: float) -> None:
        in_flight: dict = {}
        while True:
            if self._may_claim(len(in_flight), deadline):
                rows = self._claim()
                if rows:
                    in_flight.update(self._submit(pool, rows))
                elif not in_flight:
                    return
                else:
                    self.next_claim = time.monotonic() + FLUSH_SECONDS
            elif not in_flight:
                return
            if in_flight:
                done, _ = wait(in_flight, FLUSH_SECONDS, FIRST_COMPLETED)
                for future in done:
                    self.outcomes.append(_outcome(in_flight.pop(future), future))
            if self._flush_due():
                self._flush()

    def _may_claim(self, in_flight: int, deadline: float) -> bool:
        now = time.monotonic()
        if not self.open or in_flight >= self.batch or now < self.next_claim:
            return False
        if now >= deadline or not service.heartbeat(self.campaign_id):
            self.open = False
            return False
        return True

    def _claim(self) -> list:
        """The next rows after the last claimed; then, once those run out, rows
        put back for a retry behind it."""
        rows = recipients.claim(self.campaign_id, self.batch, self.cursor)
        if not rows and self.cursor:
            self.cursor = 0
            rows = recipients.claim(self.campaign_id, self.batch)
        if rows:
            self.cursor = rows[-1].id
        return rows

    def _submit(self, pool: ThreadPoolExecutor, rows) -> dict:
        contacts = recipients.contacts_of(rows)
        futures = {}
        for row in rows:
            contact = contacts.get(row.contact_id)
            if contact is not None and contact.opted_out:
                self.outcomes.append(Outcome(row.id, row.attempts, "skipped"))
                continue
            try:
                components = self.plan.components(contact or _bare(row))
            except fit.Unfit as unfit:
                outcome = Outcome(row.id, row.attempts, "unfit", reason=unfit.reason)
                self.outcomes.append(outcome)
                continue
            payload = messages.template(
                row.phone,
                self.plan.name,
                self.plan.language,
                components,
                callback_data=callback_data(self.campaign_id, row.id),
            )
            future = pool.submit(
                _send, self.client, self.phone_number_id, self.rate, payload
            )
            futures[future] = row
        return futures

    def _flush_due(self) -> bool:
        waited = time.monotonic() - self.last_flush
        return bool(self.outcomes) and (
            waited >= FLUSH_SECONDS or len(self.outcomes) >= self.batch
        )

    def _flush(self) -> None:
        outcomes, self.outcomes = self.outcomes, []
        self.last_flush = time.monotonic()
        if outcomes:
            recipients.write(self._changes(outcomes))
            db.session.commit()
            self._react(outcomes)
        if time.monotonic() - self.last_progress >= PROGRESS_SECONDS:
            self.last_progress = time.monotonic()
            service.publish_progress(self.campaign_id)

    def _changes(self, outcomes: list[Outcome]) -> dict[str, list[dict]]:
        changes = {"sent": [], "ended": [], "again": []}
        for outcome in outcomes:
            kind, change = _change(outcome)
            changes[kind].append(change)
        return changes

    def _react(self, outcomes: list[Outcome]) -> None:
        """Slow down on throttling; stop on a template or token problem."""
        throttled = any(_throttled(o) for o in outcomes)
        if throttled:
            ratelimit.penalize(self.phone_number_id, THROTTLE_PAUSE)
            self.rate = max(1, int(self.rate * 0.8))
        else:
            self.rate = min(self.limit, self.rate + max(1, self.limit // 20))
        for outcome in outcomes:
            if outcome.kind in (TEMPLATE, AUTH) and not self.stopped:
                self._stop(outcome.error)

    def _stop(self, error: GraphError) -> None:
        self.stopped, self.open = True, False
        if error.kind == AUTH:
            service.pause_for_token(self.number, error)
        else:
            reason = f"Meta refused the template (code {error.code}): {error.title}"
            service.fail(self.campaign_id, reason)


def _enter(app) -> None:
    """Each sender thread works inside the app, as the rate limiter reads it."""
    app.app_context().push()


def _send(client, phone_number_id: str, rate: int, payload: dict):
    try:
        ratelimit.acquire(phone_number_id, rate)
        return client.send_message(phone_number_id, payload)
    except GraphError as error:
        return error


def _outcome(row, future) -> Outcome:
    answer = future.result()
    if isinstance(answer, GraphError):
        return Outcome(row.id, row.attempts, answer.kind, error=answer)
    return Outcome(row.id, row.attempts, "sent", wamid=answer)


def _throttled(outcome: Outcome) -> bool:
    error = outcome.error
    return (
        outcome.kind == RETRY
        and error is not None
        and (error.code in THROTTLES or error.http_status == 429)
    )


def _change(outcome: Outcome) -> tuple[str, dict]:
    """Which batch an outcome goes in, and its values there."""
    rid, error = outcome.recipient_id, outcome.error
    if outcome.kind == "sent":
        return "sent", {"rid": rid, "wamid": outcome.wamid}
    if outcome.kind in ("unfit", "skipped"):
        status = "failed" if outcome.kind == "unfit" else "skipped"
        return "ended", _ended(rid, status, None, outcome.reason)
    if outcome.kind in (TEMPLATE, AUTH):
        # Not this recipient's fault: it goes out when the campaign can go on.
        return "again", _again(rid, None, 1, error)
    if outcome.kind == RETRY and outcome.attempts <= len(RETRY_DELAYS):
        delay = RETRY_DELAYS[outcome.attempts - 1]
        return "again", _again(rid, recipients.retry_at(delay), 0, error)
    if outcome.kind == RETRY:
        title = f"Gave up after {outcome.attempts} tries: {error.title}"
        return "ended", _ended(rid, "failed", error.code, title)
    if outcome.kind == UNKNOWN:
        return "ended", _ended(rid, "unknown", None, error.title)
    return "ended", _ended(rid, "failed", error.code, _title(error))


def _ended(rid: int, status: str, code, title) -> dict:
    title = title[:500] if title else None
    return {"rid": rid, "status": status, "code": code, "title": title}


def _again(rid: int, at, refund: int, error: GraphError) -> dict:
    return {
        "rid": rid,
        "at": at,
        "refund": refund,
        "code": error.code,
        "title": _title(error)[:500],
    }


def _title(error: GraphError) -> str:
    return f"{error.title}: {error.details}" if error.details else error.title


def _bare(row):
    """A contact-like stand-in for a row whose contact was deleted."""
    return SimpleNamespace(name="", phone=row.phone, tags=[], attributes={})
