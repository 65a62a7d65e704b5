"""Campaigns start on time and once, and the sweep picks up after a dead worker."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.support import run_scheduled
from tests.test_campaigns_api import (
    add_contacts,
    body,
    campaign_row,
    counts,
    make_org,
    phone,
    rows,
    statuses,
)
from wfb.campaigns import service, tasks
from wfb.campaigns.models import Campaign, CampaignRecipient
from wfb.contacts.models import Contact
from wfb.extensions import db
from wfb.jobs import huey

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin):
    return make_org(admin)


def schedule(admin, org, at: datetime, **changes) -> dict:
    response = admin.post(
        "/campaigns/send", json=body(org, schedule_at=at.isoformat(), **changes)
    )
    assert response.status_code == 202, response.json
    return response.json


def make_due(campaign_id: int) -> None:
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(schedule_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()


def test_the_start_is_queued_for_the_campaigns_time(admin, org, graph):
    add_contacts(org.org_id, 1)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)

    campaign = schedule(admin, org, at)

    queued = [t for t in huey.scheduled() if t.name.endswith("start_campaign")]
    assert [(t.args, t.eta) for t in queued] == [
        ((campaign["id"],), at.replace(tzinfo=None))
    ]
    assert campaign["schedule_at"] == at.isoformat()


def test_a_start_that_comes_early_waits(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))

    run_scheduled()

    assert campaign_row(campaign["id"]).status == "scheduled"
    assert graph.messages() == []


def test_two_schedulers_at_once_start_a_due_campaign_once(app, admin, org, graph):
    add_contacts(org.org_id, 40)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    make_due(campaign["id"])
    ready = threading.Barrier(2)
    errors = []

    def scheduler():
        with app.app_context():
            try:
                ready.wait()
                tasks.tend()
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(rows(campaign["id"])) == 40
    sent_to = [m["to"] for m in graph.messages()]
    assert sorted(sent_to) == [phone(i) for i in range(40)]
    assert campaign_row(campaign["id"]).status == "completed"


def test_starting_twice_starts_once(admin, org, graph):
    add_contacts(org.org_id, 2)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    make_due(campaign["id"])

    first = service.start(campaign["id"])
    second = service.start(campaign["id"])

    assert (first, second) == (True, False)
    assert len(rows(campaign["id"])) == 2


def test_the_audience_is_fixed_when_the_campaign_starts(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    add_contacts(org.org_id, 1, start=1)
    make_due(campaign["id"])
    service.start(campaign["id"])
    add_contacts(org.org_id, 1, start=2)

    tasks.send_campaign(campaign["id"])

    assert statuses(campaign["id"]) == {phone(0): "sent", phone(1): "sent"}


def test_a_campaign_whose_audience_emptied_completes_saying_so(admin, org, graph):
    add_contacts(org.org_id, 1)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    db.session.execute(Contact.__table__.delete())
    db.session.commit()
    make_due(campaign["id"])

    tasks.tend()

    row = campaign_row(campaign["id"])
    assert (row.status, row.reason) == (
        "completed",
        "The audience had no contacts when the campaign started.",
    )


def left_by_a_dead_worker(campaign_id: int, sending: int) -> None:
    """The state a worker killed mid-send leaves: its rows `sending`, the
    campaign untouched since."""
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    ids = [row.id for row in rows(campaign_id)][:sending]
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(ids))
        .values(status="sending", status_at=long_ago, attempts=1)
    )
    db.session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(updated_at=long_ago)
    )
    db.session.commit()


def test_the_sweep_marks_a_dead_workers_sends_unknown_and_sends_the_rest(
    admin, org, graph
):
    add_contacts(org.org_id, 5)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    make_due(campaign["id"])
    service.start(campaign["id"])
    left_by_a_dead_worker(campaign["id"], sending=2)

    tasks.tend()

    assert statuses(campaign["id"]) == {
        phone(0): "unknown",
        phone(1): "unknown",
        phone(2): "sent",
        phone(3): "sent",
        phone(4): "sent",
    }
    assert sorted(m["to"] for m in graph.messages()) == [phone(2), phone(3), phone(4)]
    assert campaign_row(campaign["id"]).status == "completed"


def test_the_sweep_leaves_a_live_senders_rows_alone(admin, org, graph):
    add_contacts(org.org_id, 2)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    make_due(campaign["id"])
    service.start(campaign["id"])
    db.session.execute(update(CampaignRecipient).values(status="sending"))
    db.session.execute(update(CampaignRecipient).values(status_at=datetime.now(UTC)))
    db.session.commit()

    tasks.tend()

    assert statuses(campaign["id"]) == {phone(0): "sending", phone(1): "sending"}
    assert graph.messages() == []
    assert campaign_row(campaign["id"]).status == "running"


def test_the_sweep_does_not_restart_a_paused_campaign(admin, org, graph):
    add_contacts(org.org_id, 2)
    campaign = schedule(admin, org, datetime.now(UTC) + timedelta(hours=1))
    make_due(campaign["id"])
    service.start(campaign["id"])
    left_by_a_dead_worker(campaign["id"], sending=1)
    service.pause(campaign["id"], "Held.")
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign["id"])
        .values(updated_at=datetime.now(UTC) - timedelta(minutes=5))
    )
    db.session.commit()

    tasks.tend()

    assert statuses(campaign["id"]) == {phone(0): "unknown", phone(1): "pending"}
    assert graph.messages() == []
    assert admin.get(f"/campaigns/{campaign['id']}").json["counts"] == counts(
        pending=1, unknown=1
    )
