"""The Graph API's shapes as the stand-in speaks them: requests, answers, errors.

The HTTP status of each error code follows the protocol notes (A5); the body is Meta's
`{"error": {...}}` shape, taken from the example payload files where one exists.
"""

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from requests.structures import CaseInsensitiveDict

from tests.standins import payload

PHONE_INFO = {
    "verified_name": "Acme Salon",
    "code_verification_status": "VERIFIED",
    "display_phone_number": "+1 555-000-1111",
    "quality_rating": "GREEN",
    "platform_type": "CLOUD_API",
    "throughput": {"level": "STANDARD"},
    "whatsapp_business_manager_messaging_limit": "TIER_2K",
    "name_status": "APPROVED",
    "status": "CONNECTED",
}


@dataclass
class Recorded:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict
    headers: CaseInsensitiveDict
    raw: bytes
    body: object
    time: float
    endpoint: str = ""
    status: int = 0
    answer: object = None


@dataclass
class Answer:
    status: int = 200
    body: object = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass
class Rule:
    """A scripted behaviour for the next requests to one endpoint."""

    action: str
    endpoint: str | None
    times: int
    code: int | None = None
    status: int | None = None
    details: str | None = None
    seconds: float = 0.0
    # Requests to let through untouched before the behaviour starts.
    skip: int = 0


# code: (HTTP status, Meta's title, details)
ERRORS = {
    0: (401, "AuthException", "We were unable to authenticate the app user."),
    1: (500, "API Unknown", "Invalid request or possible server error."),
    2: (503, "API Service", "Temporary due to downtime or due to being overloaded."),
    4: (429, "API Too Many Calls", "The app has reached its API call rate limit."),
    10: (403, "Permission Denied", "Permission is either not granted or removed."),
    100: (400, "Invalid parameter", "The request included an invalid parameter."),
    190: (401, "Access token has expired", "Your access token has expired."),
    200: (403, "API Permission", "Permission is either not granted or removed."),
    368: (403, "Temporarily blocked for policies violations", "Policy violation."),
    80007: (429, "Rate limit issues", "The WhatsApp Business Account rate limit."),
    130429: (400, "Rate limit hit", "Cloud API message throughput has been reached."),
    131000: (500, "Something went wrong", "Message failed due to an unknown error."),
    131016: (503, "Service unavailable", "A service is temporarily unavailable."),
    131026: (400, "Message Undeliverable", "Unable to deliver message."),
    131030: (400, "Recipient phone number not in allowed list", "Add it first."),
    131031: (403, "Business Account locked", "The account has been locked."),
    131047: (400, "Re-engagement message", "More than 24 hours have passed."),
    131048: (400, "Spam rate limit hit", "Restricted for quality reasons."),
    131049: (400, "Meta chose not to deliver.", "Healthy ecosystem engagement."),
    131050: (400, "User has stopped marketing messages", "The user opted out."),
    131051: (400, "Unsupported message type", "Unsupported message type."),
    131056: (
        400,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent to the same recipient in a short period of time.",
    ),
    131057: (500, "Account in maintenance mode", "Throughput upgrade in progress."),
    132000: (400, "Template Param Count Mismatch", "Parameter count mismatch."),
    132001: (400, "Template does not exist", "No template in this language."),
    132005: (400, "Template Hydrated Text Too Long", "Translated text too long."),
    132007: (400, "Template Format Character Policy Violated", "Policy violated."),
    132012: (400, "Template Parameter Format Mismatch", "Parameter format wrong."),
    132015: (400, "Template is Paused", "The template is paused for low quality."),
    132016: (400, "Template is Disabled", "The template was paused too often."),
}
FILES = {
    130429: "send_error_130429.json",
    131047: "send_error_131047.json",
    190: "send_error_190.json",
}
WWW_AUTHENTICATE = 'OAuth "Facebook Platform" "invalid_token" "{}"'


def error_body(code: int, details: str | None = None) -> dict:
    """Meta's error body for `code`, with a fresh fbtrace_id."""
    if code in FILES:
        body = payload(FILES[code])
    else:
        _, title, default = ERRORS.get(code, (400, "Unknown error", ""))
        body = {
            "error": {
                "message": f"(#{code}) {title}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": default},
            }
        }
    error = body["error"]
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    if details is not None:
        error.setdefault("error_data", {"messaging_product": "whatsapp"})
        error["error_data"]["details"] = details
    return body


def failure(code: int | None, status=None, details=None) -> Answer:
    """The answer carrying Meta's error for `code`.

    Without a code the answer is a bare HTML error page, as a proxy in front of Meta
    gives.
    """
    if code is None:
        status = status or 502
        html = f"<html><body><h1>{status}</h1></body></html>".encode()
        return Answer(status, html, "text/html")
    body = error_body(code, details)
    headers = {}
    if code == 190:
        message = body["error"]["message"].replace('"', "'")
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE.format(message)
    status = status or ERRORS.get(code, (400,))[0]
    return Answer(status, body, headers=headers)


def multipart(request: Recorded) -> dict:
    """The fields of a multipart form; a file field is (bytes, type, filename)."""
    head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head.encode() + request.raw)
    form = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename():
            form[name] = (data, part.get_content_type(), part.get_filename())
        else:
            form[name] = data.decode()
    return form


def digits(number: str) -> str:
    return re.sub(r"\D", "", str(number))


def cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"standin:{index}".encode()).decode()


def cursor_index(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


def json_or_none(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return None
