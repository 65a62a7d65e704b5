"""Dashboard pages under /app: logging in and out, and the sandbox phone.

Pages use the API's JWT, kept in an HTTP-only cookie. Every POST must carry the CSRF
token of that cookie: HTMX sends it as the `X-CSRF-TOKEN` header (see app.js), plain
forms as a `csrf_token` field.
"""

import functools
import logging
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
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
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException

from wfb.accounts import service
from wfb.extensions import db, limiter
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox import webhooks
from wfb.sandbox.phone import (
    chat_messages,
    customer_from,
    customer_message,
    send_read_receipts,
)
from wfb.tenancy import current_user, get_or_404, load_user, scoped

logger = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/app")

# An active page gets a new access cookie once the old one is this close to expiry.
REFRESH_WITHIN_SECONDS = 15 * 60


@bp.record_once
def configure(state) -> None:
    # Plain HTML forms carry the CSRF token as a field; HTMX sends it as a header.
    state.app.config["JWT_CSRF_CHECK_FORM"] = True


def page_login_required(view):
    """Like `login_required`, but a visitor without a session goes to the login page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            verify_jwt_in_request(locations=["cookies"])
            g.dashboard_user = load_user(get_jwt())
        except CSRFError:
            return refuse()
        except (JWTExtendedException, PyJWTError):
            return to_login()
        except HTTPException as error:
            if error.code != 401:
                raise
            return to_login()
        return view(*args, **kwargs)

    return wrapper


def to_login():
    # Only a page can be returned to; a form's POST would come back as a GET.
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("dashboard.login", next=back)
    if request.headers.get("HX-Request"):
        # htmx follows HX-Redirect with a full page load instead of swapping a form.
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def refuse():
    """A POST without the session's CSRF token changes nothing."""
    if request.headers.get("HX-Request"):
        # A page whose token went stale reloads itself to get the current one.
        response = make_response("", 403)
        response.headers["HX-Refresh"] = "true"
        return response
    return render_template("dashboard/refused.html"), 403


@bp.before_request
def forget_previous_user() -> None:
    # `g` outlives a request wherever an app context spans several (tests, CLI).
    g.pop("dashboard_user", None)


@bp.after_request
def refresh_access_cookie(response):
    user = g.get("dashboard_user")
    if user is None or response.status_code >= 400:
        return response
    expires = datetime.fromtimestamp(get_jwt()["exp"], UTC)
    left = (expires - datetime.now(UTC)).total_seconds()
    if left < REFRESH_WITHIN_SECONDS:
        set_access_cookies(response, create_access_token(identity=user))
    return response


@bp.context_processor
def page_context() -> dict:
    return {
        "user": g.get("dashboard_user"),
        "csrf_token": request.cookies.get("csrf_access_token", ""),
    }


@bp.errorhandler(404)
def not_found(error):
    return render_template("dashboard/not_found.html"), 404


def safe_next(default: str) -> str:
    """Where to go after logging in: a dashboard path, never another site."""
    target = request.values.get("next", "")
    if target.startswith("/app") and not target.startswith("//"):
        return target
    return default


def home_url() -> str:
    if current_app.config["SETTINGS"].WFB_SANDBOX:
        return url_for("dashboard.sandbox")
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Log in with email and password; the session lives in an HTTP-only cookie."""
    if request.method == "GET":
        return render_template("dashboard/login.html", email="", error=None)

    email = request.form.get("email", "").strip()
    user = service.find_user(email) if email else None
    error = login_error(user, request.form.get("password", ""))
    if error:
        return render_template("dashboard/login.html", email=email, error=error), 401

    tokens = service.issue_tokens(user)
    response = redirect(safe_next(home_url()), 303)
    set_access_cookies(response, tokens["access_token"])
    logger.info("user %s logged in to the dashboard", user.id)
    return response


def login_error(user, password: str) -> str | None:
    if user is None or not user.check_password(password):
        return "Wrong email or password."
    if user.role == "super_admin":
        return "Super admins log in at /super-admin/login."
    if not user.org.active:
        return "This organization is not active."
    return None


@bp.post("/logout")
def logout():
    """Log out: the session cookies are cleared."""
    try:
        verify_jwt_in_request(locations=["cookies"])
    except CSRFError:
        return refuse()
    except (JWTExtendedException, PyJWTError):
        pass  # An expired or missing session still gets its cookies cleared.

    response = redirect(url_for("dashboard.login"), 303)
    unset_jwt_cookies(response)
    return response


@bp.get("/")
@page_login_required
def index():
    """The dashboard's start page."""
    if current_app.config["SETTINGS"].WFB_SANDBOX:
        return redirect(url_for("dashboard.sandbox"))
    return render_template("dashboard/home.html", user=current_user())


def require_sandbox() -> None:
    if not current_app.config["SETTINGS"].WFB_SANDBOX:
        abort(404)


def sandbox_numbers() -> list[PhoneNumber]:
    query = scoped(PhoneNumber).where(PhoneNumber.is_sandbox.is_(True))
    return db.session.scalars(query.order_by(PhoneNumber.id)).all()


def sandbox_number(phone_id: int | None) -> PhoneNumber:
    """One of the org's sandbox numbers, or a 404 for anything else."""
    if phone_id is None:
        abort(404)
    number = get_or_404(PhoneNumber, phone_id, what="phone number")
    if not number.is_sandbox:
        abort(404)
    return number


def render_chat(number, customer, note=None, status=200):
    """The chat pane (or the whole page), then the read receipts a phone would send."""
    messages = chat_messages(number, customer) if number else []
    context = {
        "number": number,
        "numbers": sandbox_numbers(),
        "customer": customer,
        "messages": messages,
        "note": note,
    }
    if not request.headers.get("HX-Request"):
        html = render_template("sandbox/phone.html", **context)
    else:
        html = render_template("sandbox/_chat.html", **context)
        if request.method == "POST":
            html += render_template("sandbox/_note.html", note=note, oob=True)

    if number:
        send_read_receipts(number, customer, messages)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


@bp.get("/sandbox")
@page_login_required
def sandbox():
    """The sandbox phone: write to one of the org's sandbox numbers as a customer."""
    require_sandbox()
    phone_id = request.args.get("number", type=int)
    if phone_id is not None:
        number = sandbox_number(phone_id)
    else:
        number = next(iter(sandbox_numbers()), None)
    customer = customer_from(request.args, current_user().org.default_country)
    return render_chat(number, customer)


@bp.post("/sandbox/messages")
@page_login_required
def sandbox_send():
    """Send the customer's message or tap to the business as a signed webhook."""
    require_sandbox()
    number = sandbox_number(request.form.get("number", type=int))
    customer = customer_from(request.form, current_user().org.default_country)
    message, error = customer_message(number, request.form)
    if error:
        return render_chat(number, customer, note=error, status=422)

    try:
        code = webhooks.post_inbound(number, customer.wa_id, customer.name, message)
    except webhooks.SandboxNotReady:
        code = None
    if code != 200:
        error = f"The webhook refused the message ({code or 'no WhatsApp account'})."
        logger.warning("sandbox message on number %s refused: %s", number.id, code)

    if not request.headers.get("HX-Request"):
        query = {"number": number.id, "name": customer.name, "phone": customer.phone}
        return redirect(url_for("dashboard.sandbox", **query), 303)
    return render_chat(number, customer, note=error)
