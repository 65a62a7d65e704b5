from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.extensions import db
from wfb.flows import service
from wfb.flows.models import Flow
from wfb.flows.schemas import (
    FlowPageSchema,
    FlowSchema,
    FlowUpdateSchema,
)
from wfb.flows.validation import ensure_valid
from wfb.paging import PageArgsSchema, page_body, page_of
from wfb.tenancy import current_org_id, get_or_404, login_required, scoped

blp = Blueprint("flows", __name__, url_prefix="/flows", description="Chatbot flows")


@blp.route("")
class Flows(MethodView):
    decorators = [login_required("admin", "marketing")]

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
        """Create a flow; its structure is checked and frozen as version 1."""
        ensure_valid(data)

        flow = service.create_flow(current_org_id(), data)
        db.session.commit()
        return service.flow_bodies([flow])[0]


@blp.route("/<int:flow_id>")
class FlowById(MethodView):
    decorators = [login_required("admin", "marketing")]

    @blp.response(200, FlowSchema)
    def get(self, flow_id):
        """One flow with its whole structure."""
        flow = get_or_404(Flow, flow_id, what="flow")
        return service.flow_bodies([flow])[0]

    @blp.arguments(FlowUpdateSchema)
    @blp.response(200, FlowSchema)
    def put(self, data, flow_id):
        """Change a flow; a new structure becomes a new version, running ones stay."""
        flow = get_or_404(Flow, flow_id, what="flow")
        # One save at a time per flow, so that version numbers follow each other.
        db.session.refresh(flow, with_for_update=True)
        ensure_valid({**flow.structure, **data})

        service.update_flow(flow, data)
        db.session.commit()
        return service.flow_bodies([flow])[0]

    @blp.response(204)
    def delete(self, flow_id):
        """Delete a flow, its versions and their sessions; its numbers keep no flow."""
        flow = get_or_404(Flow, flow_id, what="flow")

        service.delete_flow(flow)
        db.session.commit()
