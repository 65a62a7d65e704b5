"""The sandbox's customer side: webhook bodies of Meta's exact shape, signed and posted.

Each body is built the way Meta builds it (`entry[].id` is the org's WABA id,
`metadata` names the business number, ids and timestamps are strings), serialised
once, signed over those exact bytes with the org's app secret, and posted through
`sandbox_session()` to the org's real webhook route.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time

from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox.transport import SANDBOX_URL, sandbox_session
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)


class SandboxNotReady(RuntimeError):
    """The number's org has no WhatsApp account, so there is no secret to sign with."""


def new_wamid() -> str:
    """A WhatsApp message id as unique as Meta's, in the same `wamid.` form."""
    return "wamid." + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode()


def now() -> str:
    return str(int(time.time()))


def digits(phone: str) -> str:
    """A number as Meta writes it in webhooks: digits only, no `+` or spaces."""
    return "".join(ch for ch in phone if ch.isdigit())


def text(body: str) -> dict:
    """The part of an inbound text message that depends on what the customer wrote."""
    return {"type": "text", "text": {"body": body}}


def button_reply(reply_id: str, title: str, context: dict | None = None) -> dict:
    """A tap on a reply button; `context` points at the business message."""
    message = {
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": reply_id, "title": title},
        },
    }
    return {"context": context, **message} if context else message


def list_reply(
    reply_id: str, title: str, description: str = "", context: dict | None = None
) -> dict:
    """A choice of a list row; Meta leaves out `description` when the row has none."""
    choice = {"id": reply_id, "title": title}
    if description:
        choice["description"] = description
    message = {
        "type": "interactive",
        "interactive": {"type": "list_reply", "list_reply": choice},
    }
    return {"context": context, **message} if context else message


def reply_context(number: PhoneNumber, wamid: str) -> dict:
    """The `context` of a reply to the business message `wamid`."""
    return {"from": digits(number.display_phone_number), "id": wamid}


def inbound_message(wa_id: str, message: dict) -> dict:
    """A complete `messages[]` item, keys in Meta's order, with a fresh wamid."""
    message = dict(message)
    context = message.pop("context", None)
    head = {"context": context} if context else {}
    return {**head, "from": wa_id, "id": new_wamid(), "timestamp": now(), **message}


def status(wamid: str, recipient_id: str, state: str, pricing: dict | None = None):
    """One `statuses[]` item in the v24 shape (no `conversation`)."""
    item = {
        "id": wamid,
        "status": state,
        "timestamp": now(),
        "recipient_id": recipient_id,
    }
    if pricing:
        item["pricing"] = dict(pricing)
    return item


def envelope(waba_id: str, number: PhoneNumber, value: dict) -> dict:
    """Meta's `whatsapp_business_account` body around one change of `messages`."""
    metadata = {
        "display_phone_number": digits(number.display_phone_number),
        "phone_number_id": number.phone_number_id,
    }
    value = {"messaging_product": "whatsapp", "metadata": metadata, **value}
    change = {"value": value, "field": "messages"}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [change]}],
    }


def inbound_body(
    account: WhatsAppAccount, number: PhoneNumber, wa_id: str, name: str, message
) -> dict:
    """The webhook body of one message from customer `wa_id` to `number`."""
    value = {
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [inbound_message(wa_id, message)],
    }
    return envelope(account.waba_id, number, value)


def sign(secret: str, raw: bytes) -> str:
    """The `X-Hub-Signature-256` value of `raw` under the app secret."""
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def account_of(number: PhoneNumber) -> WhatsAppAccount:
    account = db.session.scalar(scoped(WhatsAppAccount, number.org_id))
    if account is None or not account.app_secret:
        raise SandboxNotReady(
            f"Org {number.org_id} has no WhatsApp account to sign sandbox webhooks."
        )
    return account


def post_webhook(number: PhoneNumber, account: WhatsAppAccount, body: dict) -> int:
    """Sign `body` as Meta would and post it to the org's webhook; answer the status."""
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(account.app_secret, raw),
    }
    with sandbox_session() as session:
        response = session.post(
            f"{SANDBOX_URL}webhook/{number.org_id}", data=raw, headers=headers
        )
    return response.status_code


def post_inbound(number: PhoneNumber, wa_id: str, name: str, message: dict) -> int:
    """Post a customer's message (from `text`, `button_reply` or `list_reply`)."""
    account = account_of(number)
    body = inbound_body(account, number, wa_id, name, message)
    code = post_webhook(number, account, body)
    wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    logger.info("sandbox posted inbound %s on number %s: %s", wamid, number.id, code)
    return code


def post_statuses(number: PhoneNumber, statuses: list[dict]) -> int:
    """Post `statuses[]` items about the business's messages on `number`."""
    account = account_of(number)
    body = envelope(account.waba_id, number, {"statuses": statuses})
    code = post_webhook(number, account, body)
    logger.info(
        "sandbox posted %s status(es) on number %s: %s", len(statuses), number.id, code
    )
    return code
