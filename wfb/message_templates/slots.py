"""What a stored template asks for when it is sent: the values each part needs."""

import re
from dataclasses import dataclass

from wfb.message_templates.models import MessageTemplate

POSITIONAL_VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAMED_VARIABLE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
HEADER_FORMATS = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")


@dataclass(frozen=True)
class Slots:
    """The values a send of a template must carry.

    `body` counts the body's variables: for POSITIONAL templates the highest {{n}},
    for NAMED ones the distinct names, which `body_names` lists in their first order.
    `url_buttons` counts the URL buttons whose address ends in a variable, in order.
    """

    body: int = 0
    body_names: tuple[str, ...] = ()
    header: str | None = None
    header_text_params: int = 0
    header_names: tuple[str, ...] = ()
    url_buttons: int = 0
    quick_replies: int = 0


def slots(template: MessageTemplate) -> Slots:
    """The slots of a stored template, read from its components."""
    named = (template.parameter_format or "").upper() == "NAMED"
    components = {
        str(component.get("type", "")).upper(): component
        for component in template.components or []
        if isinstance(component, dict)
    }
    body_text = text_of(components.get("BODY"))
    header = components.get("HEADER")
    header_format = header_format_of(header)
    header_text = text_of(header) if header_format == "TEXT" else ""
    buttons = buttons_of(components.get("BUTTONS"))

    body_names = names_in(body_text) if named else ()
    header_names = names_in(header_text) if named else ()
    return Slots(
        body=len(body_names) if named else highest_number(body_text),
        body_names=body_names,
        header=header_format,
        header_text_params=(
            len(header_names) if named else highest_number(header_text)
        ),
        header_names=header_names,
        url_buttons=sum(
            1
            for button in buttons
            if button.get("type") == "URL" and "{{" in str(button.get("url", ""))
        ),
        quick_replies=sum(1 for b in buttons if b.get("type") == "QUICK_REPLY"),
    )


def text_of(component: dict | None) -> str:
    if not component or not isinstance(component.get("text"), str):
        return ""
    return component["text"]


def header_format_of(header: dict | None) -> str | None:
    if not header:
        return None
    header_format = str(header.get("format") or "TEXT").upper()
    return header_format if header_format in HEADER_FORMATS else None


def buttons_of(component: dict | None) -> list[dict]:
    if not component or not isinstance(component.get("buttons"), list):
        return []
    return [
        {**button, "type": str(button.get("type", "")).upper()}
        for button in component["buttons"]
        if isinstance(button, dict)
    ]


def highest_number(text: str) -> int:
    return max((int(n) for n in POSITIONAL_VARIABLE.findall(text)), default=0)


def names_in(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(NAMED_VARIABLE.findall(text)))
