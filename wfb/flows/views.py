"""The flows pages: the org's flows and what is done to a flow as a whole (new,
import, duplicate, delete), the numbers that answer with one, and its preview."""

import json
import logging

from flask import flash, make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.routing import BuildError

from wfb import strictjson
from wfb.dashboard.pages import answer, page_blueprint, page_for, see_other
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.flows import preview, service
from wfb.flows.models import Flow
from wfb.flows.schemas import EXPORT_FORMAT, FlowSchema, NumbersSchema
from wfb.flows.validation import TRIGGER_TYPES, check_flow
from wfb.paging import MAX_PAGE, page_of
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import current_org_id, current_user, get_or_404, scoped

logger = logging.getLogger(__name__)

bp = page_blueprint("flow_pages", __name__, url_prefix="/app/flows")
editors_page = page_for("admin", "marketing")

PAGE_SIZE = 20
TRIGGER_OPTIONS = (
    ("keyword", "A keyword, such as “hi”"),
    ("any", "Any message no other flow answers"),
    ("manual", "Manual: a campaign reply or the API starts it"),
)
START_NODE = {"id": "start", "type": "start", "position": {"x": 0, "y": 0}}
# An exported flow is a few kilobytes; this bounds what an upload makes us parse.
MAX_IMPORT_BYTES = 1024 * 1024
EXPORT_VERSION = 1
SHOWN_KEYWORDS = 5


def editor_url(flow_id: int) -> str:
    try:
        return url_for("flow_editor_pages.editor", flow_id=flow_id)
    except BuildError:
        return f"{bp.url_prefix}/{flow_id}"


def to_editor(flow: Flow, notice: str):
    """303 to the flow's editor, with a notice to show there."""
    flash(notice)
    return redirect(editor_url(flow.id), 303)


def trigger_summary(trigger) -> str:
    """What starts the flow, in a few words: keyword “hi”, “hello” · exact."""
    trigger = trigger if isinstance(trigger, dict) else {}
    kind = trigger.get("type")
    if kind == "any":
        return "any message"
    if kind == "manual":
        return "manual"
    if kind != "keyword":
        return "no trigger"
    keywords = [str(k) for k in trigger.get("keywords") or []]
    shown = ", ".join(f"“{keyword}”" for keyword in keywords[:SHOWN_KEYWORDS])
    if len(keywords) > SHOWN_KEYWORDS:
        shown += f" and {len(keywords) - SHOWN_KEYWORDS} more"
    return f"keyword {shown} · {trigger.get('match', 'exact')}"


def status_of(body: dict) -> tuple[str, str]:
    """The flow's publishing status, and the badge's style for it."""
    if body["version"] is None:
        return "Draft only", ""
    if body["draft_changed"]:
        return f"Published v{body['version']} + unpublished changes", "badge-warn"
    return f"Published v{body['version']}", "badge-ok"


def flow_rows(flows: list[Flow]) -> list[dict]:
    bodies = service.flow_bodies(flows)
    phone_ids = [i for body in bodies for i in body["phone_number_ids"]]
    numbers = {
        number.id: number
        for number in db.session.scalars(
            scoped(PhoneNumber).where(PhoneNumber.id.in_(phone_ids))
        )
    }
    rows = []
    for body in bodies:
        status, style = status_of(body)
        rows.append(
            {
                "id": body["id"],
                "name": body["name"],
                "trigger": trigger_summary(body["trigger"]),
                "status": status,
                "status_style": style,
                "active": body["active"],
                "numbers": [numbers[i] for i in body["phone_number_ids"]],
            }
        )
    return rows


def render_flows(status=200, **context):
    """The flows page, or for htmx only its table, at the page asked for."""
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    flows, total = page_of(scoped(Flow).order_by(Flow.name, Flow.id), page, PAGE_SIZE)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return answer(
        "flows/flows.html",
        "flows/_flows_table.html",
        status=status,
        rows=flow_rows(flows),
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        trigger_options=TRIGGER_OPTIONS,
        editor_url=editor_url,
        **context,
    )


@bp.get("")
@editors_page
def flows():
    """The org's flows: what starts each, what runs, and the numbers using it."""
    return render_flows()


def new_flow_form() -> tuple[dict, dict, dict]:
    """The new flow's form values, its errors by field, and the flow it asks for."""
    form = {
        name: request.form.get(name, "").strip()
        for name in ("name", "trigger_type", "keywords")
    }
    keywords = [word.strip() for word in form["keywords"].split(",") if word.strip()]
    errors = {}
    if not form["name"]:
        errors["name"] = "Give the flow a name."
    elif len(form["name"]) > 200:
        errors["name"] = "A name has at most 200 characters."
    if form["trigger_type"] not in TRIGGER_TYPES:
        errors["trigger_type"] = "Choose what starts the flow."
    elif form["trigger_type"] == "keyword" and not keywords:
        errors["keywords"] = "A keyword trigger needs a word, such as hi."

    trigger = {"type": form["trigger_type"]}
    if form["trigger_type"] == "keyword":
        trigger.update(keywords=keywords, match="exact")
    flow = {"name": form["name"], "trigger": trigger, "nodes": [START_NODE]}
    return form, errors, {**flow, "edges": [], "publish": False}


@bp.post("")
@editors_page
def create():
    """Make an unpublished flow with only its start node, and open it to build."""
    form, errors, data = new_flow_form()
    if errors:
        return render_flows(422, form=form, errors=errors)

    flow = service.create_flow(current_org_id(), data, current_user())
    db.session.commit()
    return to_editor(flow, f"“{flow.name}” is created. Add its first message.")


def read_export(upload) -> tuple[dict | None, list[str]]:
    """The flow in an uploaded export file, or the problems that keep it out."""
    if upload is None or not upload.filename:
        return None, ["Choose a flow file that Export saved."]
    raw = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        return None, ["The file is over 1 MB, far larger than an exported flow."]
    try:
        document = strictjson.loads(raw)
    except UnicodeDecodeError:
        return None, ["The file is not text: an exported flow is a JSON file."]
    except strictjson.Refused as error:
        return None, [f"The file is not valid JSON: {error.msg}."]
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        return None, [f"The file is not valid JSON: {error.msg} at {where}."]
    except ValueError as error:
        return None, [f"The file is not valid JSON: {error}."]
    except RecursionError:
        return None, ["The file's JSON is nested too deeply to be a flow."]
    return flow_in(document)


def flow_in(document) -> tuple[dict | None, list[str]]:
    """The flow of an export document, checked as a save of it would be."""
    kind = document.get("format") if isinstance(document, dict) else None
    if kind != EXPORT_FORMAT:
        return None, [
            f"The file is not a flow exported from WFB: its format is {kind!r}, "
            f"not {EXPORT_FORMAT!r}."
        ]
    if document.get("format_version") != EXPORT_VERSION:
        return None, [
            f"The file is format version {document.get('format_version')!r}; "
            f"this WFB reads version {EXPORT_VERSION}."
        ]
    fields = {
        k: document[k] for k in ("name", "trigger", "nodes", "edges") if k in document
    }
    try:
        data = FlowSchema().load(fields)
    except ValidationError as error:
        messages = error.normalized_messages()
        return None, [f"“{name}”: {messages[name][0]}" for name in sorted(messages)]

    problems = check_flow(data, current_org_id())
    if problems:
        return None, [problem.message for problem in problems]
    # Imported as a draft: nothing runs it until someone publishes it.
    return {**data, "active": True, "publish": False}, []


@bp.post("/import")
@editors_page
def import_flow():
    """Add a flow from a file that Export saved, as a draft, and open it."""
    upload = request.files.get("file")
    data, problems = read_export(upload)
    if problems:
        name = upload.filename if upload and upload.filename else "The file"
        return render_flows(422, import_name=name, import_problems=problems)

    flow = service.create_flow(current_org_id(), data, current_user())
    db.session.commit()
    logger.info("org %s imported flow %s", flow.org_id, flow.id)
    return to_editor(
        flow, f"“{flow.name}” is imported as a draft. Publish it to run it."
    )


@bp.post("/<int:flow_id>/duplicate")
@editors_page
def duplicate(flow_id):
    """Copy a flow's draft into a new flow that is inactive and unpublished."""
    flow = get_or_404(Flow, flow_id, what="flow")

    copy = service.duplicate(flow, current_user())
    db.session.commit()
    return see_other(
        "flow_pages.flows", f"“{copy.name}” is made: inactive and unpublished."
    )


@bp.post("/<int:flow_id>/delete")
@editors_page
def delete(flow_id):
    """Delete a flow with its versions and sessions; its numbers keep no flow."""
    flow = get_or_404(Flow, flow_id, what="flow")

    service.delete_flow(flow)
    db.session.commit()
    return see_other("flow_pages.flows", f"“{flow.name}” is deleted.")


def org_numbers() -> list[PhoneNumber]:
    return db.session.scalars(scoped(PhoneNumber).order_by(PhoneNumber.id)).all()


def flow_names(flow_ids) -> dict[int, str]:
    query = scoped(Flow).with_only_columns(Flow.id, Flow.name)
    return dict(db.session.execute(query.where(Flow.id.in_(flow_ids))).all())


def render_numbers(flow: Flow, status=200, notice=None, error=None):
    """The numbers panel: which of the org's numbers answer with this flow."""
    numbers = org_numbers()
    html = render_template(
        "flows/_numbers.html",
        flow=flow,
        numbers=numbers,
        flow_names=flow_names({number.flow_id for number in numbers}),
        can_change=current_user().role == "admin",
        notice=notice,
        error=error,
    )
    return make_response(html, status)


def numbers_notice(flow: Flow, before: dict[int, int | None], names: dict) -> str:
    """What an assignment changed, number by number."""
    changes = []
    for number in org_numbers():
        had = before.get(number.id)
        shown = number.display_phone_number
        if number.flow_id == flow.id and had not in (None, flow.id):
            changes.append(f"{shown} answers with this flow instead of “{names[had]}”.")
        elif number.flow_id == flow.id and had is None:
            changes.append(f"{shown} answers with this flow.")
        elif had == flow.id and number.flow_id != flow.id:
            changes.append(f"{shown} no longer answers with it.")
    return " ".join(changes) or "Nothing changed."


@bp.get("/<int:flow_id>/numbers")
@editors_page
def numbers(flow_id):
    """The org's numbers, marked where they answer with this flow."""
    return render_numbers(get_or_404(Flow, flow_id, what="flow"))


@bp.post("/<int:flow_id>/numbers")
@page_for("admin")
def assign_numbers(flow_id):
    """Make exactly the checked numbers answer with this flow."""
    flow = get_or_404(Flow, flow_id, what="flow")
    try:
        ids = NumbersSchema().load(
            {"phone_number_ids": request.form.getlist("phone_number_ids")}
        )["phone_number_ids"]
    except ValidationError:
        return render_numbers(flow, 422, error="A checked number is not a number id.")
    before = {number.id: number.flow_id for number in org_numbers()}
    names = flow_names(set(before.values()))

    try:
        service.assign_numbers(flow, ids)
    except DomainError as error:
        db.session.rollback()
        return render_numbers(flow, error.status, error=error.message)
    db.session.commit()

    notice = numbers_notice(flow, before, names)
    if not request.headers.get("HX-Request"):
        return to_editor(flow, notice)
    return render_numbers(flow, notice=notice)


def render_preview(flow: Flow, status=200, note=None):
    """The preview panel, or with `?part=live` only the part that refreshes."""
    sandbox = preview.sandbox_on()
    shown = preview.load(flow, current_user()) if sandbox else preview.Preview()
    live = request.args.get("part") == "live"
    html = render_template(
        "flows/_preview_live.html" if live else "flows/_preview.html",
        flow=flow,
        sandbox=sandbox,
        preview=shown,
        note=note,
        oob=live,
    )
    if shown.messages:
        preview.mark_read(shown)
    return make_response(html, status)


@bp.get("/<int:flow_id>/preview", endpoint="preview")
@editors_page
def preview_panel(flow_id):
    """The preview: a chat with the flow's saved draft in the sandbox."""
    return render_preview(get_or_404(Flow, flow_id, what="flow"))


@bp.post("/<int:flow_id>/preview")
@editors_page
def start_preview(flow_id):
    """Start the saved draft over in the preview chat."""
    flow = get_or_404(Flow, flow_id, what="flow")
    try:
        preview.start(flow, current_user())
    except DomainError as error:
        db.session.rollback()
        return render_preview(flow, error.status, note=error.message)

    if not request.headers.get("HX-Request"):
        return redirect(editor_url(flow.id), 303)
    return render_preview(flow)


@bp.post("/<int:flow_id>/preview/messages")
@editors_page
def preview_message(flow_id):
    """Send what the preview customer wrote or tapped through the sandbox webhook."""
    flow = get_or_404(Flow, flow_id, what="flow")
    try:
        preview.send(flow, current_user(), request.form)
    except DomainError as error:
        return render_preview(flow, error.status, note=error.message)

    if not request.headers.get("HX-Request"):
        return redirect(editor_url(flow.id), 303)
    return render_preview(flow)
