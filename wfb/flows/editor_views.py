"""The flow editor: a canvas of the draft, with a form for the selected node.

The canvas (static/flow-editor.js) keeps the draft in the browser and saves it with
the flows API. The forms here only read and check: a node's form turns into the
node's data and back, checked by the same rules as saving, and nothing is stored
until the editor saves.
"""

from flask import current_app, render_template, request, url_for
from marshmallow import ValidationError

from wfb import strictjson
from wfb.accounts.models import User
from wfb.dashboard.pages import answer, field_errors, page_blueprint, page_for
from wfb.extensions import db
from wfb.flows import node_forms, node_kinds, service
from wfb.flows.models import Flow
from wfb.flows.node_rules import check_node_data
from wfb.flows.schemas import FlowUpdateSchema
from wfb.flows.validation import MATCH_MODES, validate_flow
from wfb.tenancy import get_or_404, scoped

bp = page_blueprint("flow_editor_pages", __name__, url_prefix="/app/flows")
editors = page_for("admin", "marketing")

# Panels that the flows pages add to the editor, each shown once its view exists.
PANELS = {"numbers": "flow_pages.numbers", "preview": "flow_pages.preview"}
TRIGGER_TYPES = (
    ("keyword", "A keyword"),
    ("any", "Any message no other flow takes"),
    ("manual", "Only a campaign or the API"),
)
MATCH_NAMES = dict(
    zip(MATCH_MODES, ("The whole message", "Anywhere in it", "As a regex"), strict=True)
)
# Limitation: the versions panel lists the 50 newest; older ones are read through
# the API (GET /flows/{id}/versions pages through them all).
VERSIONS_SHOWN = 50


@bp.get("/<int:flow_id>")
@editors
def editor(flow_id):
    """The editor of one flow's draft."""
    flow = get_or_404(Flow, flow_id, what="flow")
    body = service.flow_bodies([flow])[0]
    draft = {key: body[key] for key in ("id", "name", "trigger", "nodes", "edges")}
    status = {key: body[key] for key in ("version", "draft_changed")}

    return answer(
        "flows/editor.html",
        flow=flow,
        editor=editor_config(flow, {**draft, **status}),
        panels=panel_urls(flow),
        flows_url=_url_if_there("flow_pages.flows"),
        **settings_context(flow.name, flow.trigger),
    )


@bp.post("/<int:flow_id>/node")
@editors
def node_form(flow_id):
    """The form of one node, from the node as the canvas holds it or as posted."""
    get_or_404(Flow, flow_id, what="flow")
    try:
        node = posted_node()
    except node_kinds.FormError as error:
        return answer("flows/_node_refused.html", status=400, message=str(error))

    problems = check_node_data(node["id"], node["type"], node["data"])
    errors, general = node_forms.field_errors(
        node["type"], node["id"], node["data"], problems
    )
    return render_template(
        "flows/_node_form.html",
        flow_id=flow_id,
        node=node,
        kind=node_kinds.KINDS[node["type"]],
        values=node_forms.form_values(node["type"], node["data"]),
        extra=node_forms.hidden_extra(node["type"], node["data"]),
        errors=errors,
        general=general,
        members=org_members(),
        media_options=node_kinds.MEDIA_OPTIONS,
    )


@bp.post("/<int:flow_id>/settings")
@editors
def settings(flow_id):
    """The flow's name and trigger, from the draft as the canvas holds it or as
    posted, with the problems saving would find in them."""
    get_or_404(Flow, flow_id, what="flow")
    if "draft" in request.form:
        try:
            draft = strictjson.loads(request.form["draft"])
            name, trigger = draft["name"], draft["trigger"]
        except (ValueError, TypeError, KeyError):
            message = "The flow's name and trigger are not valid JSON."
            return answer("flows/_node_refused.html", status=400, message=message)
    else:
        name, trigger = request.form.get("name", "").strip(), posted_trigger()

    return render_template(
        "flows/_trigger_form.html", flow_id=flow_id, **settings_context(name, trigger)
    )


@bp.get("/<int:flow_id>/versions")
@editors
def versions(flow_id):
    """The flow's published versions, newest first, each with who published it."""
    flow = get_or_404(Flow, flow_id, what="flow")
    found = db.session.scalars(service.versions_query(flow).limit(VERSIONS_SHOWN))

    return render_template(
        "flows/_versions.html",
        flow=flow,
        versions=found.all(),
        shown=VERSIONS_SHOWN,
    )


def posted_node() -> dict:
    """The node to show: the canvas's JSON, or the posted form read into data."""
    if "node" in request.form:
        return node_forms.posted_node(request.form["node"])
    kind, node_id = request.form.get("type"), request.form.get("node_id", "")
    node_kinds.kind_of(kind)
    if not node_id:
        raise node_kinds.FormError("A node needs an id.")
    try:
        extra = strictjson.loads(request.form.get("extra") or "{}")
    except ValueError:
        extra = None
    if not isinstance(extra, dict):
        raise node_kinds.FormError("The node's other data is not a JSON object.")
    data = node_forms.parse_form(kind, request.form, extra)
    return {"id": node_id, "type": kind, "data": data}


def posted_trigger() -> dict:
    kind = request.form.get("trigger_type", "")
    if kind != "keyword":
        return {"type": kind}
    lines = request.form.get("keywords", "").splitlines()
    keywords = [line.strip() for line in lines if line.strip()]
    return {"type": kind, "keywords": keywords, "match": request.form.get("match", "")}


def settings_context(name, trigger) -> dict:
    """The name and trigger form's values, and each field's problem."""
    errors = {}
    try:
        FlowUpdateSchema(only=("name",)).load({"name": name})
    except ValidationError as error:
        errors.update(field_errors(error))
    structure = {"trigger": trigger, "nodes": [], "edges": []}
    for problem in validate_flow(structure):
        if problem.rule in ("trigger", "regex"):
            errors.setdefault(_trigger_field(problem.message), problem.message)
    trigger = trigger if isinstance(trigger, dict) else {}
    keywords = trigger.get("keywords")
    return {
        "settings": {"name": name, "trigger": trigger},
        "settings_values": {
            "name": name if isinstance(name, str) else "",
            "trigger_type": trigger.get("type", ""),
            "keywords": "\n".join(map(str, keywords))
            if isinstance(keywords, list)
            else "",
            "match": trigger.get("match", "exact"),
        },
        "settings_errors": errors,
        "trigger_types": TRIGGER_TYPES,
        "match_names": MATCH_NAMES,
    }


def _trigger_field(message: str) -> str:
    if message.startswith("The trigger's type"):
        return "trigger_type"
    return "match" if message.startswith("The trigger's match") else "keywords"


def editor_config(flow: Flow, draft: dict) -> dict:
    """What the canvas script starts from: the draft, the node types and the URLs."""
    return {
        "flow": draft,
        "kinds": node_kinds.kinds_for_editor(),
        "members": dict(org_members()),
        "urls": {
            "flow": url_for("flows.FlowById", flow_id=flow.id),
            "validate": url_for("flows.validate"),
            "node": url_for(".node_form", flow_id=flow.id),
            "settings": url_for(".settings", flow_id=flow.id),
            "versions": url_for(".versions", flow_id=flow.id),
        },
    }


def panel_urls(flow: Flow) -> dict:
    """The URL of each panel the flows pages offer, by name, when they offer it."""
    urls = {
        name: _url_if_there(endpoint, flow_id=flow.id)
        for name, endpoint in PANELS.items()
    }
    return {name: url for name, url in urls.items() if url}


def _url_if_there(endpoint: str, **values) -> str | None:
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def org_members() -> list[tuple[int, str]]:
    """The org's people as (id, name) pairs, whom an assign node may hand over to."""
    query = scoped(User).with_only_columns(User.id, User.name)
    query = query.order_by(User.name, User.id)
    return [(member_id, name) for member_id, name in db.session.execute(query)]
