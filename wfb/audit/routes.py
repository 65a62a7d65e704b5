"""The audit log, newest first: an org admin reads their org's, a super admin all."""

from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.audit.schemas import AuditPageSchema, AuditQueryArgsSchema
from wfb.audit.service import events
from wfb.paging import PageArgsSchema, page_body, page_of
from wfb.tenancy import current_org_id, login_required

blp = Blueprint("audit", __name__, description="Audit log")


@blp.route("/admin/audit-log")
class OrgAuditLog(MethodView):
    decorators = [login_required("admin")]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """The org's audit log: logins, team, roles, credentials and status."""
        query = events(current_org_id())
        return page_body(*page_of(query, args["page"], args["page_size"]), args)


@blp.route("/super-admin/audit-log")
class PlatformAuditLog(MethodView):
    decorators = [login_required("super_admin")]

    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """Every org's audit log and the platform's own events, or one org's."""
        query = events(args["org_id"])
        return page_body(*page_of(query, args["page"], args["page_size"]), args)
