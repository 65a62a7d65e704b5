"""Request bodies for `POST /{phone_number_id}/messages`, exactly as Meta expects them.

`to` is a phone number in E.164 with its `+`. Texts longer than Meta allows are cut
(ending in "…") rather than sent to be rejected, so a customer still gets the message.
"""

MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
CAPTIONED = ("image", "video", "document")

MAX_BUTTONS = 3
MAX_ROWS = 10
MAX_SECTIONS = 10
BUTTON_TITLE = 20
BUTTONS_BODY = 1024
LIST_BODY = 4096
LIST_BUTTON = 20
HEADER_TEXT = 60
FOOTER_TEXT = 60
SECTION_TITLE = 24
ROW_TITLE = 24
ROW_DESCRIPTION = 72
TEXT_BODY = 4096


def _cut(value: str, limit: int) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _envelope(to: str, kind: str, content: dict) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def text(to: str, body: str, preview_url: bool = False) -> dict:
    return _envelope(
        to, "text", {"preview_url": preview_url, "body": _cut(body, TEXT_BODY)}
    )


def _header(header) -> dict:
    """A text header from a string; a dict (a media header) is passed through."""
    if isinstance(header, dict):
        return header
    return {"type": "text", "text": _cut(header, HEADER_TEXT)}


def _interactive(kind, body, action, header, footer, body_limit) -> dict:
    content = {"type": kind}
    if header:
        content["header"] = _header(header)
    content["body"] = {"text": _cut(body, body_limit)}
    if footer:
        content["footer"] = {"text": _cut(footer, FOOTER_TEXT)}
    content["action"] = action
    return content


def buttons(to: str, body: str, buttons: list[dict], header=None, footer=None) -> dict:
    """Reply buttons; `buttons` is a list of {"id", "title"}."""
    # Limitation: buttons beyond the third are dropped, as Meta rejects a fourth.
    replies = [
        {
            "type": "reply",
            "reply": {"id": str(b["id"]), "title": _cut(b["title"], BUTTON_TITLE)},
        }
        for b in buttons[:MAX_BUTTONS]
    ]
    action = {"buttons": replies}
    content = _interactive("button", body, action, header, footer, BUTTONS_BODY)
    return _envelope(to, "interactive", content)


def _row(row: dict) -> dict:
    built = {"id": str(row["id"]), "title": _cut(row["title"], ROW_TITLE)}
    if row.get("description"):
        built["description"] = _cut(row["description"], ROW_DESCRIPTION)
    return built


def _sections(sections: list[dict]) -> list[dict]:
    # Limitation: rows beyond the tenth (counted across sections) are dropped, as
    # Meta rejects a list with more.
    built, room = [], MAX_ROWS
    for section in sections[:MAX_SECTIONS]:
        rows = [_row(r) for r in section.get("rows", [])[:room]]
        if not rows:
            continue
        room -= len(rows)
        entry = {"rows": rows}
        if section.get("title"):
            entry = {"title": _cut(section["title"], SECTION_TITLE), "rows": rows}
        built.append(entry)
    return built


def list_message(
    to: str, body: str, button: str, sections: list[dict], header=None, footer=None
) -> dict:
    """A list: `sections` is [{"title", "rows": [{"id", "title", "description"}]}]."""
    action = {"button": _cut(button, LIST_BUTTON), "sections": _sections(sections)}
    content = _interactive("list", body, action, header, footer, LIST_BODY)
    return _envelope(to, "interactive", content)


def media(
    to: str,
    kind: str,
    link: str | None = None,
    media_id: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
) -> dict:
    """An image, video, audio, document or sticker, by uploaded id or public link."""
    if kind not in MEDIA_KINDS:
        raise ValueError(f"Unknown media kind {kind!r}")
    if bool(link) == bool(media_id):
        raise ValueError("Give exactly one of link or media_id")
    content = {"id": str(media_id)} if media_id else {"link": link}
    if filename and kind == "document":
        content["filename"] = filename
    if caption and kind in CAPTIONED:
        content["caption"] = _cut(caption, TEXT_BODY)
    return _envelope(to, kind, content)


def template(
    to: str,
    name: str,
    language: str,
    components: list[dict] | None = None,
    callback_data: str | None = None,
) -> dict:
    """An approved template; `callback_data` comes back in its status webhooks."""
    content = {"name": name, "language": {"code": language, "policy": "deterministic"}}
    if components:
        content["components"] = components
    payload = _envelope(to, "template", content)
    if callback_data:
        payload["biz_opaque_callback_data"] = callback_data
    return payload


def mark_read(wamid: str, typing: bool = False) -> dict:
    """Mark a received message read, optionally showing a typing indicator."""
    payload = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        payload["typing_indicator"] = {"type": "text"}
    return payload


def preview(payload: dict) -> str:
    """A short readable copy of an outbound payload, for the conversation's history."""
    kind = payload.get("type", "")
    content = payload.get(kind) or {}
    if kind == "text":
        return content.get("body", "")
    if kind == "interactive":
        return (content.get("body") or {}).get("text", "")
    if kind == "template":
        return f"[template {content.get('name', '')}]"
    if kind in MEDIA_KINDS:
        if content.get("caption"):
            return content["caption"]
        if content.get("filename"):
            return f"[{kind} {content['filename']}]"
    return f"[{kind}]" if kind else ""
