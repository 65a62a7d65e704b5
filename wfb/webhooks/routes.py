"""Meta's webhooks: verification, and POSTs stored before they are acknowledged.

The body is checked against `X-Hub-Signature-256` on the exact bytes received, stored
as a `WebhookEvent` and committed, and only then answered 200; the processing runs in
the background and a periodic sweep retries any event left unprocessed.
"""

import hmac
import json
import logging
import time

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields
from sqlalchemy import bindparam, select

from wfb import crypto
from wfb.accounts.models import Org
from wfb.credentials.models import WhatsAppAccount
from wfb.credentials.routes import whatsapp_account
from wfb.extensions import db, limiter
from wfb.logs import bind_org
from wfb.phone_numbers.models import PhoneNumber
from wfb.webhooks import signature
from wfb.webhooks.store import StoreError, writer_for

logger = logging.getLogger(__name__)

blp = Blueprint("webhooks", __name__, description="Meta's webhooks")
MAX_BODY = 3 * 1024 * 1024


class VerifyArgsSchema(Schema):
    mode = fields.String(data_key="hub.mode", load_default=None)
    verify_token = fields.String(data_key="hub.verify_token", load_default=None)
    challenge = fields.String(data_key="hub.challenge", load_default=None)


class AckSchema(Schema):
    status = fields.String()


def _challenge(args: dict, expected: str | None) -> Response:
    token = args["verify_token"] or ""
    if args["mode"] != "subscribe" or not expected or args["challenge"] is None:
        abort(403, message="Webhook verification failed.")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        abort(403, message="Webhook verification failed.")
    return Response(args["challenge"], status=200, mimetype="text/plain")


def _raw_body() -> bytes:
    if (request.content_length or 0) > MAX_BODY:
        abort(413, message="A webhook body may be at most 3 MiB.")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(413, message="A webhook body may be at most 3 MiB.")
    return body


def _receive(body: bytes, secret, org_id=None, status="active", phone=None) -> dict:
    header = request.headers.get("X-Hub-Signature-256")
    if not signature.is_valid(body, header, secret):
        logger.warning("webhook refused: bad or missing signature (org %s)", org_id)
        abort(401, message="Missing or wrong X-Hub-Signature-256.")
    if status != "active":
        # Meta would retry an error for 7 days: acknowledge, and keep nothing.
        logger.info("webhook dropped: org %s is %s", org_id, status)
        return {"status": "dropped"}
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        abort(400, message="The webhook body is not JSON.")
    # Release this request's connection: the writer commits on its own.
    db.session.remove()
    try:
        writer_for(current_app).store(org_id, phone, body)
    except StoreError:
        abort(503, message="The webhook could not be stored; please retry.")
    return {"status": "received"}


# Every POST needs the org's status and app secret, and reading them (a query and a
# decryption) would cost more than all the other checks: each process keeps them for
# a second, so a suspension or a new app secret reaches this route within a second.
ORG_CACHE_SECONDS = 1.0
_POSTING_ORG = (
    select(Org.status, WhatsAppAccount.app_secret_enc)
    .outerjoin(WhatsAppAccount, WhatsAppAccount.org_id == Org.id)
    .where(Org.id == bindparam("org_id"))
)


def _posting_org(org_id: int) -> tuple[str, str | None]:
    """The org's status and app secret, as of at most a second ago.

    An unknown org has no secret, so its webhooks fail the signature check like a
    forged one: the answer never tells which org ids exist.
    """
    cache = current_app.extensions.setdefault("wfb_webhook_orgs", {})
    now = time.monotonic()
    known = cache.get(org_id)
    if known is None or known[0] <= now:
        with db.engine.connect() as connection:
            row = connection.execute(_POSTING_ORG, {"org_id": org_id}).first()
        if row is None:
            return "active", None
        secret = crypto.decrypt(row.app_secret_enc)
        known = cache[org_id] = (now + ORG_CACHE_SECONDS, row.status, secret)
    bind_org(org_id)
    return known[1], known[2]


def _verify_token(org_id: int, phone_id: str | None = None) -> str | None:
    """The org's verify token; none for an unknown org or a number not its own."""
    if phone_id is not None and not _owns_number(org_id, phone_id):
        return None
    account = whatsapp_account(org_id)
    return account.verify_token if account else None


def _owns_number(org_id: int, phone_id: str) -> bool:
    query = select(PhoneNumber.id).where(
        PhoneNumber.org_id == org_id, PhoneNumber.phone_number_id == phone_id
    )
    return db.session.scalar(query) is not None


@blp.route("/webhook")
class GlobalWebhook(MethodView):
    decorators = [limiter.exempt]

    @blp.doc(security=[])
    @blp.arguments(VerifyArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args):
        """Verify the legacy global webhook with WFB_VERIFY_TOKEN."""
        return _challenge(args, current_app.config["SETTINGS"].WFB_VERIFY_TOKEN)

    @blp.doc(security=[])
    @blp.response(200, AckSchema)
    @blp.doc(description="Signed with META_APP_SECRET; routed by phone_number_id.")
    def post(self):
        """Receive a batch for any org's numbers (legacy global route)."""
        body = _raw_body()
        return _receive(body, current_app.config["SETTINGS"].META_APP_SECRET)


@blp.route("/webhook/<int:org_id>")
class OrgWebhook(MethodView):
    decorators = [limiter.exempt]

    @blp.doc(security=[])
    @blp.arguments(VerifyArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args, org_id):
        """Verify the org's webhook with its verify token."""
        return _challenge(args, _verify_token(org_id))

    @blp.doc(security=[])
    @blp.response(200, AckSchema)
    @blp.doc(description="Signed with the org's app secret.")
    def post(self, org_id):
        """Receive messages and statuses for the org's numbers."""
        body = _raw_body()
        status, secret = _posting_org(org_id)
        return _receive(body, secret, org_id, status)


@blp.route("/webhook/<int:org_id>/phone/<phone_id>")
class PhoneWebhook(MethodView):
    decorators = [limiter.exempt]

    @blp.doc(security=[])
    @blp.arguments(VerifyArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args, org_id, phone_id):
        """Verify a webhook that serves one of the org's numbers."""
        return _challenge(args, _verify_token(org_id, phone_id))

    @blp.doc(security=[])
    @blp.response(200, AckSchema)
    @blp.doc(description="Signed with the org's app secret; other numbers ignored.")
    def post(self, org_id, phone_id):
        """Receive messages and statuses for one of the org's numbers."""
        body = _raw_body()
        status, secret = _posting_org(org_id)
        if not _owns_number(org_id, phone_id):
            secret = None
        return _receive(body, secret, org_id, status, phone_id)
