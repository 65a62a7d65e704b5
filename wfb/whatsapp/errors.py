"""Errors from Meta's Graph API, classified by what the product should do next.

Meta asks callers to key on the error `code`, not on the HTTP status, so the kind comes
from the code; only an answer without a code (a proxy's 429 or 5xx) falls back to the
status.
"""

RETRY = "retry"
WINDOW = "window"
TEMPLATE = "template"
AUTH = "auth"
RECIPIENT = "recipient"
UNKNOWN = "unknown"

# Throttling (130429, 131056, 80007, 4) and temporary trouble on Meta's side.
RETRY_CODES = frozenset({130429, 131056, 80007, 4, 131000, 131016, 1, 2, 131057})
WINDOW_CODES = frozenset({131047})
TEMPLATE_CODES = frozenset({132000, 132001, 132005, 132007, 132012, 132015, 132016})
AUTH_CODES = frozenset({0, 10, 190, *range(200, 300)})


def classify(code: int | None, http_status: int | None) -> str:
    """The kind of a Graph error: retry, window, template, auth or recipient."""
    if code in RETRY_CODES or http_status == 429:
        return RETRY
    if code is None:
        return _classify_status(http_status)
    if code in WINDOW_CODES:
        return WINDOW
    if code in TEMPLATE_CODES:
        return TEMPLATE
    if code in AUTH_CODES:
        return AUTH
    return RECIPIENT


def _classify_status(http_status: int | None) -> str:
    if http_status is not None and http_status >= 500:
        return RETRY
    if http_status in (401, 403):
        return AUTH
    return RECIPIENT


class GraphError(Exception):
    """Meta refused a call; `kind` says whether to retry, stop or fail one recipient."""

    def __init__(
        self,
        title: str,
        code: int | None = None,
        details: str = "",
        http_status: int | None = None,
        kind: str | None = None,
        subcode: int | None = None,
    ):
        super().__init__(title)
        self.title = title
        self.code = code
        self.details = details
        self.http_status = http_status
        self.subcode = subcode
        self.kind = kind or classify(code, http_status)

    def __str__(self) -> str:
        where = f"code {self.code}" if self.code is not None else "no code"
        if self.http_status is not None:
            where += f", HTTP {self.http_status}"
        text = f"{self.title} ({where}, {self.kind})"
        return f"{text}: {self.details}" if self.details else text

    @property
    def retryable(self) -> bool:
        return self.kind == RETRY


class GraphTimeout(GraphError):
    """The request went out but no usable answer came back: it may have been sent.

    The caller marks the message `unknown` and never sends it again.
    """

    def __init__(self, title: str, http_status: int | None = None):
        super().__init__(title, http_status=http_status, kind=UNKNOWN)


class GraphUnavailable(GraphError):
    """No connection could be made, so nothing was sent and a retry is safe."""

    def __init__(self, title: str):
        super().__init__(title, kind=RETRY)


def error_from_body(http_status: int, body) -> GraphError:
    """The GraphError for a non-2xx answer, from Meta's `{"error": {...}}` body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(
            f"Graph API answered HTTP {http_status}", None, "", http_status
        )
    code = error.get("code")
    data = error.get("error_data")
    details = data.get("details", "") if isinstance(data, dict) else ""
    subcode = error.get("error_subcode")
    return GraphError(
        error.get("message") or f"Graph API answered HTTP {http_status}",
        code=code if isinstance(code, int) else None,
        details=details or error.get("error_user_msg") or "",
        http_status=http_status,
        subcode=subcode if isinstance(subcode, int) else None,
    )
