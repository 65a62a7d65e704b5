"""The super admin's pages: a login of their own, the platform's figures, and the
organizations (search, paging, suspend and activate, soft delete, create)."""

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from wfb.accounts import limits
from wfb.accounts.service import AccountError
from wfb.dashboard.pages import (
    answer,
    field_errors,
    log_in,
    page_blueprint,
    page_for,
    rate_limited,
    safe_next,
)
from wfb.super_admin import service
from wfb.super_admin.schemas import OrgCreateSchema, OrgQueryArgsSchema
from wfb.tenancy import current_user

logger = logging.getLogger(__name__)

bp = page_blueprint("super_admin_pages", __name__, url_prefix="/app/super-admin")

LOGIN = "super_admin_pages.login"
PAGE_SIZE = 20
CREATE_FIELDS = ("name", "admin_name", "admin_email")
super_admin_page = page_for("super_admin", login=LOGIN)


@bp.get("/login")
def login():
    """The super admin's login form, apart from the organizations' one."""
    return render_template("super_admin/login.html", email="", error=None)


@bp.post("/login")
@rate_limited(limits.LOGIN)
def log_in_with_password():
    """Log a super admin in; the session lives in an HTTP-only cookie."""
    email = request.form.get("email", "").strip()
    try:
        user = service.authenticate_super_admin(email, request.form.get("password", ""))
    except AccountError as error:
        html = render_template(
            "super_admin/login.html", email=email, error=error.message
        )
        return html, error.status

    logger.info("super admin %s logged in to the dashboard", user.id)
    target = safe_next(url_for("super_admin_pages.figures"))
    return log_in(redirect(target, 303), user)


@bp.get("")
@super_admin_page
def figures():
    """The platform at a glance: organizations, users, messages and revenue."""
    return render_template("super_admin/figures.html", figures=service.figures())


def list_args(values) -> dict:
    """The list's search, status filter and page; anything malformed is dropped."""
    raw = {
        key: values.get(key) for key in ("search", "status", "page") if values.get(key)
    }
    try:
        return OrgQueryArgsSchema().load({**raw, "page_size": PAGE_SIZE})
    except ValidationError:
        return OrgQueryArgsSchema().load({"page_size": PAGE_SIZE})


def render_organizations(status=200, form=None, errors=None):
    """The organizations page, or for htmx only its list, for the current query."""
    args = list_args(request.values)
    items, total = service.organizations(
        args["search"], args["page"], PAGE_SIZE, args["status"]
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return answer(
        "super_admin/organizations.html",
        "super_admin/_organizations.html",
        status=status,
        orgs=items,
        total=total,
        args=args,
        pages=pages,
        form=form or {},
        errors=errors or {},
    )


@bp.get("/organizations")
@super_admin_page
def organizations():
    """The organizations, found by name, id or a user's email, a page at a time."""
    return render_organizations()


@bp.post("/organizations")
@super_admin_page
def create_org():
    """Create an organization with its first admin."""
    form = {name: request.form.get(name, "").strip() for name in CREATE_FIELDS}
    try:
        data = OrgCreateSchema().load(
            {**form, "admin_password": request.form.get("admin_password", "")}
        )
        org = service.create_org(by=current_user(), **data)
    except ValidationError as error:
        return render_organizations(422, form, field_errors(error))
    except service.SuperAdminError as error:
        return render_organizations(error.status, form, {"admin_email": error.message})

    return back_to_list(f"{org.name} is created, with {form['admin_email']} as admin.")


@bp.post("/organizations/<int:org_id>/status")
@super_admin_page
def set_status(org_id):
    """Suspend an organization, or activate it again."""
    org = act(service.set_status, org_id, request.form.get("status", ""))
    return back_to_list(f"{org.name} is now {org.status}.")


@bp.post("/organizations/<int:org_id>/delete")
@super_admin_page
def delete_org(org_id):
    """Soft-delete an organization: its users and webhooks are refused from now on."""
    org = act(service.soft_delete, org_id)
    return back_to_list(f"{org.name} is deleted.")


def act(change, org_id: int, *args):
    """Run a change on an org; an unknown org is the not-found page."""
    try:
        return change(org_id, *args, by=current_user())
    except service.SuperAdminError as error:
        if error.status == 404:
            abort(404)
        abort(error.status, description=error.message)


def back_to_list(notice: str):
    """Back to the list as it was (search, filter, page), with a notice."""
    flash(notice)
    # The action forms carry the list's filter as `status_filter`: their `status`
    # is the org's new status.
    names = {"search": "search", "status": "status_filter", "page": "page"}
    args = list_args({key: request.form.get(name) for key, name in names.items()})
    query = {key: args[key] for key in ("search", "status") if args[key]}
    if args["page"] > 1:
        query["page"] = args["page"]
    return redirect(url_for("super_admin_pages.organizations", **query), 303)
