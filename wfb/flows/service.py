"""Flows saved as immutable versions, and the keyword flow an inbound text starts."""

import copy
import logging
from collections import defaultdict

from sqlalchemy import delete, func, select, update

from wfb.extensions import db
from wfb.flows import patterns
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)
# The parts of a flow that a version freezes; name and active are not versioned.
VERSIONED = ("trigger", "nodes", "edges")


def create_flow(org_id: int, data: dict) -> Flow:
    """A new flow from a checked structure, with its version 1 current."""
    flow = Flow(org_id=org_id, name=data["name"], active=data.get("active", True))
    for key in VERSIONED:
        setattr(flow, key, copy.deepcopy(data[key]))
    db.session.add(flow)
    db.session.flush()

    _add_version(flow, number=1)
    logger.info("org %s created flow %s", org_id, flow.id)
    return flow


def update_flow(flow: Flow, changes: dict) -> None:
    """Apply checked changes; a changed trigger, nodes or edges make a new version."""
    versioned = any(
        key in changes and changes[key] != getattr(flow, key) for key in VERSIONED
    )
    for key, value in changes.items():
        setattr(flow, key, copy.deepcopy(value))
    if not versioned:
        return

    last = db.session.scalar(
        scoped(FlowVersion, flow.org_id)
        .with_only_columns(func.max(FlowVersion.number))
        .where(FlowVersion.flow_id == flow.id)
    )
    version = _add_version(flow, number=(last or 0) + 1)
    logger.info("org %s flow %s is now version %s", flow.org_id, flow.id, version)


def _add_version(flow: Flow, number: int) -> int:
    # Copies, so that a later change to the flow's lists cannot reach a version.
    version = FlowVersion(
        org_id=flow.org_id,
        flow_id=flow.id,
        number=number,
        **{key: copy.deepcopy(getattr(flow, key)) for key in VERSIONED},
    )
    db.session.add(version)
    db.session.flush()
    flow.current_version_id = version.id
    return number


def delete_flow(flow: Flow) -> None:
    """Remove a flow, its versions and their sessions; its numbers keep no flow."""
    org_id = flow.org_id
    # The foreign keys do the same, but SQLite enforces them only where enabled.
    db.session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.org_id == org_id, PhoneNumber.flow_id == flow.id)
        .values(flow_id=None)
    )
    versions = select(FlowVersion.id).where(
        FlowVersion.org_id == org_id, FlowVersion.flow_id == flow.id
    )
    db.session.execute(
        delete(FlowSession).where(
            FlowSession.org_id == org_id, FlowSession.flow_version_id.in_(versions)
        )
    )
    db.session.execute(
        delete(FlowVersion).where(
            FlowVersion.org_id == org_id, FlowVersion.flow_id == flow.id
        )
    )
    db.session.delete(flow)
    logger.info("org %s deleted flow %s", org_id, flow.id)


def flow_bodies(flows: list[Flow]) -> list[dict]:
    """Each flow as the API shows it, with its version number and phone numbers."""
    if not flows:
        return []
    org_id = flows[0].org_id
    version_ids = [flow.current_version_id for flow in flows]
    numbers = dict(
        db.session.execute(
            scoped(FlowVersion, org_id)
            .with_only_columns(FlowVersion.id, FlowVersion.number)
            .where(FlowVersion.id.in_(version_ids))
        ).all()
    )
    phones = defaultdict(list)
    rows = db.session.execute(
        scoped(PhoneNumber, org_id)
        .with_only_columns(PhoneNumber.id, PhoneNumber.flow_id)
        .where(PhoneNumber.flow_id.in_([flow.id for flow in flows]))
        .order_by(PhoneNumber.id)
    )
    for phone_id, flow_id in rows:
        phones[flow_id].append(phone_id)

    return [
        {
            **flow.structure,
            "id": flow.id,
            "active": flow.active,
            "version": numbers.get(flow.current_version_id),
            "phone_number_ids": phones[flow.id],
            "created_at": flow.created_at,
            "updated_at": flow.updated_at,
        }
        for flow in flows
    ]


def find_keyword_flow(org_id: int, text: str | None) -> FlowVersion | None:
    """The current version of the org's first active flow (by id) whose keywords fit."""
    if not text or not text.strip():
        return None

    versions = db.session.scalars(
        scoped(FlowVersion, org_id)
        .join(Flow, Flow.current_version_id == FlowVersion.id)
        .where(Flow.org_id == org_id, Flow.active.is_(True))
        .order_by(Flow.id)
    )
    return next((v for v in versions if trigger_matches(v.trigger, text)), None)


def trigger_matches(trigger: dict, text: str) -> bool:
    """Whether a keyword trigger fits the text, ignoring case and outer whitespace.

    `exact` compares the whole text, `contains` looks for the keyword anywhere in it,
    and `regex` searches the text with the keyword as a pattern (anchor it with ^ and
    $ to match the whole text).
    """
    if trigger.get("type") != "keyword":
        return False
    said = text.strip()
    match = trigger.get("match", "exact")
    for keyword in trigger.get("keywords", []):
        if match == "regex":
            found = patterns.search(keyword, said)
        elif match == "contains":
            found = keyword.strip().casefold() in said.casefold()
        else:
            found = keyword.strip().casefold() == said.casefold()
        if found:
            return True
    return False
