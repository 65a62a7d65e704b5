"""The one client for Meta's Graph API: sending, media, templates and number info.

Every process keeps one pooled HTTP session that all clients share; each call has a
connect and read timeout, and every failure becomes a GraphError whose `kind` tells
the caller what to do. The access token travels only in the Authorization header and
is never logged.
"""

import logging
import os
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from wfb.credentials import whatsapp as credentials
from wfb.whatsapp import messages
from wfb.whatsapp.errors import (
    AUTH,
    RETRY,
    GraphError,
    GraphTimeout,
    GraphUnavailable,
    error_from_body,
)

logger = logging.getLogger(__name__)

POOL_SIZE = 64
SANDBOX_URL = "http://sandbox.wfb.internal/graph"
SANDBOX_TOKEN = "sandbox"
PHONE_FIELDS = (
    "display_phone_number,verified_name,quality_rating,code_verification_status,"
    "platform_type,throughput,whatsapp_business_manager_messaging_limit,"
    "name_status,status"
)
TEMPLATE_FIELDS = "name,status,category,language,components,parameter_format,id"

_session: requests.Session | None = None
_session_lock = threading.Lock()


def shared_session() -> requests.Session:
    """This process's pooled session, made on first use."""
    global _session
    with _session_lock:
        if _session is None:
            _session = _new_session()
        return _session


def _new_session() -> requests.Session:
    session = requests.Session()
    # Reading proxy settings from the environment costs time on every request.
    session.trust_env = False
    # No automatic retries: a resent POST could deliver a message twice.
    adapter = HTTPAdapter(pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _forget_session() -> None:
    """A forked child must not share its parent's sockets."""
    global _session
    _session = None


os.register_at_fork(after_in_child=_forget_session)


class GraphClient:
    """Calls to the Graph API with one token, against one base URL and version."""

    def __init__(self, base_url, version, token, timeout, session=None):
        self.base_url = base_url.rstrip("/")
        self.version = version
        self._token = token.strip()
        self.timeout = timeout
        self.session = session or shared_session()

    def __repr__(self) -> str:
        return f"GraphClient({self.base_url!r}, {self.version!r})"

    def send_message(self, phone_number_id: str, payload: dict) -> str:
        """Send one message and answer its wamid."""
        url = self._url(f"{phone_number_id}/messages")
        response = self._send("POST", url, json=payload)
        try:
            wamid = response.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise GraphTimeout(
                "Graph API accepted the message without a readable wamid",
                http_status=response.status_code,
            ) from None
        logger.debug(
            "Sent %s from %s as %s", payload.get("type"), phone_number_id, wamid
        )
        return wamid

    def mark_read(self, phone_number_id: str, wamid: str, typing: bool = False):
        """Mark a received message read (and show a typing indicator if asked)."""
        url = self._url(f"{phone_number_id}/messages")
        self._call("POST", url, json=messages.mark_read(wamid, typing))

    def get_media_url(self, media_id: str) -> dict:
        """The media's download `url` (valid five minutes), `mime_type` and `sha256`."""
        return self._call("GET", self._url(str(media_id)))

    def download_media(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type at a media URL that Meta gave out."""
        response = self._send("GET", url)
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return response.content, content_type

    def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file for sending; answer its media id."""
        url = self._url(f"{phone_number_id}/media")
        form = {"messaging_product": "whatsapp", "type": mime_type}
        files = {"file": (filename, data, mime_type)}
        return self._call("POST", url, data=form, files=files)["id"]

    def resumable_upload(
        self, app_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a template header sample; answer the handle for `header_handle`."""
        params = {
            "file_name": filename,
            "file_length": len(data),
            "file_type": mime_type,
        }
        url = self._url(f"{app_id}/uploads")
        session_id = self._call("POST", url, params=params, auth="OAuth")["id"]
        headers = {"file_offset": "0"}
        answer = self._call(
            "POST", self._url(session_id), data=data, headers=headers, auth="OAuth"
        )
        return answer["h"]

    def phone_number_info(self, phone_number_id: str) -> dict:
        """Name, quality rating, throughput and messaging limit of a number."""
        params = {"fields": PHONE_FIELDS}
        return self._call("GET", self._url(phone_number_id), params=params)

    def list_templates(self, waba_id: str, limit: int = 100) -> Iterator[dict]:
        """Every template of a WABA, following `paging.next` until there is none."""
        url = self._url(f"{waba_id}/message_templates")
        params = {"fields": TEMPLATE_FIELDS, "limit": limit}
        while url:
            page = self._call("GET", url, params=params)
            yield from page.get("data", [])
            url = _without_token((page.get("paging") or {}).get("next"))
            params = None

    def create_template(self, waba_id: str, body: dict) -> dict:
        """Submit a template for review; Meta answers its id, status and category."""
        url = self._url(f"{waba_id}/message_templates")
        return self._call("POST", url, json=body)

    def delete_template(self, waba_id: str, name: str, hsm_id=None) -> dict:
        """Delete every language of a template, or only the one with `hsm_id`."""
        params = {"name": name}
        if hsm_id:
            params["hsm_id"] = hsm_id
        url = self._url(f"{waba_id}/message_templates")
        return self._call("DELETE", url, params=params)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path}"

    def _call(self, method: str, url: str, **kwargs) -> dict:
        response = self._send(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise GraphError(
                "Graph API answered with a body that is not JSON",
                http_status=response.status_code,
                kind=RETRY,
            ) from None

    def _send(self, method, url, auth="Bearer", headers=None, **kwargs):
        """One request; a failed one raises the GraphError that says what happened."""
        headers = {"Authorization": f"{auth} {self._token}", **(headers or {})}
        path = urlsplit(url).path
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self._timeouts(), **kwargs
            )
        except requests.RequestException as exc:
            raise _transport_error(exc, method, path) from exc
        elapsed = (time.monotonic() - started) * 1000
        logger.debug(
            "%s %s answered %s in %.0f ms", method, path, response.status_code, elapsed
        )
        if response.status_code >= 400:
            raise _answer_error(response, method, path)
        return response

    def _timeouts(self) -> tuple[float, float]:
        if isinstance(self.timeout, tuple):
            return self.timeout
        return (self.timeout, self.timeout)


def _answer_error(response: requests.Response, method: str, path: str) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = error_from_body(response.status_code, body)
    logger.warning(
        "%s %s failed with code %s (%s, HTTP %s): %s",
        method,
        path,
        error.code,
        error.kind,
        error.http_status,
        error.title,
    )
    return error


def _transport_error(exc: Exception, method: str, path: str) -> GraphError:
    """Unavailable when no connection was made; otherwise the request may be out."""
    if _never_connected(exc):
        logger.warning("%s %s could not connect: %s", method, path, type(exc).__name__)
        return GraphUnavailable(
            f"Could not connect to the Graph API ({type(exc).__name__})"
        )
    logger.warning("%s %s got no answer: %s", method, path, type(exc).__name__)
    return GraphTimeout(f"No answer from the Graph API ({type(exc).__name__})")


def _never_connected(exc: Exception) -> bool:
    # A bad URL or header (a ValueError too) is refused before anything is sent.
    never = (requests.ConnectTimeout, requests.exceptions.SSLError, ValueError)
    if isinstance(exc, never):
        return True
    if isinstance(
        exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)
    ):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _without_token(url: str | None) -> str | None:
    """Meta's paging links carry the access token; it goes in the header instead."""
    if not url:
        return None
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k != "access_token"
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def client_for(number) -> GraphClient:
    """The Graph client for one of an org's phone numbers (or the built-in sandbox)."""
    settings = current_app.config["SETTINGS"]
    if number.is_sandbox:
        # Imported on use: the sandbox is optional and sits above this module.
        from wfb.sandbox.transport import sandbox_session

        return GraphClient(
            SANDBOX_URL,
            settings.META_GRAPH_VERSION,
            SANDBOX_TOKEN,
            settings.META_TIMEOUT,
            session=sandbox_session(),
        )
    return org_client(number.org_id)


def org_client(org_id: int) -> GraphClient:
    """The Graph client with an org's own access token."""
    settings = current_app.config["SETTINGS"]
    account = credentials.whatsapp_account(org_id)
    if account is None:
        raise GraphError(
            "This organization has no WhatsApp credentials; add them in Settings",
            kind=AUTH,
        )
    token = account.access_token
    if not token:
        raise GraphError(
            "The saved WhatsApp access token cannot be read; save it again",
            kind=AUTH,
        )
    return GraphClient(
        settings.META_GRAPH_URL,
        settings.META_GRAPH_VERSION,
        token,
        settings.META_TIMEOUT,
    )
