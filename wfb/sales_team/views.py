"""The sales team page: admins add and remove members, marketing and sales read it."""

from flask import abort, request
from marshmallow import ValidationError

from wfb.accounts import team
from wfb.dashboard.pages import (
    ORG_ROLES,
    answer,
    field_errors,
    page_blueprint,
    page_for,
    refusal_errors,
    see_other,
)
from wfb.sales_team import service
from wfb.sales_team.schemas import SalesMemberSchema
from wfb.tenancy import current_org_id, current_user

bp = page_blueprint("sales_team_pages", __name__, url_prefix="/app/sales-team")

FIELDS = ("name", "email", "phone", "user_id")


def render_members(status=200, form=None, errors=None):
    """The page; a sales user sees only the members linked to them."""
    org_id = current_org_id()
    users = {user.id: user for user in team.members(org_id)}
    sales_users = [user for user in users.values() if user.role == "sales"]
    return answer(
        "sales_team/members.html",
        status=status,
        members=service.members(org_id, current_user()),
        users=users,
        user_options=[("", "No linked user")]
        + [(user.id, f"{user.name} ({user.email})") for user in sales_users],
        form=form or {},
        errors=errors or {},
    )


@bp.get("")
@page_for(*ORG_ROLES)
def members():
    """The org's sales team, who take over conversations."""
    return render_members()


@bp.post("")
@page_for("admin")
def add():
    """Add a member with name, email and phone, optionally linked to a sales user."""
    form = {name: request.form.get(name, "").strip() for name in FIELDS}
    try:
        data = SalesMemberSchema().load({**form, "user_id": form["user_id"] or None})
        member = service.add(current_org_id(), by=current_user(), **data)
    except ValidationError as error:
        return render_members(422, form, field_errors(error))
    except service.SalesTeamError as error:
        # A refusal about no single field (a taken email or phone) is the form's.
        field = "user_id" if error.status == 404 else "form"
        return render_members(error.status, form, refusal_errors(error, field))

    return see_other(
        "sales_team_pages.members", f"{member.name} joined the sales team."
    )


@bp.post("/<int:member_id>/remove")
@page_for("admin")
def remove(member_id):
    """Take a member off the sales team."""
    try:
        service.remove(current_org_id(), member_id, current_user())
    except service.SalesTeamError as error:
        if error.status == 404:
            abort(404)
        raise

    return see_other("sales_team_pages.members", "The member is off the sales team.")


@bp.post("/<int:member_id>/active")
@page_for("admin")
def set_active(member_id):
    """Pause or resume a member's turn at new leads."""
    active = request.form.get("active") == "true"
    try:
        member = service.set_active(current_org_id(), member_id, active, current_user())
    except service.SalesTeamError as error:
        if error.status == 404:
            abort(404)
        raise
    notice = "takes new leads in turn" if active else "gets no new leads for now"
    return see_other("sales_team_pages.members", f"{member.name} {notice}.")
