"""What every dashboard page shares: the cookie session, role checks and answers.

Pages use the API's JWT, kept in an HTTP-only cookie. Every POST must carry the CSRF
token of that cookie: HTMX sends it as the `X-CSRF-TOKEN` header (see app.js), plain
forms as a `csrf_token` field. Each feature's pages live in its own blueprint, made by
`page_blueprint`, so they all get the same session handling, context and errors.
"""

import functools
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_jwt_extended import (
    create_access_token,
    get_jwt,
    set_access_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt import PyJWTError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from wfb.accounts.models import TEAM_ROLES
from wfb.tenancy import load_user

ORG_ROLES = TEAM_ROLES

# An active page gets a new access cookie once the old one is this close to expiry.
REFRESH_WITHIN_SECONDS = 15 * 60

# The top bar, in order; each link shows only to the roles its page lets in.
NAV = (
    ("Inbox", "inbox_pages.inbox"),
    ("Flows", "flow_pages.flows"),
    ("Contacts", "contacts_pages.contacts"),
    ("Templates", "message_templates_pages.templates"),
    ("Campaigns", "campaigns_pages.campaigns"),
    ("Sandbox", "sandbox_pages.phone"),
    ("Team", "team_pages.members"),
    ("Settings", "credential_pages.settings"),
    ("Phone numbers", "phone_number_pages.numbers"),
    ("Sales team", "sales_team_pages.members"),
    ("Figures", "super_admin_pages.figures"),
    ("Organizations", "super_admin_pages.organizations"),
)

CSRF_REFUSED = (
    "This form did not carry a valid security token. Reload the page and try again."
)
ROLE_REFUSED = "Your role does not allow this page. Ask an admin of your organization."


def page_blueprint(name: str, import_name: str, url_prefix: str = "/app") -> Blueprint:
    """A blueprint of dashboard pages with the shared session handling and errors."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.record_once(_configure)
    bp.before_request(_forget_previous_user)
    bp.before_request(_refuse_other_sites_forms)
    bp.after_request(_refresh_access_cookie)
    bp.context_processor(page_context)
    bp.register_error_handler(404, not_found)
    bp.register_error_handler(429, too_many)
    return bp


def _configure(state) -> None:
    config = state.app.config
    # Plain HTML forms carry the CSRF token as a field; HTMX sends it as a header.
    config["JWT_CSRF_CHECK_FORM"] = True
    # The session cookie carries only the one-time notices shown after a redirect.
    config["SESSION_COOKIE_SECURE"] = config["SETTINGS"].production
    config["SESSION_COOKIE_SAMESITE"] = "Lax"


def _refuse_other_sites_forms():
    """A form another site makes a browser post (the login form among them, which no
    session's CSRF token can guard) is refused: browsers name the page's origin."""
    origin = request.headers.get("Origin")
    if request.method == "POST" and origin is not None and not own_origin(origin):
        return refuse("This form was sent from another site. Open WFB and try again.")
    return None


def own_origin(origin: str) -> bool:
    """Whether an `Origin` header names the product's own site."""
    public = current_app.config["SETTINGS"].PUBLIC_URL
    expected = urlsplit(public).netloc if public else request.host
    return urlsplit(origin).netloc == expected


def _forget_previous_user() -> None:
    # `g` outlives a request wherever an app context spans several (tests, CLI).
    g.pop("dashboard_user", None)


def _refresh_access_cookie(response):
    user = g.get("dashboard_user")
    if user is None or response.status_code >= 400:
        return response
    expires = datetime.fromtimestamp(get_jwt()["exp"], UTC)
    left = (expires - datetime.now(UTC)).total_seconds()
    if left < REFRESH_WITHIN_SECONDS:
        set_access_cookies(response, create_access_token(identity=user))
    return response


def page_context() -> dict:
    """What every page's template may use: the user, their nav and CSRF token."""
    user = g.get("dashboard_user")
    return {
        "user": user,
        "nav": nav_links(user),
        "csrf_token": request.cookies.get("csrf_access_token", ""),
        "public_url": public_url,
    }


def nav_links(user) -> list[tuple[str, str, bool]]:
    """The top bar's (label, address, current) for the pages this user's role may
    open; the current one is the longest address the page's path starts with."""
    if user is None:
        return []
    views = current_app.view_functions
    links = [
        (label, url_for(endpoint))
        for label, endpoint in NAV
        if user.role in getattr(views.get(endpoint), "page_roles", ())
    ]
    path = request.path.rstrip("/")
    within = [url for _, url in links if path == url or path.startswith(url + "/")]
    current = max(within, key=len, default=None)
    return [(label, url, url == current) for label, url in links]


def not_found(error):
    return render_template("dashboard/not_found.html"), 404


def too_many(error):
    reason = "Too many attempts in a short time. Wait a minute and try again."
    return render_template("dashboard/refused.html", reason=reason), 429


def rate_limited(limits: list):
    """Apply a list of flask-limiter limits (see `wfb.accounts.limits`) to a view."""

    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorate


def page_for(*roles: str, login: str = "dashboard.login"):
    """Require a session cookie of a user with one of `roles`; refuse other roles.

    A visitor without a valid session goes to the `login` page instead.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refused = _check_session(login)
            if refused is not None:
                return refused
            if g.dashboard_user.role not in roles:
                return refuse(ROLE_REFUSED)
            return view(*args, **kwargs)

        wrapper.page_roles = roles
        return wrapper

    return decorate


def _check_session(login: str):
    """None when the cookie holds a live session; else the answer to give instead."""
    try:
        verify_jwt_in_request(locations=["cookies"])
        g.dashboard_user = load_user(get_jwt())
    except CSRFError:
        return refuse()
    except (JWTExtendedException, PyJWTError):
        return to_login(login)
    except HTTPException as error:
        if error.code != 401:
            raise
        return to_login(login)
    return None


page_login_required = page_for(*ORG_ROLES)


def to_login(login: str = "dashboard.login"):
    """Send a visitor without a session to `login`, to come back here after."""
    # Only a page can be returned to; a form's POST would come back as a GET.
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for(login, next=back)
    if request.headers.get("HX-Request"):
        # htmx follows HX-Redirect with a full page load instead of swapping a form.
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def refuse(reason: str = CSRF_REFUSED):
    """The refused page: a POST without the CSRF token, or a role without access."""
    if request.headers.get("HX-Request"):
        # The page reloads itself: to get the current token, or to show the refusal.
        response = make_response("", 403)
        response.headers["HX-Refresh"] = "true"
        return response
    return render_template("dashboard/refused.html", reason=reason), 403


def home_url(user=None) -> str:
    """The first page after logging in: the sandbox where it runs, else the start."""
    if user is not None and user.role == "super_admin":
        return url_for("super_admin_pages.figures")
    if current_app.config["SETTINGS"].WFB_SANDBOX:
        return url_for("sandbox_pages.phone")
    return url_for("dashboard.index")


def public_url(endpoint: str, **values) -> str:
    """An absolute link to give to others: on PUBLIC_URL when it is set, as the
    Host header a client sent must not decide where others are sent."""
    base = current_app.config["SETTINGS"].PUBLIC_URL
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)


def log_in(response, user):
    """Start a dashboard session for `user` on this response."""
    set_access_cookies(response, create_access_token(identity=user))
    return response


def safe_next(default: str) -> str:
    """Where to go after logging in: a dashboard path, never another site."""
    target = request.values.get("next", "")
    if target.startswith("/app") and not target.startswith("//"):
        return target
    return default


def answer(template: str, fragment: str | None = None, status: int = 200, **context):
    """The whole page, or for an htmx request only the fragment it swaps."""
    partial = fragment and request.headers.get("HX-Request")
    html = render_template(fragment if partial else template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def see_other(endpoint: str, notice: str | None = None, **values):
    """303 to a page after a form that changed something, with a notice to show."""
    if notice:
        flash(notice)
    return redirect(url_for(endpoint, **values), 303)


def field_errors(error: ValidationError) -> dict[str, str]:
    """Each field's first message, for showing next to the field."""
    errors = {}
    for name, messages in error.normalized_messages().items():
        if isinstance(messages, dict):
            messages = [m for value in messages.values() for m in value]
        errors[name] = messages[0] if isinstance(messages, list) else str(messages)
    return errors


def refusal_errors(error, field: str) -> dict[str, str]:
    """A service's refusal (a `DomainError`) by field: the fields it names, else its
    message on `field`."""
    fields = (error.errors or {}).get("json", {})
    if fields:
        return {name: messages[0] for name, messages in fields.items()}
    return {field: error.message}


def form_data(names: tuple[str, ...]) -> dict[str, str]:
    """The named fields of the posted form, stripped; empty ones left out."""
    values = {name: request.form.get(name, "").strip() for name in names}
    return {name: value for name, value in values.items() if value}
