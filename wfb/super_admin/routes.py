"""/super-admin: the platform operator's login, figures, organizations and admins."""

from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.accounts import limits
from wfb.accounts.schemas import LoginSchema, TokensSchema, UserSchema
from wfb.accounts.service import issue_tokens
from wfb.paging import page_body
from wfb.super_admin import service
from wfb.super_admin.schemas import (
    AdminCreateSchema,
    FiguresSchema,
    OrgCreateSchema,
    OrgDetailSchema,
    OrgPageSchema,
    OrgQueryArgsSchema,
    OrgSchema,
    OrgStatusSchema,
)
from wfb.tenancy import current_user, login_required

blp = Blueprint(
    "super-admin", __name__, url_prefix="/super-admin", description="Super admin"
)
super_admin_only = login_required("super_admin")


@blp.route("/login")
class SuperAdminLogin(MethodView):
    decorators = limits.LOGIN

    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Log in as a super admin; org users are refused here."""
        user = service.authenticate_super_admin(data["email"], data["password"])
        return issue_tokens(user)


@blp.route("/dashboard")
class Dashboard(MethodView):
    decorators = [super_admin_only]

    @blp.response(200, FiguresSchema)
    def get(self):
        """The platform's figures: orgs by status, users, messages, revenue."""
        return service.figures()


@blp.route("/organizations")
class Organizations(MethodView):
    decorators = [super_admin_only]

    @blp.arguments(OrgQueryArgsSchema, location="query")
    @blp.response(200, OrgPageSchema)
    def get(self, args):
        """List orgs, oldest first, searched by name, user email or id."""
        items, total = service.organizations(
            args["search"], args["page"], args["page_size"], args["status"]
        )
        return page_body(items, total, args)

    @blp.arguments(OrgCreateSchema)
    @blp.response(201, OrgSchema)
    def post(self, data):
        """Create an org with its first admin."""
        org = service.create_org(**data, by=current_user())
        return service.organization(org.id)


@blp.route("/organizations/<int:org_id>")
class OrganizationById(MethodView):
    decorators = [super_admin_only]

    @blp.response(200, OrgDetailSchema)
    def get(self, org_id):
        """One org with its admins, numbers and recent message count."""
        return service.organization(org_id)

    @blp.response(204)
    def delete(self, org_id):
        """Soft-delete an org: its users and webhooks are refused, its rows kept."""
        service.soft_delete(org_id, current_user())


@blp.route("/organizations/<int:org_id>/status")
class OrganizationStatus(MethodView):
    decorators = [super_admin_only]

    @blp.arguments(OrgStatusSchema)
    @blp.response(200, OrgSchema)
    def put(self, data, org_id):
        """Suspend or activate an org (activating also restores a deleted one)."""
        service.set_status(org_id, data["status"], current_user())
        return service.organization(org_id)


@blp.route("/admins")
class Admins(MethodView):
    decorators = [super_admin_only]

    @blp.arguments(AdminCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create an admin user in an org."""
        return service.create_admin(**data, by=current_user())
