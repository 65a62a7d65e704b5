from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.paging import PageArgsSchema, page_body, page_of
from wfb.sales_team import service
from wfb.sales_team.schemas import (
    SalesMemberPageSchema,
    SalesMemberSchema,
    SalesMemberUpdateSchema,
)
from wfb.tenancy import current_org_id, current_user, login_required

blp = Blueprint(
    "sales-team", __name__, url_prefix="/sales-team", description="Sales team"
)


@blp.route("")
class SalesTeam(MethodView):
    # Roles differ by method; each is checked before the body is read.
    @login_required("admin", "marketing", "sales")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, SalesMemberPageSchema)
    def get(self, args):
        """List the sales team; a sales user sees only their own entry."""
        query = service.team(current_org_id(), viewer=current_user())
        return page_body(*page_of(query, args["page"], args["page_size"]), args)

    @login_required("admin")
    @blp.arguments(SalesMemberSchema)
    @blp.response(201, SalesMemberSchema)
    def post(self, data):
        """Add a member with name, email and phone, optionally linked to a user."""
        return service.add(current_org_id(), by=current_user(), **data)


@blp.route("/<int:member_id>")
class SalesMemberById(MethodView):
    decorators = [login_required("admin")]

    @blp.arguments(SalesMemberUpdateSchema)
    @blp.response(200, SalesMemberSchema)
    def put(self, data, member_id):
        """Pause or resume a member's turn at new leads (`active`)."""
        org_id = current_org_id()
        return service.set_active(org_id, member_id, data["active"], current_user())

    @blp.response(204)
    def delete(self, member_id):
        """Remove a member from the sales team."""
        service.remove(current_org_id(), member_id, by=current_user())
