import re

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from wfb.extensions import db
from wfb.flows import analytics, service
from wfb.flows.models import Flow, FlowVersion
from wfb.flows.schemas import (
    AnalyticsArgsSchema,
    AnalyticsSchema,
    CheckSchema,
    ExportSchema,
    FlowPageSchema,
    FlowSchema,
    FlowUpdateSchema,
    NumbersSchema,
    PublishSchema,
    StructureSchema,
    VersionPageSchema,
    VersionSchema,
    VersionStructureSchema,
)
from wfb.flows.validation import check_flow, ensure_valid
from wfb.paging import PageArgsSchema, page_body, page_of
from wfb.tenancy import current_org_id, current_user, get_or_404, login_required, scoped

blp = Blueprint("flows", __name__, url_prefix="/flows", description="Chatbot flows")
editors = login_required("admin", "marketing")


@blp.route("")
class Flows(MethodView):
    decorators = [editors]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, FlowPageSchema)
    def get(self, args):
        """List the org's flows, a page at a time, in the order they were made."""
        query = scoped(Flow).order_by(Flow.id)
        flows, total = page_of(query, args["page"], args["page_size"])
        return page_body(service.flow_bodies(flows), total, args)

    @blp.arguments(FlowSchema)
    @blp.response(201, FlowSchema)
    def post(self, data):
        """Create a flow, or import an exported one; published as version 1 unless
        `publish` is false."""
        ensure_valid(data, current_org_id())

        flow = service.create_flow(current_org_id(), data, current_user())
        db.session.commit()
        return service.flow_bodies([flow])[0]


@blp.route("/validate", methods=["POST"])
@editors
@blp.arguments(StructureSchema)
@blp.response(200, CheckSchema)
def validate(data):
    """Check a structure as saving would, naming each problem's node; keep nothing."""
    problems = [problem.as_dict() for problem in check_flow(data, current_org_id())]
    return {"valid": not problems, "problems": problems}


@blp.route("/<int:flow_id>")
class FlowById(MethodView):
    decorators = [editors]

    @blp.response(200, FlowSchema)
    def get(self, flow_id):
        """One flow with its draft's whole structure."""
        flow = get_or_404(Flow, flow_id, what="flow")
        return service.flow_bodies([flow])[0]

    @blp.arguments(FlowUpdateSchema)
    @blp.response(200, FlowSchema)
    def put(self, data, flow_id):
        """Save the draft; numbers go on running the published version."""
        flow = get_or_404(Flow, flow_id, what="flow")
        service.lock(flow)
        ensure_valid({**flow.structure, **data}, flow.org_id)

        service.update_draft(flow, data)
        db.session.commit()
        return service.flow_bodies([flow])[0]

    @blp.response(204)
    def delete(self, flow_id):
        """Delete a flow, its versions and their sessions; its numbers keep no flow."""
        flow = get_or_404(Flow, flow_id, what="flow")

        service.delete_flow(flow)
        db.session.commit()


@blp.route("/<int:flow_id>/publish", methods=["POST"])
@editors
@blp.arguments(PublishSchema)
@blp.response(201, VersionSchema)
def publish(data, flow_id):
    """Freeze the draft as the next version, which new sessions run from now on;
    running sessions finish on the version they began."""
    flow = get_or_404(Flow, flow_id, what="flow")
    service.lock(flow)
    ensure_valid(flow.structure, flow.org_id)

    version = service.publish(flow, current_user(), data["note"])
    db.session.commit()
    return version_body(flow, version)


@blp.route("/<int:flow_id>/versions")
@editors
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, VersionPageSchema)
def versions(args, flow_id):
    """The flow's published versions, newest first, with who published each."""
    flow = get_or_404(Flow, flow_id, what="flow")
    found, total = page_of(
        service.versions_query(flow), args["page"], args["page_size"]
    )
    return page_body([version_body(flow, v) for v in found], total, args)


@blp.route("/<int:flow_id>/versions/<int:version>")
@editors
@blp.response(200, VersionStructureSchema)
def version_structure(flow_id, version):
    """One published version with its whole structure."""
    flow = get_or_404(Flow, flow_id, what="flow")
    found = published_or_404(flow, version)
    return {
        **version_body(flow, found),
        **{k: getattr(found, k) for k in service.VERSIONED},
    }


@blp.route("/<int:flow_id>/versions/<int:version>/restore", methods=["POST"])
@editors
@blp.response(200, FlowSchema)
def restore(flow_id, version):
    """Make a published version the draft again; publish it to run it."""
    flow = get_or_404(Flow, flow_id, what="flow")
    service.lock(flow)
    service.restore(flow, published_or_404(flow, version))
    db.session.commit()
    return service.flow_bodies([flow])[0]


@blp.route("/<int:flow_id>/analytics")
@editors
@blp.arguments(AnalyticsArgsSchema, location="query")
@blp.response(200, AnalyticsSchema)
def flow_analytics(args, flow_id):
    """Drop-off of a published version (the current one unless `version` is given):
    for each node, the sessions that reached it, wait at it and stopped there."""
    flow = get_or_404(Flow, flow_id, what="flow")
    if "version" in args:
        found = published_or_404(flow, args["version"])
    else:
        found = db.session.get(FlowVersion, flow.current_version_id or 0)
        if found is None:
            abort(404, message=f"Flow {flow.id} has no published version yet.")
    return analytics.drop_off(found)


@blp.route("/<int:flow_id>/export")
@editors
@blp.response(200, ExportSchema)
def export(flow_id):
    """The flow's draft as a JSON file, which `POST /flows` imports into any org."""
    flow = get_or_404(Flow, flow_id, what="flow")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", flow.name).strip("-").lower() or "flow"
    disposition = f'attachment; filename="{name}.wfb-flow.json"'
    return flow.structure, 200, {"Content-Disposition": disposition}


@blp.route("/<int:flow_id>/duplicate", methods=["POST"])
@editors
@blp.response(201, FlowSchema)
def duplicate(flow_id):
    """Copy the flow's draft into a new flow, inactive and unpublished."""
    flow = get_or_404(Flow, flow_id, what="flow")
    copy = service.duplicate(flow, current_user())
    db.session.commit()
    return service.flow_bodies([copy])[0]


@blp.route("/<int:flow_id>/phone-numbers", methods=["PUT"])
@login_required("admin")
@blp.arguments(NumbersSchema)
@blp.response(200, FlowSchema)
def phone_numbers(data, flow_id):
    """Make exactly these of the org's numbers answer with this flow; numbers that
    had it and are not listed keep no flow."""
    flow = get_or_404(Flow, flow_id, what="flow")
    service.assign_numbers(flow, data["phone_number_ids"])
    db.session.commit()
    return service.flow_bodies([flow])[0]


def published_or_404(flow: Flow, number: int) -> FlowVersion:
    found = service.published(flow, number)
    if found is None:
        abort(404, message=f"Flow {flow.id} has no version {number}.")
    return found


def version_body(flow: Flow, version: FlowVersion) -> dict:
    return {
        "number": version.number,
        "note": version.note,
        "created_at": version.created_at,
        "published_by": version.published_by,
        "current": version.id == flow.current_version_id,
    }
