"""A stand-in for Meta's Graph API: a real HTTP server on 127.0.0.1 for tests.

It answers sends, mark-read, media, templates, resumable uploads and phone number
info the way the protocol notes (A4-A9) describe, records every request, and lets a
test script failures: `fail_next`, `delay_next`, `drop_next` and `fail_for`.
"""

import base64
import hashlib
import itertools
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

from tests.standins.graph_protocol import (
    PHONE_INFO,
    Answer,
    Recorded,
    Rule,
    cursor,
    cursor_index,
    digits,
    failure,
    json_or_none,
    multipart,
)

VERSIONED = re.compile(r"^/(v\d+\.\d+)/(.+)$")
DOWNLOAD_PATH = "/whatsapp_business/attachments/"


class GraphStandIn:
    """The running stand-in: `url`, `requests`, `messages()`, `sent()`, `reset()`."""

    def __init__(self, token: str | None = None, page_size: int | None = None):
        self.token = token
        self.page_size = page_size
        self.phone_info = dict(PHONE_INFO)
        self.templates: dict[str, list[dict]] = {}
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.uploads: dict[str, dict] = {}
        self.requests: list[Recorded] = []
        self._rules: list[Rule] = []
        self._fail_for: dict[str, Rule] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget requests and scripted failures; templates and media stay."""
        with self._lock:
            self.requests.clear()
            self._rules.clear()
            self._fail_for.clear()

    def messages(self) -> list[dict]:
        """The bodies of every message send received, failed ones too, in order."""
        with self._lock:
            return [r.body for r in self.requests if _is_send(r)]

    def sent(self) -> list[dict]:
        """The bodies of the message sends answered with a wamid, in order."""
        with self._lock:
            return [r.body for r in self.requests if _is_send(r) and r.status == 200]

    def fail_next(
        self,
        code=None,
        times=1,
        status=None,
        details=None,
        endpoint="messages",
        after=0,
    ) -> None:
        """Answer the next `times` requests with Meta's error for `code`.

        Without a code, the answer is a bare HTTP `status` with an HTML body, as a
        proxy gives. `endpoint` (default "messages") picks the calls it applies to:
        "messages", "media", "media_url", "download", "templates", "upload", "phone",
        or None for any call. `after` lets that many of those calls succeed first
        (the second page of a list, say).
        """
        rule = Rule("fail", endpoint, times, code, status, details, skip=after)
        self._add_rule(rule)

    def delay_next(self, seconds: float, times=1, endpoint="messages") -> None:
        """Answer the next requests only after `seconds` (they still succeed)."""
        self._add_rule(Rule("delay", endpoint, times, seconds=seconds))

    def drop_next(self, times=1, endpoint="messages") -> None:
        """Read the next requests, then close the connection without an answer."""
        self._add_rule(Rule("drop", endpoint, times))

    def fail_for(self, to: str, code: int, status=None, details=None) -> None:
        """Fail every send to this recipient with Meta's error for `code`."""
        with self._lock:
            self._fail_for[digits(to)] = Rule("fail", None, 0, code, status, details)

    def add_templates(self, waba_id: str, templates: list[dict]) -> None:
        with self._lock:
            self.templates.setdefault(str(waba_id), []).extend(templates)

    def add_media(self, data: bytes, mime_type: str, filename: str = "") -> str:
        """Store a file as if a customer had sent it; answer its media id."""
        media_id = str(1320000000000000 + next(self._ids))
        with self._lock:
            self.media[media_id] = (data, mime_type, filename)
        return media_id

    def _add_rule(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rule(self, endpoint: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.endpoint in (None, endpoint) and rule.skip > 0:
                    rule.skip -= 1
                    return None
                if rule.endpoint in (None, endpoint):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def serve(self, request: Recorded) -> Answer:
        """The answer to one request, after any scripted behaviour."""
        endpoint, handle = self._route(request)
        request.endpoint = endpoint
        with self._lock:
            self.requests.append(request)
        rule = self._take_rule(endpoint)
        if rule and rule.action == "drop":
            return Answer(drop=True)
        if rule and rule.action == "fail":
            answer = failure(rule.code, rule.status, rule.details)
        else:
            answer = self._check_token(request) or handle(request)
        answer.delay = rule.seconds if rule and rule.action == "delay" else 0.0
        request.status, request.answer = answer.status, answer.body
        return answer

    def _route(self, request: Recorded):
        if request.path == DOWNLOAD_PATH:
            return "download", self._download
        match = VERSIONED.match(request.path)
        parts = match.group(2).split("/") if match else []
        method = request.method
        if len(parts) == 2 and method == "POST" and parts[1] in ("messages", "media"):
            return parts[1], self._send if parts[1] == "messages" else self._upload
        if len(parts) == 2 and parts[1] == "message_templates":
            return "templates", self._templates
        if len(parts) == 2 and method == "POST" and parts[1] == "uploads":
            return "upload", self._start_upload
        if len(parts) == 1 and parts[0].startswith("upload:"):
            return "upload", self._resume_upload
        if len(parts) == 1 and parts[0] in self.media:
            return "media_url", self._media_url
        if len(parts) == 1 and method == "GET":
            return "phone", self._phone
        return "unknown", lambda r: failure(100, 400, "Unknown path components")

    def _check_token(self, request: Recorded) -> Answer | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        valid = scheme in ("Bearer", "OAuth") and token
        if valid and (self.token is None or token == self.token):
            return None
        return failure(190, 401, None)

    def _send(self, request: Recorded) -> Answer:
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("messaging_product") != "whatsapp":
            return failure(100, 400, "messaging_product is required")
        if body.get("status") == "read" and body.get("message_id"):
            return Answer(body={"success": True})
        if not body.get("to") or not body.get("type"):
            return failure(100, 400, "to and type are required")
        with self._lock:
            rule = self._fail_for.get(digits(body["to"]))
        if rule:
            return failure(rule.code, rule.status, rule.details)
        return Answer(body=self._accepted(body["to"]))

    def _accepted(self, to: str) -> dict:
        serial = f"{digits(to)}:{next(self._ids):012d}:{time.time_ns()}"
        wamid = "wamid." + base64.b64encode(serial.encode()).decode()
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": digits(to)}],
            "messages": [{"id": wamid}],
        }

    def _upload(self, request: Recorded) -> Answer:
        form = multipart(request)
        file = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not isinstance(file, tuple):
            return failure(100, 400, "messaging_product and file are required")
        data, mime_type, filename = file
        return Answer(body={"id": self.add_media(data, mime_type, filename)})

    def _media_url(self, request: Recorded) -> Answer:
        media_id = request.path.rsplit("/", 1)[1]
        data, mime_type, _ = self.media[media_id]
        if request.method == "DELETE":
            with self._lock:
                self.media.pop(media_id, None)
            return Answer(body={"success": True})
        expires = int(time.time()) + 300
        query = urlencode({"mid": media_id, "ext": expires, "hash": "ARstandin"})
        return Answer(
            body={
                "messaging_product": "whatsapp",
                "url": f"{self.url}{DOWNLOAD_PATH}?{query}",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": str(len(data)),
                "id": media_id,
            }
        )

    def _download(self, request: Recorded) -> Answer:
        stored = self.media.get(request.query.get("mid", ""))
        if stored is None:
            return Answer(404, b"Not Found", "text/plain")
        return Answer(body=stored[0], content_type=stored[1])

    def _phone(self, request: Recorded) -> Answer:
        info = dict(self.phone_info, id=request.path.rsplit("/", 1)[1])
        wanted = [f for f in request.query.get("fields", "").split(",") if f]
        if wanted:
            info = {k: v for k, v in info.items() if k in wanted or k == "id"}
        return Answer(body=info)

    def _templates(self, request: Recorded) -> Answer:
        waba_id = request.path.split("/")[2]
        if request.method == "POST":
            return self._create_template(waba_id, request.body)
        if request.method == "DELETE":
            return self._delete_template(waba_id, request.query)
        return self._template_page(waba_id, request)

    def _template_page(self, waba_id: str, request: Recorded) -> Answer:
        query = request.query
        limit = int(query.get("limit", 25))
        size = min(limit, self.page_size or limit)
        start = cursor_index(query["after"]) if query.get("after") else 0
        with self._lock:
            stored = list(self.templates.get(waba_id, []))
        data = stored[start : start + size]
        if not data:
            return Answer(body={"data": []})
        end = start + len(data)
        cursors = {"before": cursor(start), "after": cursor(end)}
        paging = {"cursors": cursors}
        if end < len(stored):
            paging["next"] = self._page_link(request, after=cursors["after"])
        if start > 0:
            paging["previous"] = self._page_link(request, before=cursors["before"])
        return Answer(body={"data": data, "paging": paging})

    def _page_link(self, request: Recorded, **position) -> str:
        """A paging link on the stand-in; like Meta's, it carries the access token."""
        query = {k: v for k, v in request.query.items() if k not in ("after", "before")}
        query["access_token"] = request.headers["Authorization"].partition(" ")[2]
        query.update(position)
        return f"{self.url}{request.path}?{urlencode(query)}"

    def _create_template(self, waba_id: str, body) -> Answer:
        required = ("name", "language", "category", "components")
        if not isinstance(body, dict) or not all(body.get(k) for k in required):
            return failure(100, 400, "name, language, category and components")
        template = dict(body, id=str(1700000000000000 + next(self._ids)))
        template["status"] = "PENDING"
        self.add_templates(waba_id, [template])
        answer = {k: template[k] for k in ("id", "status", "category")}
        return Answer(body=answer)

    def _delete_template(self, waba_id: str, query: dict) -> Answer:
        def doomed(t):
            same_id = "hsm_id" not in query or t["id"] == query["hsm_id"]
            return t["name"] == query.get("name") and same_id

        with self._lock:
            stored = self.templates.get(waba_id, [])
            kept = [t for t in stored if not doomed(t)]
            self.templates[waba_id] = kept
        if len(kept) == len(stored):
            return failure(100, 400, "Message template not found")
        return Answer(body={"success": True})

    def _start_upload(self, request: Recorded) -> Answer:
        query = request.query
        if not all(query.get(k) for k in ("file_name", "file_length", "file_type")):
            return failure(100, 400, "file_name, file_length and file_type")
        session_id = "upload:" + cursor(next(self._ids))
        with self._lock:
            self.uploads[session_id] = {
                "name": query["file_name"],
                "length": int(query["file_length"]),
                "type": query["file_type"],
                "data": b"",
            }
        return Answer(body={"id": session_id})

    def _resume_upload(self, request: Recorded) -> Answer:
        session_id = request.path.rsplit("/", 1)[1]
        upload = self.uploads.get(session_id)
        if upload is None:
            return failure(100, 400, "Unknown upload session")
        if request.method == "GET":
            return Answer(
                body={"id": session_id, "file_offset": str(len(upload["data"]))}
            )
        if int(request.headers.get("file_offset", -1)) != len(upload["data"]):
            return failure(100, 400, "file_offset does not match the upload")
        upload["data"] += request.raw
        name = base64.b64encode(upload["name"].encode()).decode()
        mime = base64.b64encode(upload["type"].encode()).decode()
        upload["handle"] = f"2:{name}:{mime}:ARstandin:e:{int(time.time())}"
        return Answer(body={"h": upload["handle"]})


def _is_send(request: Recorded) -> bool:
    body = request.body
    return request.endpoint == "messages" and isinstance(body, dict) and "to" in body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    standin: GraphStandIn

    def handle_error(self, request, client_address):
        # A client that timed out closes its end; that is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve()

    do_POST = do_DELETE = do_GET

    def _serve(self):
        answer = self.server.standin.serve(self._read())
        if answer.drop:
            self.close_connection = True
            return
        if answer.delay:
            time.sleep(answer.delay)
        body = answer.encoded()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _read(self) -> Recorded:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = CaseInsensitiveDict(self.headers.items())
        body = None
        if "json" in headers.get("Content-Type", ""):
            body = json_or_none(raw)
        query = dict(parse_qsl(parts.query))
        return Recorded(
            self.command, parts.path, query, headers, raw, body, time.time()
        )


@pytest.fixture
def graph():
    """A running Graph API stand-in; point META_GRAPH_URL at `graph.url`."""
    standin = GraphStandIn()
    yield standin
    standin.close()


__all__ = ["Answer", "GraphStandIn", "Recorded", "graph"]
