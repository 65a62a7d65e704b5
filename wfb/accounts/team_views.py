"""The team page: the org's members and their roles, and its invitations."""

import logging

from flask import abort, make_response, redirect, request
from marshmallow import ValidationError

from wfb.accounts import team
from wfb.accounts.models import TEAM_ROLES, User
from wfb.accounts.schemas import InviteSchema
from wfb.dashboard.pages import (
    answer,
    field_errors,
    home_url,
    page_blueprint,
    page_for,
    refusal_errors,
    see_other,
)
from wfb.tenancy import current_org_id, current_user, get_or_404

logger = logging.getLogger(__name__)

bp = page_blueprint("team_pages", __name__, url_prefix="/app/team")


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def render_team(status=200, **context):
    """The whole team page; `context` carries a form's values and errors."""
    org_id = current_org_id()
    return answer(
        "accounts/team.html",
        status=status,
        members=team.members(org_id),
        roles=TEAM_ROLES,
        **invitations_context(**context),
    )


def invitations_context(**context) -> dict:
    """The invitations part's context: the pending list, and the form as posted."""
    context.setdefault("invite_form", {"role": "marketing"})
    context.setdefault("invite_errors", {})
    context.setdefault("row_errors", {})
    context.setdefault("invite_notice", None)
    return {**context, "invitations": team.invitations(current_org_id())}


def render_invitations(status=200, **context):
    """The invitations part for htmx, else the whole page."""
    if not is_htmx():
        return render_team(status, **context)
    context = invitations_context(**context)
    return answer(
        "accounts/_invitations.html", status=status, roles=TEAM_ROLES, **context
    )


@bp.get("")
@page_for("admin")
def members():
    """The org's members with their roles, and its pending invitations."""
    return render_team()


@bp.post("/users/<int:user_id>/role")
@page_for("admin")
def change_role(user_id):
    """Give a member another role; the org's last admin stays an admin."""
    role = request.form.get("role", "")
    try:
        member = team.change_role(current_org_id(), user_id, role, current_user())
    except team.TeamError as error:
        if error.status == 404:
            abort(404)
        return member_row(user_id, error.message, error.status)

    if member.id == current_user().id and member.role != "admin":
        return leave_admin_pages(member)
    if is_htmx():
        return member_row(user_id)
    return see_other("team_pages.members", f"{member.name} is now {member.role}.")


def member_row(user_id: int, error: str | None = None, status: int = 200):
    """One member's row for htmx, else the whole page, with a refusal if any."""
    if not is_htmx():
        return render_team(status, row_errors={user_id: error})
    member = get_or_404(User, user_id, what="user")
    return answer(
        "accounts/_member.html",
        status=status,
        member=member,
        roles=TEAM_ROLES,
        row_error=error,
    )


def leave_admin_pages(member: User):
    """An admin who gave themself another role can no longer see the team page."""
    target = home_url(member)
    if not is_htmx():
        return redirect(target, 303)
    response = make_response("", 204)
    response.headers["HX-Redirect"] = target
    return response


@bp.post("/invitations")
@page_for("admin")
def invite():
    """Invite an email with a role; signing up with that email joins the org."""
    form = {name: request.form.get(name, "").strip() for name in ("email", "role")}
    try:
        data = InviteSchema().load(form)
        team.invite(current_org_id(), data["email"], data["role"], current_user())
    except ValidationError as error:
        return render_invitations(
            422, invite_form=form, invite_errors=field_errors(error)
        )
    except team.TeamError as error:
        errors = refusal_errors(error, "email")
        return render_invitations(error.status, invite_form=form, invite_errors=errors)

    notice = f"Invited {data['email']} as {data['role']}. Send them the signup link."
    if is_htmx():
        return render_invitations(invite_notice=notice)
    return see_other("team_pages.members", notice)


@bp.post("/invitations/revoke")
@page_for("admin")
def revoke():
    """Take a pending invitation off the access list."""
    email = request.form.get("email", "")
    try:
        team.revoke(current_org_id(), email, current_user())
    except team.TeamError as error:
        errors = {"revoke": error.message}
        return render_invitations(error.status, invite_errors=errors)

    notice = f"The invitation of {email} is revoked."
    if is_htmx():
        return render_invitations(invite_notice=notice)
    return see_other("team_pages.members", notice)
