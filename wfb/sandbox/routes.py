"""The sandbox Graph API: Meta's send endpoint, answered as Meta answers it.

Only numbers marked `is_sandbox` can send here. A successful send gets a fresh wamid
and, a moment later, the `sent` and `delivered` status webhooks that Meta would post.
Limitation: the sandbox does not enforce the 24-hour customer-service window, the
per-number send rate or template approval; every well-formed message is accepted.
It also answers a sandbox org's template calls (list, create, delete and the
resumable upload of header samples; see `wfb.message_templates.sandbox`).
Limitation: media and number info calls answer Meta's "unsupported request" error.
"""

import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from wfb.extensions import db
from wfb.message_templates import sandbox as templates
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox.tasks import post_statuses
from wfb.sandbox.transport import is_internal
from wfb.sandbox.webhooks import new_wamid

logger = logging.getLogger(__name__)

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

# Meta posts the statuses a moment after it accepted the message, never inside
# the send call; the delay keeps that order for the sender.
STATUS_DELAY_SECONDS = 0.3

MESSAGE_TYPES = (
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
)
MEDIA_TYPES = ("audio", "document", "image", "sticker", "video")
INTERACTIVE_TYPES = ("button", "cta_url", "list")
FREE_SERVICE_PRICING = {
    "billable": False,
    "pricing_model": "PMP",
    "type": "free_customer_service",
    "category": "service",
}
# The sandbox keeps no template categories, so every template is priced as marketing.
TEMPLATE_PRICING = {
    "billable": True,
    "pricing_model": "PMP",
    "type": "regular",
    "category": "marketing",
}


class GraphError(Exception):
    """An error that the Graph API answers in its own JSON shape."""

    def __init__(self, code, message, details=None, status=400, subcode=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.status = status
        self.subcode = subcode

    def body(self) -> dict:
        error = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.details:
            error["error_data"] = {
                "messaging_product": "whatsapp",
                "details": self.details,
            }
        if self.subcode:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
        return {"error": error}


def invalid_value(details: str) -> GraphError:
    return GraphError(131009, "(#131009) Parameter value is not valid", details)


def missing(name: str) -> GraphError:
    return GraphError(100, f"(#100) The parameter {name} is required.")


def too_long(name: str, limit: int) -> GraphError:
    return GraphError(
        100, f"(#100) Param {name} must be at most {limit} characters long."
    )


@bp.errorhandler(GraphError)
def answer_graph_error(error: GraphError):
    response = jsonify(error.body())
    response.status_code = error.status
    if error.code == 190:
        response.headers["WWW-Authenticate"] = (
            'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
        )
    return response


@bp.post("/graph/<version>/<phone_number_id>/messages")
def send_message(version, phone_number_id):
    """Accept a send or mark-read call for a sandbox number, as Meta does."""
    require_bearer()
    number = sandbox_number(phone_number_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise GraphError(100, "(#100) Invalid parameter", "The body must be JSON.")
    if body.get("messaging_product") != "whatsapp":
        raise missing("messaging_product")

    if body.get("status") == "read":
        return mark_read(body)

    kind = validate_message(body)
    wamid = new_wamid()
    wa_id = "".join(ch for ch in str(body["to"]) if ch.isdigit())
    schedule_statuses(number, wamid, wa_id, kind)

    logger.info("sandbox accepted %s %s from number %s", kind, wamid, number.id)
    message = {"id": wamid}
    if kind == "template":
        message["message_status"] = "accepted"
    return jsonify(
        messaging_product="whatsapp",
        contacts=[{"input": body["to"], "wa_id": wa_id}],
        messages=[message],
    )


@bp.route(
    "/graph/<version>/<waba_id>/message_templates", methods=["GET", "POST", "DELETE"]
)
def message_templates(version, waba_id):
    """List, create or delete a sandbox org's templates, as Meta does."""
    org_id = template_account(waba_id, "waba_id").org_id
    if request.method == "POST":
        return jsonify(templates.created(org_id, request.get_json(silent=True)))
    if request.method == "DELETE":
        args = request.args
        return jsonify(templates.deleted(org_id, args.get("name"), args.get("hsm_id")))
    args = request.args
    page = templates.template_page(org_id, args.get("limit"), args.get("after"))
    if page.pop("more"):
        query = {**args.to_dict(), "after": page["paging"]["cursors"]["after"]}
        path = f"graph/{version}/{waba_id}/message_templates"
        page["paging"]["next"] = f"{request.host_url}{path}?{urlencode(query)}"
    return jsonify(page)


@bp.post("/graph/<version>/<app_id>/uploads")
def start_upload(version, app_id):
    """Step 1 of the resumable upload of a template header sample."""
    template_account(app_id, "app_id")
    return jsonify(templates.upload_session(app_id, request.args))


@bp.post("/graph/<version>/<session_id>")
def finish_upload(version, session_id):
    """Step 2 of the resumable upload: the file's bytes, answered with a handle."""
    if not session_id.startswith("upload:"):
        return unsupported_call(f"{version}/{session_id}")
    if not is_internal(request.environ):
        abort(404)
    app_id = templates.upload_app(session_id)
    template_account(app_id, "app_id")
    offset = request.headers.get("file_offset")
    return jsonify(templates.upload_handle(session_id, request.get_data(), offset))


def template_account(object_id: str, by: str):
    """The sandbox account named in the path, when the caller holds its token.

    Template calls carry the org's own (sandbox) token, as Meta's do, so one org
    cannot reach another's templates by naming its WABA.
    """
    if not is_internal(request.environ):
        abort(404)
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    if not token.strip():
        raise GraphError(190, "Invalid OAuth access token", status=401)
    return templates.sandbox_account(object_id, token.strip(), by)


@bp.errorhandler(templates.SandboxRefusal)
def answer_sandbox_refusal(refusal: templates.SandboxRefusal):
    return answer_graph_error(GraphError(refusal.code, refusal.message))


@bp.route("/graph/<path:rest>", methods=["GET", "POST", "DELETE"])
def unsupported_call(rest):
    """Any other Graph call: the sandbox stands in for sending and templates only."""
    require_bearer()
    raise GraphError(
        100,
        f"Unsupported {request.method.lower()} request. The sandbox answers "
        "only POST /{version}/{phone_number_id}/messages.",
        subcode=33,
    )


def require_bearer() -> None:
    if not is_internal(request.environ):
        abort(404)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(
            190,
            "Invalid OAuth access token - Cannot parse access token",
            status=401,
        )


def sandbox_number(phone_number_id: str) -> PhoneNumber:
    """The sandbox number with this Meta id; Meta's unknown-object error otherwise."""
    number = db.session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.phone_number_id == phone_number_id,
            PhoneNumber.is_sandbox.is_(True),
        )
    )
    if number is None:
        raise GraphError(
            100,
            f"Unsupported post request. Object with ID '{phone_number_id}' does not "
            "exist, cannot be loaded due to missing permissions, or does not support "
            "this operation.",
            subcode=33,
        )
    return number


def mark_read(body: dict):
    if not body.get("message_id"):
        raise missing("message_id")
    return jsonify(success=True)


def schedule_statuses(number: PhoneNumber, wamid: str, wa_id: str, kind: str) -> None:
    pricing = TEMPLATE_PRICING if kind == "template" else FREE_SERVICE_PRICING
    post_statuses.schedule(
        (number.org_id, number.id, wamid, wa_id, pricing), delay=STATUS_DELAY_SECONDS
    )


def validate_message(body: dict) -> str:
    """Check a send body against Meta's main limits and answer its type."""
    if not body.get("to"):
        raise missing("to")
    kind = body.get("type", "text")
    if kind not in MESSAGE_TYPES:
        allowed = ", ".join(t.upper() for t in MESSAGE_TYPES)
        raise GraphError(
            100, f'(#100) Param type must be one of {{{allowed}}} - got "{kind}".'
        )
    content = body.get(kind)
    if not isinstance(content, dict):
        raise missing(kind)
    VALIDATORS.get(kind, lambda _content: None)(content)
    if kind in MEDIA_TYPES:
        validate_media(kind, content)
    return kind


def validate_text(text: dict) -> None:
    body = text.get("body")
    if not isinstance(body, str) or not body:
        raise missing("text['body']")
    if len(body) > 4096:
        raise too_long("text['body']", 4096)


def validate_media(kind: str, media: dict) -> None:
    if not media.get("id") and not media.get("link"):
        raise missing(f"{kind}['id'] or {kind}['link']")


def validate_template(template: dict) -> None:
    if not template.get("name"):
        raise missing("template['name']")
    if not (template.get("language") or {}).get("code"):
        raise missing("template['language']['code']")


def validate_reaction(reaction: dict) -> None:
    if not reaction.get("message_id"):
        raise missing("reaction['message_id']")


def validate_interactive(interactive: dict) -> None:
    kind = interactive.get("type")
    if kind not in INTERACTIVE_TYPES:
        raise GraphError(
            100,
            "(#100) Param interactive['type'] must be one of "
            f'{{BUTTON, CTA_URL, LIST}} - got "{kind}".',
        )
    text = (interactive.get("body") or {}).get("text")
    if not text:
        raise missing("interactive['body']['text']")
    limit = 4096 if kind == "list" else 1024
    if len(text) > limit:
        raise too_long("interactive['body']['text']", limit)
    action = interactive.get("action")
    if not isinstance(action, dict):
        raise missing("interactive['action']")
    if kind == "button":
        validate_buttons(action.get("buttons"))
    elif kind == "list":
        validate_list(action)


def validate_buttons(buttons) -> None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid_value(
            "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3"
        )
    titles = []
    for button in buttons:
        reply = (button.get("reply") or {}) if isinstance(button, dict) else {}
        title = reply.get("title") or ""
        if not 1 <= len(title) <= 20:
            raise invalid_value(
                "Button title length invalid. Min length: 1, Max length: 20"
            )
        if not reply.get("id") or len(reply["id"]) > 256:
            raise invalid_value(
                "Button id length invalid. Min length: 1, Max length: 256"
            )
        titles.append(title)
    if len(set(titles)) != len(titles):
        raise invalid_value("Button title is not unique")


def validate_list(action: dict) -> None:
    if not 1 <= len(action.get("button") or "") <= 20:
        raise invalid_value("Button text length invalid. Min length: 1, Max length: 20")
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise invalid_value(
            "Invalid sections count. Min allowed sections: 1, Max allowed sections: 10"
        )
    rows = [row for section in sections for row in section.get("rows") or []]
    if not rows:
        raise invalid_value("Row count must be at least 1")
    if len(rows) > 10:
        raise invalid_value("Total row count exceed max allowed count: 10")
    for section in sections:
        if len(section.get("title") or "") > 24:
            raise invalid_value("Section title length invalid. Max length: 24")
    for row in rows:
        if not 1 <= len(row.get("title") or "") <= 24:
            raise invalid_value(
                "Row title length invalid. Min length: 1, Max length: 24"
            )
        if len(row.get("description") or "") > 72:
            raise invalid_value("Row description length invalid. Max length: 72")
        if not row.get("id") or len(row["id"]) > 200:
            raise invalid_value("Row id length invalid. Min length: 1, Max length: 200")


VALIDATORS = {
    "text": validate_text,
    "template": validate_template,
    "reaction": validate_reaction,
    "interactive": validate_interactive,
}
