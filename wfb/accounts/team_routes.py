"""/admin: the org admin's access list (invitations), team and roles."""

from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.accounts import team
from wfb.accounts.schemas import (
    InvitationPageSchema,
    InvitationSchema,
    InviteSchema,
    RoleSchema,
    TeamSchema,
    TeamUserSchema,
)
from wfb.paging import PageArgsSchema, page_body, page_of
from wfb.tenancy import current_org_id, current_user, login_required

blp = Blueprint("admin", __name__, url_prefix="/admin", description="Team & access")


@blp.route("/access-list")
class AccessList(MethodView):
    decorators = [login_required("admin")]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, InvitationPageSchema)
    def get(self, args):
        """List the emails invited to the org that have not signed up yet."""
        query = team.pending_invitations(current_org_id())
        return page_body(*page_of(query, args["page"], args["page_size"]), args)

    @blp.arguments(InviteSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite an email with a role; signing up with it joins the org."""
        return team.invite(
            current_org_id(), data["email"], data["role"], current_user()
        )


@blp.route("/access-list/<email>")
class AccessListEntry(MethodView):
    decorators = [login_required("admin")]

    @blp.response(204)
    def delete(self, email):
        """Revoke a pending invitation."""
        team.revoke(current_org_id(), email, current_user())


@blp.route("/team")
class Team(MethodView):
    decorators = [login_required("admin")]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, TeamSchema)
    def get(self, args):
        """List the org's users with their roles, and its pending invitations."""
        org_id = current_org_id()
        users = page_of(team.team_users(org_id), args["page"], args["page_size"])
        return {**page_body(*users, args), "invitations": team.invitations(org_id)}


@blp.route("/users/<int:user_id>/role")
class UserRole(MethodView):
    decorators = [login_required("admin")]

    @blp.arguments(RoleSchema)
    @blp.response(200, TeamUserSchema)
    def put(self, data, user_id):
        """Change a user's role; the org's last admin cannot be demoted (409)."""
        return team.change_role(current_org_id(), user_id, data["role"], current_user())
