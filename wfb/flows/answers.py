"""Matching a customer's reply to what a waiting node asked for."""

import math
import re

from wfb.flows import patterns
from wfb.phones import e164

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def reply_id_and_text(payload: dict) -> tuple[str | None, str]:
    """The id of a tapped button or row (if any), and the reply as text."""
    kind = payload.get("type")
    body = payload.get(kind) if isinstance(kind, str) else None
    body = body if isinstance(body, dict) else {}
    if kind == "interactive":
        sub = body.get("type")
        reply = body.get(sub) if isinstance(sub, str) else None
        body = reply if isinstance(reply, dict) else {}
        return _text(body.get("id")) or None, _text(body.get("title"))
    if kind == "button":
        return _text(body.get("payload")) or None, _text(body.get("text"))
    if kind == "text":
        return None, _text(body.get("body"))
    return None, ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def choose(options: list[dict], reply_id: str | None, text: str) -> str | None:
    """The option picked by its id, or by typing its title (case-insensitive)."""
    typed = text.strip().casefold()
    for option in options:
        if reply_id is not None and option.get("id") == reply_id:
            return option["id"]
    for option in options:
        if typed and option.get("title", "").strip().casefold() == typed:
            return option["id"]
    return None


def list_rows(data: dict) -> list[dict]:
    return [
        row for section in data.get("sections", []) for row in section.get("rows", [])
    ]


def validate_answer(data: dict, text: str, country: str):
    """The value a question saves, or None when the reply does not fit."""
    text = text.strip()
    if not text:
        return None
    rule = data.get("validate", "text")
    if rule == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() else number
    if rule == "email":
        return text.lower() if EMAIL.match(text) else None
    if rule == "phone":
        return e164(text, country)
    if rule == "regex":
        return text if patterns.fullmatch(data.get("pattern", ""), text) else None
    return text
