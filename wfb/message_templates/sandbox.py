"""What the sandbox's Graph API answers for templates and header uploads.

A sandbox org's WABA holds a few built-in sample templates, approved, plus those the
org created. Nothing is kept apart from the org's own template rows, so every process
answers alike: a stored template that is not gone is on the WABA (approved at once,
as the sandbox does not review), and a sample is there until the org deletes it,
which leaves its row gone.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time

from sqlalchemy import select

from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

PAGE_SIZE = 25
SAMPLE_ID_BASE = 1900000000000000
SAMPLES = (
    {
        "name": "appointment_reminder",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, this is a reminder of your appointment on {{2}}. "
                "Reply to this message if you need to change it.",
                "example": {"body_text": [["Priya", "5 Sep 2026, 5:00 PM"]]},
            },
            {"type": "FOOTER", "text": "Sent from the WFB sandbox"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confirm"},
                    {"type": "QUICK_REPLY", "text": "Reschedule"},
                ],
            },
        ],
    },
    {
        "name": "welcome_message",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "components": [
            {
                "type": "BODY",
                "text": "Welcome! Thanks for joining us. Reply HELP at any time to "
                "reach our team, or STOP to stop these messages.",
            }
        ],
    },
    {
        "name": "seasonal_offer",
        "language": "en_US",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "components": [
            {
                "type": "HEADER",
                "format": "IMAGE",
                "example": {"header_handle": ["sandbox:sample-offer-image"]},
            },
            {
                "type": "BODY",
                "text": "Hi {{1}}, get {{2}} off everything this week only. "
                "Show this message at the counter.",
                "example": {"body_text": [["Priya", "20%"]]},
            },
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "See the offer",
                        "url": "https://example.com/offers/{{1}}",
                        "example": ["https://example.com/offers/week"],
                    }
                ],
            },
        ],
    },
)


class SandboxRefusal(Exception):
    """Refused as Meta would: `code`, `message` and the HTTP `status`."""

    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def sandbox_account(object_id: str, token: str, by: str = "waba_id") -> WhatsAppAccount:
    """The sandbox org's account with this WABA (or app) id, if `token` is its own.

    Like Meta, the sandbox lets a token reach only its own WABA: an org that names
    another org's WABA gets the unknown-object error.
    """
    column = getattr(WhatsAppAccount, by)
    sandbox_orgs = select(PhoneNumber.org_id).where(PhoneNumber.is_sandbox.is_(True))
    accounts = db.session.scalars(
        select(WhatsAppAccount).where(
            column == object_id, WhatsAppAccount.org_id.in_(sandbox_orgs)
        )
    ).all()
    for account in accounts:
        own = account.access_token or ""
        if own and hmac.compare_digest(own.encode(), token.encode()):
            return account
    raise SandboxRefusal(
        100,
        f"Unsupported request. Object with ID '{object_id}' does not exist, cannot "
        "be loaded due to missing permissions, or does not support this operation.",
    )


def catalog(org_id: int) -> list[dict]:
    """The templates on a sandbox org's WABA, as Meta lists them, by name."""
    stored = db.session.scalars(
        scoped(MessageTemplate, org_id).order_by(MessageTemplate.id)
    ).all()
    known = {(t.name, t.language) for t in stored}
    templates = [as_meta(t) for t in stored if not t.gone]
    templates += [
        {**sample, "id": str(SAMPLE_ID_BASE + index), "status": "APPROVED"}
        for index, sample in enumerate(SAMPLES, start=1)
        if (sample["name"], sample["language"]) not in known
    ]
    return sorted(templates, key=lambda t: (t["name"], t["language"]))


def as_meta(template: MessageTemplate) -> dict:
    return {
        "id": template.meta_id or str(SAMPLE_ID_BASE + template.id),
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "parameter_format": template.parameter_format,
        "components": template.components,
        "status": "APPROVED",
    }


def template_page(org_id: int, limit, after: str | None) -> dict:
    """One page of the catalog with Meta's cursors; `next` only when more follow."""
    templates = catalog(org_id)
    size = max(1, min(int_or(limit, PAGE_SIZE), 1000))
    start = cursor_index(after) if after else 0
    data = templates[start : start + size]
    end = start + len(data)
    paging = {"cursors": {"before": cursor(start), "after": cursor(end)}}
    return {"data": data, "paging": paging, "more": end < len(templates)}


def int_or(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"sandbox:{index}".encode()).decode()


def cursor_index(value: str) -> int:
    try:
        return max(0, int(base64.urlsafe_b64decode(value.encode()).split(b":")[1]))
    except (ValueError, IndexError, binascii.Error):
        raise SandboxRefusal(100, "(#100) Invalid cursor") from None


def created(org_id: int, body) -> dict:
    """Meta's answer to a create: approved at once, with a fresh id."""
    required = ("name", "language", "category", "components")
    if not isinstance(body, dict) or not all(body.get(k) for k in required):
        raise SandboxRefusal(
            100, "(#100) Param name, language, category and components are required."
        )
    if any(
        t["name"] == body["name"] and t["language"] == body["language"]
        for t in catalog(org_id)
    ):
        raise SandboxRefusal(
            100,
            "(#100) Message template with this name and language already exists.",
        )
    serial = int(time.time_ns() // 1000) % 10**15
    return {
        "id": str(SAMPLE_ID_BASE + serial),
        "status": "APPROVED",
        "category": body["category"],
    }


def deleted(org_id: int, name: str | None, hsm_id: str | None) -> dict:
    """Meta's answer to a delete, when the WABA has that template."""
    found = [
        t
        for t in catalog(org_id)
        if t["name"] == name and (not hsm_id or t["id"] == hsm_id)
    ]
    if not found:
        raise SandboxRefusal(100, "(#100) Message template not found.")
    return {"success": True}


def upload_session(app_id: str, query: dict) -> dict:
    """Step 1 of a resumable upload; the session id carries what was announced."""
    wanted = ("file_name", "file_length", "file_type")
    if not all(query.get(k) for k in wanted):
        raise SandboxRefusal(
            100, "(#100) file_name, file_length and file_type are required."
        )
    announced = {"app": app_id, **{k: query[k] for k in wanted}}
    token = base64.urlsafe_b64encode(json.dumps(announced).encode()).decode()
    return {"id": f"upload:{token}"}


def announced(session_id: str) -> dict:
    """What step 1 was told, read back from the session id."""
    try:
        token = session_id.removeprefix("upload:")
        told = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        told = None
    if not isinstance(told, dict) or not all(
        isinstance(told.get(k), str)
        for k in ("app", "file_name", "file_length", "file_type")
    ):
        raise SandboxRefusal(100, "(#100) Unknown upload session")
    return told


def upload_app(session_id: str) -> str:
    """The app that started this upload session."""
    return announced(session_id)["app"]


def upload_handle(session_id: str, data: bytes, offset) -> dict:
    """Step 2: the file itself; answers the handle for `example.header_handle`."""
    told = announced(session_id)
    if str(offset) != "0" or str(len(data)) != told["file_length"]:
        raise SandboxRefusal(100, "(#100) file_offset and length do not match")
    digest = hashlib.sha256(data).hexdigest()[:24]
    name = base64.b64encode(told["file_name"].encode()).decode()
    kind = base64.b64encode(told["file_type"].encode()).decode()
    return {"h": f"2:{name}:{kind}:ARsandbox{digest}:e:{int(time.time())}"}
