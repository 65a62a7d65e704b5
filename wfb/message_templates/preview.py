"""A template as WhatsApp shows it, its variables filled with their examples."""

import re

from wfb.message_templates.slots import NAMED_VARIABLE, POSITIONAL_VARIABLE

BUTTON_ICONS = {"URL": "↗", "PHONE_NUMBER": "☎"}
# What WhatsApp shows for an authentication template, whose text Meta writes.
CODE_TEXT = "123456 is your verification code."
SECURITY_TEXT = "For your security, do not share this code."


def preview_of(components, parameter_format: str = "POSITIONAL") -> dict:
    """Header, body, footer and buttons of a template, ready to show in a bubble."""
    parts = {
        str(c.get("type", "")).upper(): c
        for c in components or []
        if isinstance(c, dict)
    }
    named = (parameter_format or "").upper() == "NAMED"
    body = parts.get("BODY") or {}
    footer = parts.get("FOOTER") or {}
    if "text" not in body and body:
        return authentication_preview(body, footer, parts.get("BUTTONS"))
    return {
        "header": header_of(parts.get("HEADER"), named),
        "body": filled(text(body), examples(body, "body", named)),
        "footer": text(footer),
        "buttons": buttons_of(parts.get("BUTTONS")),
    }


def text(component: dict | None) -> str:
    value = (component or {}).get("text")
    return value if isinstance(value, str) else ""


def examples(component: dict, part: str, named: bool) -> dict[str, str]:
    """The component's example values by variable: "1", "2"... or their names."""
    example = component.get("example")
    if not isinstance(example, dict):
        return {}
    if named:
        given = example.get(f"{part}_text_named_params")
        given = given if isinstance(given, list) else []
        return {
            str(item.get("param_name")): str(item.get("example"))
            for item in given
            if isinstance(item, dict) and item.get("example") is not None
        }
    values = example.get(f"{part}_text")
    if part == "body" and isinstance(values, list) and values:
        values = values[0]
    if not isinstance(values, list):
        return {}
    return {str(n): str(value) for n, value in enumerate(values, start=1)}


def filled(template_text: str, values: dict[str, str]) -> str:
    """The text with each variable replaced by its example, or left as written."""

    def value(match: re.Match) -> str:
        return values.get(match.group(1), match.group(0))

    template_text = POSITIONAL_VARIABLE.sub(value, template_text)
    return NAMED_VARIABLE.sub(value, template_text)


def header_of(header: dict | None, named: bool) -> dict | None:
    if not header:
        return None
    header_format = str(header.get("format") or "TEXT").upper()
    if header_format != "TEXT":
        return {"format": header_format, "text": ""}
    return {
        "format": "TEXT",
        "text": filled(text(header), examples(header, "header", named)),
    }


def buttons_of(component: dict | None) -> list[dict]:
    buttons = (component or {}).get("buttons")
    shown = []
    for button in buttons if isinstance(buttons, list) else []:
        if not isinstance(button, dict):
            continue
        kind = str(button.get("type", "")).upper()
        label = button.get("text") or ("Copy code" if kind == "COPY_CODE" else "")
        detail = button.get("url") or button.get("phone_number") or ""
        shown.append(
            {
                "type": kind,
                "text": str(label),
                "detail": str(detail),
                "icon": BUTTON_ICONS.get(kind, ""),
            }
        )
    return shown


def authentication_preview(body: dict, footer: dict, buttons: dict | None) -> dict:
    lines = [CODE_TEXT]
    if body.get("add_security_recommendation"):
        lines.append(SECURITY_TEXT)
    minutes = footer.get("code_expiration_minutes")
    expiry = f"This code expires in {minutes} minutes." if minutes else ""
    shown = buttons_of(buttons)
    for button in shown:
        button["text"] = button["text"] or "Copy code"
    return {"header": None, "body": " ".join(lines), "footer": expiry, "buttons": shown}
