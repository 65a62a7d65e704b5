"""Matching a customer's reply to what a waiting node asked for."""

import re

from wfb.phones import e164

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def reply_id_and_text(payload: dict) -> tuple[str | None, str]:
    """The id of a tapped button or row (if any), and the reply as text."""
    kind = payload.get("type")
    if kind == "interactive":
        body = payload.get("interactive") or {}
        reply = body.get(body.get("type")) or {}
        return reply.get("id"), reply.get("title", "")
    if kind == "button":
        button = payload.get("button") or {}
        return button.get("payload"), button.get("text", "")
    if kind == "text":
        return None, (payload.get("text") or {}).get("body", "")
    return None, ""


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
        return int(number) if number.is_integer() else number
    if rule == "email":
        return text.lower() if EMAIL.match(text) else None
    if rule == "phone":
        return e164(text, country)
    if rule == "regex":
        return text if re.fullmatch(data.get("pattern", ""), text) else None
    return text
