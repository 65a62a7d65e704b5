"""The inbox page: every conversation of the org, live.

Two panes: the list of conversations and the open one's thread. Each part that
changes is a fragment of its own (`_list.html`, `_head.html`, `_messages.html`,
`_composer.html`) carrying the URL that renders it again, which inbox.js fetches
whenever the org's live socket tells of a change, or every few seconds while the
socket is down. Every role works here; sales users see only the conversations
assigned to them, as in the API (`inbox.visible`).
"""

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, flash, make_response, render_template, request, url_for

from wfb.accounts.models import User
from wfb.conversations import inbox, outbox
from wfb.conversations.inbox_list import SHOWS, list_args, list_context, org_numbers
from wfb.conversations.models import Conversation
from wfb.conversations.picker import (
    approved_templates,
    chosen_template,
    parts_of,
    template_inputs,
    template_spec,
    template_texts,
)
from wfb.conversations.routes import conversation_bodies, message_bodies
from wfb.dashboard.pages import page_blueprint, page_login_required, see_other
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.message_templates.slots import text_of
from wfb.models_base import utcnow
from wfb.tenancy import current_org_id, current_user, scoped

logger = logging.getLogger(__name__)

bp = page_blueprint("inbox_pages", __name__, url_prefix="/app/inbox")

# Messages shown at first; "Show earlier messages" adds as many each time.
HISTORY_STEP = 50
HISTORY_MAX = 500
TEXT_LIMIT = 4096
GONE = "That conversation is not in your inbox any more."
CHOOSE_TEMPLATE = "Choose an approved template."


@bp.context_processor
def helpers() -> dict:
    return {"when": when, "shows": [(key, label) for key, (label, _) in SHOWS.items()]}


def when(moment: datetime | None) -> str:
    """A time as the page prints it, in UTC; inbox.js shows it in the reader's zone."""
    if moment is None:
        return ""
    if moment.date() == utcnow().date():
        return moment.strftime("%H:%M")
    return f"{moment.day} {moment.strftime('%b, %H:%M')}"


def window_label(conversation: Conversation) -> str:
    """The 24-hour window in words, for the thread's head."""
    closes = inbox.window_closes_at(conversation)
    left = closes - utcnow() if closes else timedelta(0)
    if left <= timedelta(0):
        return "Window closed — send a template"
    minutes = int(left.total_seconds() // 60)
    if minutes < 60:
        return f"Window open · closes in {max(minutes, 1)} min"
    return f"Window open · closes in {minutes // 60} h"


def visible_conversation(conversation_id: int) -> Conversation:
    """A conversation this user may see, or a 404 that says nothing of others."""
    query = inbox.visible(current_user(), current_org_id())
    conversation = db.session.scalar(query.where(Conversation.id == conversation_id))
    if conversation is None:
        if request.headers.get("HX-Request"):
            # A live page whose conversation left this user's inbox goes back to it.
            abort(back_to_inbox(404, GONE))
        abort(404)
    return conversation


def back_to_inbox(status: int, notice: str):
    """An htmx answer that loads the inbox, where `notice` is shown."""
    flash(notice)
    response = make_response("", status)
    response.headers["HX-Redirect"] = url_for("inbox_pages.inbox")
    return response


# The open conversation: its head, messages and composer


def head_context(conversation: Conversation, error: str | None = None) -> dict:
    members = scoped(User).where(User.role.in_(inbox.ASSIGNABLE_ROLES))
    number = conversation.phone_number
    return {
        "conversation": conversation_bodies([conversation])[0],
        "window": window_label(conversation),
        "members": db.session.scalars(members.order_by(User.name, User.id)).all(),
        "number_label": number.label or number.display_phone_number,
        "several_numbers": len(org_numbers()) > 1,
        "head_error": error,
    }


def history_limit(values) -> int:
    limit = values.get("limit", type=int) or HISTORY_STEP
    return min(max(limit, HISTORY_STEP), HISTORY_MAX)


def messages_context(conversation: Conversation, limit: int) -> dict:
    found, cursor = inbox.history(conversation, None, limit)
    bodies = template_texts(conversation.org_id, message_bodies(found[::-1]))
    return {
        "conversation_id": conversation.id,
        "messages": bodies,
        "more": cursor is not None,
        "limit": limit,
        "step": HISTORY_STEP,
    }


def composer_context(conversation: Conversation, form=None, error=None) -> dict:
    """The reply box, or the template picker while the window is closed."""
    form = form or {}
    templates = approved_templates(conversation.org_id)
    chosen = chosen_template(templates, form.get("template"))
    inputs = template_inputs(chosen) if chosen else []
    problems, note = {}, None
    if error is not None:
        fields = (error.errors or {}).get("json") or {}
        problems = {field: messages[0] for field, messages in fields.items()}
        shown = {i.problem for i in inputs} | ({"template"} if templates else set())
        if not shown & problems.keys():
            note = error.message
    return {
        "conversation_id": conversation.id,
        "window_open": inbox.window_open(conversation),
        "templates": templates,
        "chosen": chosen,
        "inputs": inputs,
        "template_text": text_of(parts_of(chosen).get("BODY")) if chosen else "",
        "form": form,
        "problems": problems,
        "note": note,
    }


def reply_data(conversation: Conversation, form) -> dict:
    """What the composer asks to send: a text, or a template with its values."""
    if "template" in form:
        templates = approved_templates(conversation.org_id)
        template = chosen_template(templates, form.get("template"))
        if template is None:
            errors = {"json": {"template": [CHOOSE_TEMPLATE]}}
            raise DomainError(CHOOSE_TEMPLATE, 422, errors=errors)
        return {"template": template_spec(template, form)}
    text = form.get("text", "").strip()
    if not text:
        raise DomainError("Write a message first.", 422)
    if len(text) > TEXT_LIMIT:
        raise DomainError(f"A message holds at most {TEXT_LIMIT} characters.", 422)
    return {"text": text}


# Answers


def render_page(conversation: Conversation | None = None, status=200, **extra):
    """The whole page: the list, and the open conversation if there is one."""
    args = list_args(request.args)
    context = list_context(args, conversation.id if conversation else None)
    socket = url_for("live.stream", org_id=current_org_id())
    context["socket_path"] = urlsplit(socket).path
    if conversation is not None:
        context.update(head_context(conversation, extra.get("head_error")))
        context.update(messages_context(conversation, history_limit(request.args)))
        form = extra.get("form") or request.args
        context.update(composer_context(conversation, form, extra.get("error")))
    return render_template("inbox/inbox.html", **context), status


def render_thread(conversation: Conversation, status=200, composer=None, messages=True):
    """The parts of the open conversation that change together: the composer when
    given, the messages, and the head, each after the first one out of band, so the
    head always tells what the composer shows."""
    parts = []
    if composer is not None:
        parts.append(render_template("inbox/_composer.html", **composer))
    if messages:
        context = messages_context(conversation, history_limit(request.args))
        parts.append(
            render_template("inbox/_messages.html", oob=bool(parts), **context)
        )
    context = head_context(conversation)
    parts.append(render_template("inbox/_head.html", oob=True, **context))
    response = make_response("".join(parts), status)
    response.vary.add("HX-Request")
    return response


def answer_action(conversation: Conversation, error: str | None = None):
    """After a change from the head: the head again, or back to the inbox for a
    salesperson who gave the conversation away."""
    seen = inbox.visible(current_user(), current_org_id())
    if db.session.scalar(seen.where(Conversation.id == conversation.id)) is None:
        notice = "The conversation is someone else's now."
        if request.headers.get("HX-Request"):
            return back_to_inbox(200, notice)
        return see_other("inbox_pages.inbox", notice)
    status = 422 if error else 200
    if not request.headers.get("HX-Request"):
        if error:
            return render_page(conversation, status, head_error=error)
        return see_other("inbox_pages.conversation", conversation_id=conversation.id)
    return render_template(
        "inbox/_head.html", **head_context(conversation, error)
    ), status


def act(conversation: Conversation, change, *args):
    """Apply one of `inbox`'s changes, tell the org's clients, and answer."""
    previous = conversation.assigned_user_id
    try:
        change(conversation, *args)
    except DomainError as error:
        db.session.rollback()
        return answer_action(conversation, error.message)

    inbox.changed(conversation, previous)
    db.session.commit()
    return answer_action(conversation)


# Views


@bp.get("", endpoint="inbox")
@page_login_required
def index():
    """The inbox: the conversations this user may see, most recent first."""
    return render_page()


@bp.get("/list")
@page_login_required
def conversation_list():
    """The list of conversations alone, as the live page fetches it again."""
    args = list_args(request.args)
    context = list_context(args, request.args.get("open", type=int))
    return render_template("inbox/_list.html", **context)


@bp.get("/<int:conversation_id>", endpoint="conversation")
@page_login_required
def open_conversation(conversation_id):
    """The inbox with one conversation open: its messages and a reply box."""
    return render_page(visible_conversation(conversation_id))


@bp.get("/<int:conversation_id>/thread")
@page_login_required
def thread(conversation_id):
    """The conversation's messages, and its head out of band."""
    return render_thread(visible_conversation(conversation_id))


@bp.get("/<int:conversation_id>/composer")
@page_login_required
def composer(conversation_id):
    """The reply box, or the template picker with the chosen template's values."""
    conversation = visible_conversation(conversation_id)
    context = composer_context(conversation, request.args)
    return render_thread(conversation, composer=context, messages=False)


@bp.post("/<int:conversation_id>/reply")
@page_login_required
def reply(conversation_id):
    """Send a reply: free text while the window is open, else a template."""
    conversation = visible_conversation(conversation_id)
    try:
        data = reply_data(conversation, request.form)
        payload = inbox.payload_for(conversation.contact, data)
        message = inbox.reply(conversation, payload, current_user())
    except DomainError as error:
        db.session.rollback()
        if not request.headers.get("HX-Request"):
            return render_page(conversation, 422, form=request.form, error=error)
        context = composer_context(conversation, request.form, error)
        return render_thread(conversation, 422, composer=context, messages=False)

    inbox.changed(conversation)
    db.session.commit()
    logger.info("message %s queued in conversation %s", message.id, conversation.id)
    outbox.deliver(conversation.id)
    if not request.headers.get("HX-Request"):
        return see_other("inbox_pages.conversation", conversation_id=conversation.id)
    return render_thread(conversation, composer=composer_context(conversation))


@bp.post("/<int:conversation_id>/assign")
@page_login_required
def assign(conversation_id):
    """Give the conversation to a member of the org, or to nobody."""
    conversation = visible_conversation(conversation_id)
    chosen = request.form.get("user_id", "").strip()
    member = None
    if chosen:
        digits = chosen.isascii() and chosen.isdigit() and len(chosen) < 10
        member_id = int(chosen) if digits else 0
        member = db.session.scalar(scoped(User).where(User.id == member_id))
        if member is None:
            return answer_action(conversation, "Choose a member of your organization.")
    return act(conversation, inbox.assign, member)


@bp.post("/<int:conversation_id>/hand-back")
@page_login_required
def hand_back(conversation_id):
    """Hand the conversation back to automation: flows and bots answer again."""
    return act(visible_conversation(conversation_id), inbox.hand_back)


@bp.post("/<int:conversation_id>/close")
@page_login_required
def close(conversation_id):
    """Close the conversation; the customer's next message opens it again."""
    return act(visible_conversation(conversation_id), inbox.close)


@bp.post("/<int:conversation_id>/read")
@page_login_required
def read(conversation_id):
    """Mark the conversation read here and on the customer's phone."""
    conversation = visible_conversation(conversation_id)
    answer = act(conversation, inbox.mark_read)
    inbox.tell_meta_read(conversation)
    return answer
