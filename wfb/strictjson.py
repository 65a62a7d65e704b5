"""JSON as WFB takes it from outside: standard JSON whose texts every database stores.

Python's `json` also reads NaN and Infinity, which are not JSON, and texts holding a
lone UTF-16 surrogate ("\\ud800") or NUL ("\\u0000"), which PostgreSQL refuses and
which cannot be written out as UTF-8. All of them are refused here as malformed, in
one place, before anything is stored.
"""

import json


class Refused(json.JSONDecodeError):
    """Well-formed text that is still refused: `msg` says what it holds."""

    def __init__(self, message: str):
        # A parser may read an empty `doc` as an empty body: name the problem there.
        super().__init__(message, message, 0)


def loads(text: str | bytes):
    """Parse `text`; a `json.JSONDecodeError` (a ValueError) says what was wrong."""
    value = json.loads(text, parse_constant=_not_json)
    _check_texts(value)
    return value


def _not_json(name: str):
    raise Refused(f"{name} is not a JSON value")


def _check_texts(value) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Refused("a text holds a NUL character (\\u0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        message = "a text holds a lone UTF-16 surrogate, which is not a character"
        raise Refused(message) from None
