"""What each node type does when a session reaches it.

Each step takes the running session and its node and answers the id of the next node,
or `STOP` when the session now waits (for a reply or a delay) or has ended.
"""

import logging

from wfb.campaigns import fit
from wfb.conversations import leads, outbox
from wfb.flows.render import compare, lookup
from wfb.whatsapp import messages

logger = logging.getLogger(__name__)
STOP = object()


def step_start(run, node):
    return run.next(node)


def step_message(run, node):
    data = node.get("data") or {}
    media = data.get("media")
    text = run.render(data.get("text", ""))
    if media:
        caption = run.render(media.get("caption") or "") or text or None
        run.send(
            messages.media(
                run.to, media["type"], link=media.get("link"),
                media_id=media.get("id"), caption=caption,
            )
        )  # fmt: skip
        if text and caption != text:
            run.send(messages.text(run.to, text))
    elif text:
        run.send(messages.text(run.to, text))
    return run.next(node)


def ask(run, node, body: str | None = None) -> None:
    """Send the prompt of a waiting node (or its retry text in its place)."""
    data = node.get("data") or {}
    body = run.render(body or data.get("text", ""))
    header = run.render(data.get("header", "")) or None
    footer = run.render(data.get("footer", "")) or None
    kind = node["type"]
    if kind == "buttons":
        payload = messages.buttons(
            run.to, body, data["buttons"], header=header, footer=footer
        )
    elif kind == "list":
        payload = messages.list_message(
            run.to, body, data["button"], data["sections"], header=header, footer=footer
        )
    else:
        payload = messages.text(run.to, body)
    run.send(payload)


def step_wait(run, node):
    ask(run, node)
    run.wait(node)
    return STOP


def step_condition(run, node):
    data = node.get("data") or {}
    actual = lookup(data.get("variable", ""), run.contact, run.variables)
    expected = data.get("value")
    # A pattern is the business's own: placeholders would let a customer write it.
    if isinstance(expected, str) and data.get("operator") != "matches":
        expected = run.render(expected)
    outcome = compare(actual, data.get("operator", "eq"), expected)
    return run.next(node, "true" if outcome else "false")


def step_set(run, node):
    data = node.get("data") or {}
    contact = run.contact
    updates = {k: _rendered(run, v) for k, v in (data.get("vars") or {}).items()}
    run.variables = {**run.variables, **updates}
    attributes = {
        k: _rendered(run, v) for k, v in (data.get("attributes") or {}).items()
    }
    if attributes:
        contact.attributes = {**(contact.attributes or {}), **attributes}
    tags = [t for t in contact.tags or [] if t not in (data.get("remove_tags") or [])]
    tags += [t for t in data.get("add_tags") or [] if t not in tags]
    contact.tags = tags
    return run.next(node)


def _rendered(run, value):
    return run.render(value) if isinstance(value, str) else value


def step_delay(run, node):
    run.delay(node, int((node.get("data") or {}).get("seconds", 1)))
    return STOP


def step_webhook(run, node):
    run.call_webhook(node)
    return STOP


def step_template(run, node):
    """Send an approved template with its values filled in, checked against the
    synced template when there is one. Values that Meta would refuse are not sent:
    the message is kept as failed, with the reason, for the inbox to show."""
    data = node.get("data") or {}
    spec = {
        "name": data["name"],
        "language": data["language"],
        "parameters": data.get("parameters") or [],
        "header": data.get("header") or None,
        "buttons": data.get("buttons") or [],
    }
    try:
        plan = fit.flow_plan(run.org.id, spec)
        components = plan.components(run.contact, run.variables)
    except fit.Unfit as unfit:
        logger.warning(
            "flow session %s: template %s not sent: %s",
            run.session.id,
            spec["name"],
            unfit.reason,
        )
        message = outbox.queue(
            run.conversation, messages.template(run.to, spec["name"], spec["language"])
        )
        message.status, message.error_title = "failed", unfit.reason[:300]
        return run.next(node)
    run.send(messages.template(run.to, spec["name"], spec["language"], components))
    return run.next(node)


def step_assign(run, node):
    """Hand the conversation to a person: the node's member, or the next in turn."""
    member = leads.assign_lead(run.conversation, node.get("data") or {})
    if member is not None and member.phone:
        args = (member.id, run.conversation.id)
        run.later(lambda: leads.tell_member(*args))
    run.hand_off()
    return STOP


def step_ai_bot(run, node):
    # Limitation: AI bots are not built yet, so the session ends here unanswered.
    logger.info("flow reached ai_bot node %s; no bot answers yet", node["id"])
    run.finish("completed")
    return STOP


def step_end(run, node):
    run.finish("completed")
    return STOP


STEPS = {
    "start": step_start,
    "message": step_message,
    "buttons": step_wait,
    "list": step_wait,
    "question": step_wait,
    "condition": step_condition,
    "set": step_set,
    "delay": step_delay,
    "webhook": step_webhook,
    "template": step_template,
    "assign": step_assign,
    "ai_bot": step_ai_bot,
    "end": step_end,
}
