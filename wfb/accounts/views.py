"""Account pages under /app: signing up, and resetting a forgotten password."""

import logging

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validate

from wfb.accounts import limits, passwords, service
from wfb.accounts.schemas import ForgotPasswordSchema, SignupSchema
from wfb.dashboard.pages import (
    field_errors,
    home_url,
    log_in,
    page_blueprint,
    rate_limited,
    see_other,
)

logger = logging.getLogger(__name__)

bp = page_blueprint("account_pages", __name__)

SIGNUP_FIELDS = ("organization_name", "name", "email")
RESET_FIELDS = ("token", "password", "confirm")
NAME_YOUR_ORG = "Name your organization, or use the email you were invited with."
PASSWORD_LENGTH = validate.Length(8, 200, error="Use 8 to 200 characters.")


class SignupFormSchema(SignupSchema):
    """The signup form: an invited email joins its org, so it needs no org name."""

    organization_name = fields.String(
        load_default="", validate=validate.Length(max=200)
    )
    name = fields.String(
        required=True, validate=validate.Length(1, 200, error="Enter your name.")
    )
    password = fields.String(required=True, validate=PASSWORD_LENGTH)


class ResetFormSchema(Schema):
    """The reset form: the new password, typed twice."""

    token = fields.String(required=True, validate=validate.Length(1, 200))
    password = fields.String(required=True, validate=PASSWORD_LENGTH)
    confirm = fields.String(required=True)


@bp.get("/signup")
def signup():
    """The signup form; an invitation's link fills in the invited email."""
    form = {"email": request.args.get("email", "").strip()}
    return render_template("accounts/signup.html", form=form, errors={})


@bp.post("/signup")
@rate_limited(limits.SIGNUP)
def sign_up():
    """Sign up: join the org that invited the email, or create a new org."""
    form = {name: request.form.get(name, "").strip() for name in SIGNUP_FIELDS}
    try:
        data = SignupFormSchema().load(
            {**form, "password": request.form.get("password", "")}
        )
    except ValidationError as error:
        return signup_form(form, field_errors(error), 422)
    invitation = service.pending_invitation(data["email"])
    if invitation is None and not data["organization_name"]:
        return signup_form(form, {"organization_name": NAME_YOUR_ORG}, 422)

    try:
        user = service.signup(**data)
    except service.AccountError as error:
        return signup_form(form, {"email": error.message}, error.status)

    if invitation is not None:
        flash(f"Welcome, {user.name}! You joined {user.org.name} as {user.role}.")
    else:
        flash(f"Welcome, {user.name}! {user.org.name} is ready, with you as its admin.")
    return log_in(redirect(home_url(), 303), user)


def signup_form(form: dict, errors: dict, status: int):
    return render_template("accounts/signup.html", form=form, errors=errors), status


@bp.get("/forgot-password")
def forgot_password():
    """Ask for a password reset link; after sending, the same confirmation for all."""
    sent = request.args.get("sent") == "1"
    return render_template("accounts/forgot.html", sent=sent, email="", errors={})


@bp.post("/forgot-password")
@rate_limited(limits.FORGOT_PASSWORD)
def send_reset_link():
    """Mail a reset link if an account uses the email; the answer is the same."""
    email = request.form.get("email", "").strip()
    try:
        ForgotPasswordSchema().load({"email": email})
    except ValidationError as error:
        context = {"sent": False, "email": email, "errors": field_errors(error)}
        return render_template("accounts/forgot.html", **context), 422

    passwords.request_reset(email, passwords.reset_url())
    return see_other("account_pages.forgot_password", sent=1)


@bp.get("/reset-password")
def reset_password():
    """Choose a new password, typed twice, with the token of a reset link."""
    token = request.args.get("token", "")
    return render_template("accounts/reset.html", token=token, errors={})


@bp.post("/reset-password")
@rate_limited(limits.RESET_PASSWORD)
def set_new_password():
    """Set the new password; the link then stops working and old sessions end."""
    token = request.form.get("token", "")
    try:
        form = {name: request.form.get(name, "") for name in RESET_FIELDS}
        data = ResetFormSchema().load(form)
        if data["password"] != data["confirm"]:
            raise ValidationError("The two passwords differ.", "confirm")
        user = passwords.reset_password(data["token"], data["password"])
    except ValidationError as error:
        return reset_form(token, field_errors(error), 422)
    except passwords.ResetError as error:
        return reset_form(token, {"token": error.message}, error.status)

    logger.info("user %s chose a new password on the reset page", user.id)
    flash("Your password is changed. Log in with the new one.")
    return redirect(url_for("dashboard.login"), 303)


def reset_form(token: str, errors: dict, status: int):
    return render_template("accounts/reset.html", token=token, errors=errors), status
