"""The dashboard's shell under /app: logging in and out, and the start page."""

import logging

from flask import current_app, redirect, render_template, request, url_for
from flask_jwt_extended import get_jwt, unset_jwt_cookies, verify_jwt_in_request
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException

from wfb.accounts import limits, service
from wfb.dashboard.pages import (
    ORG_ROLES,
    home_url,
    log_in,
    page_blueprint,
    page_for,
    rate_limited,
    refuse,
    safe_next,
)
from wfb.tenancy import current_user, load_user

logger = logging.getLogger(__name__)

bp = page_blueprint("dashboard", __name__)


@bp.get("/login")
def login():
    """The login form."""
    return render_template("dashboard/login.html", email="", error=None)


@bp.post("/login")
@rate_limited(limits.LOGIN)
def log_in_with_password():
    """Log in with email and password; the session lives in an HTTP-only cookie."""
    email = request.form.get("email", "").strip()
    try:
        user = service.authenticate(email, request.form.get("password", ""))
    except service.AccountError as error:
        html = render_template("dashboard/login.html", email=email, error=error.message)
        return html, error.status

    logger.info("user %s logged in to the dashboard", user.id)
    return log_in(redirect(safe_next(home_url()), 303), user)


@bp.post("/logout")
def logout():
    """Log out: the user's tokens end everywhere and the cookies are cleared."""
    target = url_for("dashboard.login")
    try:
        verify_jwt_in_request(locations=["cookies"])
        user = load_user(get_jwt())
        if user.role == "super_admin":
            target = url_for("super_admin_pages.login")
        service.logout(user)
    except CSRFError:
        return refuse()
    except (JWTExtendedException, PyJWTError, HTTPException):
        pass  # An expired or refused session still gets its cookies cleared.

    response = redirect(target, 303)
    unset_jwt_cookies(response)
    return response


@bp.get("/")
@page_for(*ORG_ROLES, "super_admin")
def index():
    """The dashboard's start page."""
    user = current_user()
    if user.role == "super_admin" or current_app.config["SETTINGS"].WFB_SANDBOX:
        return redirect(home_url(user))
    return render_template("dashboard/home.html", user=user)
