"""Running flows: what answers an inbound message, and how a session moves on.

An inbound message continues the contact's waiting session on that number; else the
first matching keyword flow starts; else the number's assigned flow answers. A session
runs the flow version it started on, so editing a flow never changes a running path.
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from wfb.accounts.models import Org
from wfb.conversations import outbox
from wfb.extensions import db
from wfb.flows import answers, steps
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.flows.render import render
from wfb.flows.service import find_keyword_flow
from wfb.jobs import task
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)
MAX_REASKS = 3
MAX_STEPS = 200
OPEN = ("running", "waiting", "delayed")


class Run:
    """One session being moved through its flow version."""

    def __init__(self, session: FlowSession, conversation, contact, org: Org):
        self.session = session
        self.conversation = conversation
        self.contact = contact
        self.org = org
        version = db.session.get(FlowVersion, session.flow_version_id)
        self.nodes = {node["id"]: node for node in version.nodes}
        self.edges = {
            (e["source"], e.get("source_handle")): e["target"] for e in version.edges
        }
        self.to = contact.phone

    @property
    def variables(self) -> dict:
        return dict(self.session.variables or {})

    @variables.setter
    def variables(self, value: dict) -> None:
        self.session.variables = value

    def render(self, text: str) -> str:
        return render(text, self.contact, self.variables)

    def next(self, node: dict, handle: str | None = None) -> str | None:
        return self.edges.get((node["id"], handle))

    def send(self, payload: dict) -> None:
        outbox.queue(self.conversation, payload)

    def wait(self, node: dict) -> None:
        self.session.node_id = node["id"]
        self.session.status = "waiting"

    def delay(self, node: dict, seconds: int) -> None:
        self.session.node_id = node["id"]
        self.session.status = "delayed"
        resume_session.schedule((self.session.id, node["id"]), delay=seconds)

    def hand_off(self) -> None:
        self.conversation.handed_off = True
        self.finish("handed_off")

    def finish(self, status: str) -> None:
        self.session.status = status

    def go(self, node_id: str | None) -> None:
        """Run steps from `node_id` until the session waits or ends."""
        self.session.status = "running"
        for _ in range(MAX_STEPS):
            node = self.nodes.get(node_id)
            if node is None:
                self.finish("completed")
                return
            self.session.node_id = node_id
            node_id = steps.STEPS[node["type"]](self, node)
            if node_id is steps.STOP:
                return
        logger.error(
            "session %s ran %s steps without waiting; ended", self.session.id, MAX_STEPS
        )
        self.finish("ended")

    def answer(self, payload: dict) -> None:
        """Follow the waiting node's edge that the customer's reply picks, or re-ask."""
        node = self.nodes.get(self.session.node_id)
        if node is None:
            self.finish("ended")
            return
        picked, target = self._match(node, payload)
        if picked:
            self.session.retries = 0
            self.go(target)
        elif self.session.retries < MAX_REASKS:
            self.session.retries += 1
            steps.ask(self, node, (node.get("data") or {}).get("retry_text"))
        elif (fallback := self.next(node, "fallback")) is not None:
            self.session.retries = 0
            self.go(fallback)
        else:
            self.finish("ended")

    def _match(self, node: dict, payload: dict) -> tuple[bool, str | None]:
        data = node.get("data") or {}
        reply_id, text = answers.reply_id_and_text(payload)
        if node["type"] == "question":
            value = answers.validate_answer(data, text, self.org.default_country)
            if value is None:
                return False, None
            self.variables = {**self.variables, data["save_as"]: value}
            return True, self.next(node)
        options = (
            data.get("buttons")
            if node["type"] == "buttons"
            else answers.list_rows(data)
        )
        choice = answers.choose(options or [], reply_id, text)
        return choice is not None, self.next(node, choice) if choice else None


def handle_inbound(received) -> None:
    """Let automation answer an inbound message that was just stored."""
    conversation, contact, message = (
        received.conversation,
        received.contact,
        received.message,
    )
    org = db.session.get(Org, conversation.org_id)
    _, text = answers.reply_id_and_text(message.payload)
    session = open_session(conversation)
    if text.strip().upper() in {w.upper() for w in org.opt_out_words or []}:
        _opt_out(contact, session)
        return
    if conversation.handed_off:
        return
    if session is not None:
        if session.status == "waiting":
            session.last_activity_at = utcnow()
            Run(session, conversation, contact, org).answer(message.payload)
        return
    version = find_keyword_flow(org.id, text) or _assigned_version(received.number)
    if version is not None:
        start(version, conversation, contact, org)


def start(version: FlowVersion, conversation, contact, org) -> FlowSession:
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
    start_node = next(n["id"] for n in version.nodes if n["type"] == "start")
    run.go(start_node)
    logger.info(
        "conversation %s started flow %s v%s",
        conversation.id,
        version.flow_id,
        version.number,
    )
    return session


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


@task()
def resume_session(session_id: int, node_id: str) -> None:
    """Go on past a delay node, unless the session moved on meanwhile."""
    from wfb.contacts.models import Contact
    from wfb.conversations.models import Conversation

    session = db.session.get(FlowSession, session_id)
    if session is None or session.status != "delayed" or session.node_id != node_id:
        return
    conversation = db.session.get(Conversation, session.conversation_id)
    contact = db.session.get(Contact, conversation.contact_id)
    org = db.session.get(Org, session.org_id)
    run = Run(session, conversation, contact, org)
    run.go(run.next(run.nodes[node_id]))
    session.last_activity_at = utcnow()
    db.session.commit()
    outbox.deliver(conversation.id)
