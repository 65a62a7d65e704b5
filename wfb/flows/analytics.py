"""Drop-off: how far the sessions of one published version got, node by node."""

from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from wfb.extensions import db
from wfb.flows.models import OPEN, FlowSession, FlowVersion
from wfb.models_base import utcnow


def drop_off(version: FlowVersion) -> dict:
    """Each node's sessions: how many ran it, wait at it now, and ended their run there.

    An open session silent for longer than sessions live counts as ended where it
    waits, as it expires there whether or not the sweep has marked it yet.
    """
    hours = current_app.config["SETTINGS"].SESSION_TIMEOUT_HOURS
    silent_since = utcnow() - timedelta(hours=hours)
    rows = db.session.execute(
        select(
            FlowSession.status,
            FlowSession.node_id,
            FlowSession.visited,
            FlowSession.last_activity_at,
        ).where(
            FlowSession.org_id == version.org_id,
            FlowSession.flow_version_id == version.id,
        )
    ).yield_per(1000)

    reached, waiting, stopped, statuses = Counter(), Counter(), Counter(), Counter()
    for status, node_id, visited, last_activity_at in rows:
        reached.update(set(visited or ()))
        if status in OPEN and last_activity_at >= silent_since:
            waiting[node_id] += 1
        else:
            status = "expired" if status in OPEN else status
            stopped[node_id] += 1
        statuses[status] += 1

    return {
        "version": version.number,
        "sessions": statuses.total(),
        "completed": statuses["completed"],
        "statuses": dict(sorted(statuses.items())),
        "nodes": [
            {
                "id": node["id"],
                "type": node["type"],
                "reached": reached[node["id"]],
                "waiting": waiting[node["id"]],
                "stopped": stopped[node["id"]],
            }
            for node in version.nodes
        ],
    }
