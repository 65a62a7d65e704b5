"""Running flows: what answers an inbound message, and how a session moves on.

An inbound message continues the contact's waiting session on that number; else the
first matching keyword flow starts; else the number's assigned flow answers. A session
runs the flow version it started on, so editing a flow never changes a running path.
Work that must not happen inside the transaction (scheduling a delay, calling a
business's webhook) is returned as follow-ups, run after the commit.
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from wfb.accounts.models import Org
from wfb.conversations import outbox
from wfb.extensions import db
from wfb.flows import answers, calls
from wfb.flows.models import OPEN, Flow, FlowSession, FlowVersion
from wfb.flows.run import Run
from wfb.flows.service import find_keyword_flow
from wfb.jobs import task
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)


def handle_inbound(received) -> list:
    """Let automation answer an inbound message just stored; answer the follow-ups."""
    conversation, contact = received.conversation, received.contact
    payload = received.message.payload
    org = db.session.get(Org, conversation.org_id)
    _, text = answers.reply_id_and_text(payload)
    session = open_session(conversation)
    if text.strip().upper() in {w.upper() for w in org.opt_out_words or []}:
        _opt_out(contact, session)
        return []
    if conversation.handed_off:
        return []
    if session is not None:
        if session.status != "waiting":
            return []
        session.last_activity_at = utcnow()
        run = Run(session, conversation, contact, org)
        run.answer(payload)
        return run.follow_ups
    version = find_keyword_flow(org.id, text) or _assigned_version(received.number)
    if version is None:
        return []
    return start(version, conversation, contact, org).follow_ups


def start(version: FlowVersion, conversation, contact, org) -> Run:
    """Begin a session of this flow version at its start node."""
    session = FlowSession(
        org_id=org.id,
        conversation_id=conversation.id,
        flow_id=version.flow_id,
        flow_version_id=version.id,
        variables={},
        retries=0,
        last_activity_at=utcnow(),
    )
    db.session.add(session)
    db.session.flush()
    run = Run(session, conversation, contact, org)
    run.go(next(n["id"] for n in version.nodes if n["type"] == "start"))
    logger.info(
        "conversation %s started flow %s v%s",
        conversation.id,
        version.flow_id,
        version.number,
    )
    return run


def open_session(conversation) -> FlowSession | None:
    """The conversation's running session, after expiring one silent for too long."""
    session = db.session.scalar(
        select(FlowSession)
        .where(
            FlowSession.conversation_id == conversation.id, FlowSession.status.in_(OPEN)
        )
        .order_by(FlowSession.id.desc())
    )
    if session is None:
        return None
    hours = current_app.config["SETTINGS"].SESSION_TIMEOUT_HOURS
    if session.last_activity_at < utcnow() - timedelta(hours=hours):
        session.status = "expired"
        return None
    return session


def _assigned_version(number) -> FlowVersion | None:
    if number.flow_id is None:
        return None
    flow = db.session.get(Flow, number.flow_id)
    if flow is None or not flow.active or flow.current_version_id is None:
        return None
    return db.session.get(FlowVersion, flow.current_version_id)


def _opt_out(contact, session: FlowSession | None) -> None:
    contact.opted_out = True
    contact.opted_out_at = utcnow()
    if session is not None:
        session.status = "ended"
    logger.info("contact %s opted out", contact.id)


def _parked(session_id: int, node_id: str) -> FlowSession | None:
    session = db.session.get(FlowSession, session_id)
    if session is None or session.status != "delayed" or session.node_id != node_id:
        return None
    return session


def _go_on(session: FlowSession, node_id: str, handle=None, values=None) -> None:
    """Leave a parked node by the edge `handle`, then commit and send."""
    run = Run.load(session)
    if values:
        run.variables = {**run.variables, **values}
    run.go(run.next(run.nodes[node_id], handle))
    session.last_activity_at = utcnow()
    db.session.commit()
    outbox.deliver(run.conversation.id)
    for follow_up in run.follow_ups:
        follow_up()


@task()
def resume_session(session_id: int, node_id: str) -> None:
    """Go on past a delay node, unless the session moved on meanwhile."""
    session = _parked(session_id, node_id)
    if session is not None:
        _go_on(session, node_id)


@task()
def call_flow_webhook(session_id: int, node_id: str) -> None:
    """Make a webhook node's call with no transaction open, then go on."""
    session = _parked(session_id, node_id)
    if session is None:
        return
    run = Run.load(session)
    data = run.nodes[node_id].get("data") or {}
    url, body = run.render(data["url"]), calls.request_body(run, node_id)
    method, headers = data.get("method", "POST"), data.get("headers") or {}
    db.session.rollback()

    ok, answer = calls.call(url, method, headers, body)

    session = _parked(session_id, node_id)
    if session is not None:
        saved = {data["save_as"]: answer} if ok and data.get("save_as") else None
        _go_on(session, node_id, "success" if ok else "error", saved)
