"""An HTTP session whose requests to the sandbox host are served by this very app.

The Graph client and the sandbox's customer side both talk to
`http://sandbox.wfb.internal/`: `/graph/...` reaches the sandbox Graph API
(`/sandbox/graph/...`) and `/webhook/...` reaches the real webhook routes. Nothing
leaves the process, yet every call crosses the app's real routes, signature checks
and error handlers, exactly as a call from Meta would.
"""

import io
import logging
from urllib.parse import urlsplit

import requests
from flask import Flask, current_app, has_app_context
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

logger = logging.getLogger(__name__)

SANDBOX_HOST = "sandbox.wfb.internal"
INTERNAL = "wfb.sandbox.internal"
SANDBOX_URL = f"http://{SANDBOX_HOST}/"
GRAPH_BASE_URL = f"http://{SANDBOX_HOST}/graph"

# Where each public prefix of the sandbox host lands inside the app.
ROUTES = {"/graph/": "/sandbox/graph/", "/webhook/": "/webhook/"}


class SandboxUnreachable(requests.exceptions.ConnectionError):
    """The sandbox host has no route for this path, or no app is there to answer."""


class SandboxAdapter(BaseAdapter):
    """Serves requests in process by calling the Flask app as a WSGI application."""

    def __init__(self, app: Flask | None = None):
        super().__init__()
        self.app = app

    def send(
        self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None
    ):
        """Run the request through the app and answer what it answered.

        `timeout` has nothing to bound here: the call runs in this thread.
        """
        app = self._resolve_app(request)
        environ = self._environ(request)

        # A fresh app context gives the inner request its own `g` and database
        # session, so it commits or rolls back without touching the caller's.
        with app.app_context():
            body, status, headers = run_wsgi_app(app, environ, buffered=True)
            try:
                content = b"".join(body)
            finally:
                getattr(body, "close", lambda: None)()

        logger.debug("sandbox %s %s -> %s", request.method, request.url, status)
        return build_response(request, status, headers, content, self)

    def close(self):
        pass

    def _resolve_app(self, request) -> Flask:
        if has_app_context():
            return current_app._get_current_object()
        if self.app is not None:
            return self.app
        raise SandboxUnreachable(
            "No Flask app to serve the sandbox: create the session inside an app "
            "context, or call it from one.",
            request=request,
        )

    def _environ(self, request) -> dict:
        url = urlsplit(request.url)
        environ = EnvironBuilder(
            path=app_path(url.path, request),
            base_url=f"http://{SANDBOX_HOST}",
            query_string=url.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=_body_bytes(request.body),
        ).get_environ()
        # Only this transport sets the key: no HTTP client can reach the stand-in.
        environ[INTERNAL] = True
        return environ


def is_internal(environ) -> bool:
    """Whether a request came through this transport, not over the network."""
    return environ.get(INTERNAL) is True


def app_path(path: str, request=None) -> str:
    """The app's own path for a path on the sandbox host."""
    for prefix, target in ROUTES.items():
        if path.startswith(prefix):
            return target + path[len(prefix) :]
    raise SandboxUnreachable(f"The sandbox has no route for {path}", request=request)


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    if hasattr(body, "read"):
        return body.read()
    return b"".join(part.encode() if isinstance(part, str) else part for part in body)


def build_response(request, status: str, headers, content: bytes, adapter):
    """A `requests.Response` carrying what the app answered."""
    response = requests.Response()
    code, _, reason = status.partition(" ")
    response.status_code = int(code)
    response.reason = reason
    response.headers = CaseInsensitiveDict(headers.items())
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(content)
    response.url = request.url
    response.request = request
    response.connection = adapter
    return response


def sandbox_session() -> requests.Session:
    """A session that serves the sandbox host in process and anything else normally.

    Made inside an app context, it remembers that app for calls made from threads
    or greenlets that have no context of their own.
    """
    app = current_app._get_current_object() if has_app_context() else None
    session = requests.Session()
    session.mount(SANDBOX_URL, SandboxAdapter(app))
    return session
