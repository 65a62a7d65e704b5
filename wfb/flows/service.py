"""Flows: drafts, their published versions, and the keyword flow a text starts."""

import copy
import logging
from collections import defaultdict

from sqlalchemy import delete, func, select, update

from wfb.accounts.models import User
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.flows import patterns
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)
# The parts of a flow that a version freezes; name and active are not versioned.
VERSIONED = ("trigger", "nodes", "edges")


def create_flow(org_id: int, data: dict, user: User | None = None) -> Flow:
    """A new flow from a checked structure; published as version 1 unless told not."""
    flow = Flow(org_id=org_id, name=data["name"], active=data.get("active", True))
    for key in VERSIONED:
        setattr(flow, key, copy.deepcopy(data[key]))
    db.session.add(flow)
    db.session.flush()
    logger.info("org %s created flow %s", org_id, flow.id)
    if data.get("publish", True):
        publish(flow, user)
    return flow


def update_draft(flow: Flow, changes: dict) -> None:
    """Apply checked changes to the draft; what runs changes only when published."""
    for key, value in changes.items():
        setattr(flow, key, copy.deepcopy(value))


def publish(flow: Flow, user: User | None, note: str | None = None) -> FlowVersion:
    """Freeze the draft as the next version and make it the one that runs.

    Lock the flow first (`lock`), so that two publishes cannot take one number.
    """
    last = db.session.scalar(
        scoped(FlowVersion, flow.org_id)
        .with_only_columns(func.max(FlowVersion.number))
        .where(FlowVersion.flow_id == flow.id)
    )
    version = _freeze(flow, user, number=(last or 0) + 1, note=note)
    flow.current_version_id = version.id
    logger.info("org %s flow %s published v%s", flow.org_id, flow.id, version.number)
    return version


def preview_version(flow: Flow, user: User) -> FlowVersion:
    """The draft frozen for `user` to preview, in place of their earlier preview."""
    earlier = select(FlowVersion.id).where(
        FlowVersion.org_id == flow.org_id,
        FlowVersion.flow_id == flow.id,
        FlowVersion.number.is_(None),
        FlowVersion.published_by_id == user.id,
    )
    _delete_versions(flow.org_id, earlier)
    return _freeze(flow, user, number=None)


def _freeze(flow: Flow, user: User | None, number: int | None, note=None):
    # Copies, so that a later change to the draft cannot reach a version.
    version = FlowVersion(
        org_id=flow.org_id,
        flow_id=flow.id,
        number=number,
        note=note,
        published_by_id=user.id if user else None,
        **{key: copy.deepcopy(getattr(flow, key)) for key in VERSIONED},
    )
    db.session.add(version)
    db.session.flush()
    return version


def lock(flow: Flow) -> None:
    """Hold the flow's row until commit, so that its saves and publishes queue."""
    db.session.refresh(flow, with_for_update=True)


def restore(flow: Flow, version: FlowVersion) -> None:
    """Make an earlier version the draft; nothing runs it until it is published."""
    update_draft(flow, {key: getattr(version, key) for key in VERSIONED})
    logger.info("org %s flow %s draft is v%s", flow.org_id, flow.id, version.number)


def published(flow: Flow, number: int) -> FlowVersion | None:
    """The flow's published version with this number."""
    return db.session.scalar(
        scoped(FlowVersion, flow.org_id).where(
            FlowVersion.flow_id == flow.id, FlowVersion.number == number
        )
    )


def versions_query(flow: Flow):
    """The flow's published versions, newest first."""
    return (
        scoped(FlowVersion, flow.org_id)
        .where(FlowVersion.flow_id == flow.id, FlowVersion.number.is_not(None))
        .order_by(FlowVersion.number.desc())
    )


def duplicate(flow: Flow, user: User | None) -> Flow:
    """A copy of the flow's draft, inactive and unpublished, so nothing runs it yet."""
    data = {**flow.structure, "name": f"{flow.name[:193]} (copy)"}
    return create_flow(flow.org_id, {**data, "active": False, "publish": False}, user)


def assign_numbers(flow: Flow, phone_ids: list[int]) -> None:
    """Make exactly these of the org's numbers answer with this flow."""
    wanted = set(phone_ids)
    found = set(
        db.session.scalars(
            scoped(PhoneNumber, flow.org_id)
            .with_only_columns(PhoneNumber.id)
            .where(PhoneNumber.id.in_(wanted))
        )
    )
    if missing := sorted(wanted - found):
        message = f"No phone number with id {missing[0]} in this organization."
        errors = {"json": {"phone_number_ids": [message]}}
        raise DomainError(message, status=422, errors=errors)
    numbers = PhoneNumber.org_id == flow.org_id
    db.session.execute(
        update(PhoneNumber)
        .where(numbers, PhoneNumber.flow_id == flow.id, PhoneNumber.id.not_in(wanted))
        .values(flow_id=None)
    )
    db.session.execute(
        update(PhoneNumber)
        .where(numbers, PhoneNumber.id.in_(wanted))
        .values(flow_id=flow.id)
    )
    logger.info("org %s flow %s answers on numbers %s", flow.org_id, flow.id, found)


def delete_flow(flow: Flow) -> None:
    """Remove a flow, its versions and their sessions; its numbers keep no flow."""
    org_id = flow.org_id
    db.session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.org_id == org_id, PhoneNumber.flow_id == flow.id)
        .values(flow_id=None)
    )
    versions = select(FlowVersion.id).where(
        FlowVersion.org_id == org_id, FlowVersion.flow_id == flow.id
    )
    _delete_versions(org_id, versions)
    db.session.delete(flow)
    logger.info("org %s deleted flow %s", org_id, flow.id)


def _delete_versions(org_id: int, ids) -> None:
    """Delete these versions and their sessions."""
    ids = db.session.scalars(ids).all()
    # The foreign keys cascade too, but SQLite enforces them only where enabled.
    db.session.execute(
        delete(FlowSession).where(
            FlowSession.org_id == org_id, FlowSession.flow_version_id.in_(ids)
        )
    )
    db.session.execute(
        delete(FlowVersion).where(FlowVersion.org_id == org_id, FlowVersion.id.in_(ids))
    )


def flow_bodies(flows: list[Flow]) -> list[dict]:
    """Each flow as the API shows it: its draft, the version that runs, its numbers."""
    if not flows:
        return []
    org_id = flows[0].org_id
    current = {
        version.id: version
        for version in db.session.scalars(
            scoped(FlowVersion, org_id).where(
                FlowVersion.id.in_([flow.current_version_id for flow in flows])
            )
        )
    }
    phones = defaultdict(list)
    rows = db.session.execute(
        scoped(PhoneNumber, org_id)
        .with_only_columns(PhoneNumber.id, PhoneNumber.flow_id)
        .where(PhoneNumber.flow_id.in_([flow.id for flow in flows]))
        .order_by(PhoneNumber.id)
    )
    for phone_id, flow_id in rows:
        phones[flow_id].append(phone_id)

    bodies = []
    for flow in flows:
        version = current.get(flow.current_version_id)
        bodies.append(
            {
                **flow.structure,
                "id": flow.id,
                "active": flow.active,
                "version": version.number if version else None,
                "draft_changed": version is None or draft_changed(flow, version),
                "phone_number_ids": phones[flow.id],
                "created_at": flow.created_at,
                "updated_at": flow.updated_at,
            }
        )
    return bodies


def draft_changed(flow: Flow, version: FlowVersion) -> bool:
    """Whether the draft differs from the version."""
    return any(getattr(flow, key) != getattr(version, key) for key in VERSIONED)


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
