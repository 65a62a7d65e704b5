"""A session being moved through the nodes of its flow version."""

import logging

from wfb.accounts.models import Org
from wfb.contacts.models import Contact
from wfb.conversations import outbox
from wfb.conversations.models import Conversation
from wfb.extensions import db
from wfb.flows import answers, steps
from wfb.flows.models import FlowSession, FlowVersion
from wfb.flows.render import render

logger = logging.getLogger(__name__)
MAX_REASKS = 3
MAX_STEPS = 200


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
        self.follow_ups: list = []

    @classmethod
    def load(cls, session: FlowSession) -> "Run":
        """The run of a stored session, with its conversation, contact and org."""
        conversation = db.session.get(Conversation, session.conversation_id)
        contact = db.session.get(Contact, conversation.contact_id)
        return cls(session, conversation, contact, db.session.get(Org, session.org_id))

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

    def later(self, follow_up) -> None:
        """Do `follow_up` once the session's changes are committed."""
        self.follow_ups.append(follow_up)

    def delay(self, node: dict, seconds: int) -> None:
        from wfb.flows.engine import resume_session

        self._park(node)
        args = (self.session.id, node["id"])
        self.later(lambda: resume_session.schedule(args, delay=seconds))

    def call_webhook(self, node: dict) -> None:
        """Park the session while a task makes the node's HTTP call."""
        from wfb.flows.engine import call_flow_webhook

        self._park(node)
        args = (self.session.id, node["id"])
        self.later(lambda: call_flow_webhook(*args))

    def _park(self, node: dict) -> None:
        self.session.node_id = node["id"]
        self.session.status = "delayed"

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
            self._enter(node_id)
            node_id = steps.STEPS[node["type"]](self, node)
            if node_id is steps.STOP:
                return
        logger.error(
            "session %s ran %s steps without waiting; ended", self.session.id, MAX_STEPS
        )
        self.finish("ended")

    def _enter(self, node_id: str) -> None:
        self.session.node_id = node_id
        visited = self.session.visited or []
        if node_id not in visited:
            # A new list, as the column does not track changes made in place.
            self.session.visited = [*visited, node_id]

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
