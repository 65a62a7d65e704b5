"""The dashboard's template form: its fields become Meta's create body, and the
problems found at places of that body go back next to the fields."""

import re

from wfb.message_templates.rules import MEDIA_FORMATS

BUTTON_ROWS = 10
SHOWN_BUTTON_ROWS = 3
HEADER_TYPES = (
    ("", "No header"),
    ("TEXT", "Text"),
    ("IMAGE", "Image"),
    ("VIDEO", "Video"),
    ("DOCUMENT", "Document (PDF)"),
    ("LOCATION", "Location"),
)
BUTTON_TYPES = (
    ("", "No button"),
    ("QUICK_REPLY", "Quick reply"),
    ("URL", "Visit website"),
    ("PHONE_NUMBER", "Call phone number"),
)
FORM_CATEGORIES = ("MARKETING", "UTILITY")
FIELDS = (
    "name",
    "language",
    "category",
    "header_type",
    "header_text",
    "header_example",
    "header_handle",
    "header_media_format",
    "header_filename",
    "body",
    "body_examples",
    "footer",
    *(
        f"button_{row}_{part}"
        for row in range(BUTTON_ROWS)
        for part in ("type", "text", "value", "example")
    ),
)


def read_form(form) -> dict[str, str]:
    """Every field of the posted form, stripped (the body keeps its inner lines)."""
    return {name: str(form.get(name, "")).strip() for name in FIELDS}


def template_body(values: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Meta's create body from the form, and the form field for each place in it."""
    places = {"name": "name", "language": "language", "category": "category"}
    components = []

    def add(component: dict, fields: dict[str, str]) -> None:
        place = f"components[{len(components)}]"
        places.update({f"{place}{suffix}": field for suffix, field in fields.items()})
        components.append(component)

    header = header_component(values)
    if header is not None:
        add(header, header_fields(values["header_type"]))
    add(
        body_component(values),
        {"": "body", ".text": "body", ".example": "body_examples"},
    )
    if values["footer"]:
        add(
            {"type": "FOOTER", "text": values["footer"]},
            {"": "footer", ".text": "footer"},
        )
    buttons, rows = button_list(values)
    if buttons:
        fields = {"": "buttons", ".buttons": "buttons"}
        for index, row in enumerate(rows):
            where = f".buttons[{index}]"
            fields.update(
                {
                    where: f"button_{row}_type",
                    f"{where}.type": f"button_{row}_type",
                    f"{where}.text": f"button_{row}_text",
                    f"{where}.url": f"button_{row}_value",
                    f"{where}.phone_number": f"button_{row}_value",
                    f"{where}.example": f"button_{row}_example",
                }
            )
        add({"type": "BUTTONS", "buttons": buttons}, fields)
    places["components"] = "body"

    body = {
        "name": values["name"],
        "language": values["language"],
        "category": values["category"],
        "components": components,
    }
    return body, places


def header_fields(header_type: str) -> dict[str, str]:
    if header_type in MEDIA_FORMATS:
        return {"": "header_type", ".format": "header_type", ".example": "header_file"}
    return {
        "": "header_type",
        ".format": "header_type",
        ".text": "header_text",
        ".example": "header_example",
    }


def header_component(values: dict[str, str]) -> dict | None:
    header_type = values["header_type"]
    if not header_type:
        return None
    header = {"type": "HEADER", "format": header_type}
    if header_type == "TEXT":
        header["text"] = values["header_text"]
        if "{{" in values["header_text"]:
            header["example"] = {"header_text": [values["header_example"]]}
    elif header_type in MEDIA_FORMATS:
        handle = values["header_handle"]
        header["example"] = {"header_handle": [handle] if handle else []}
    return header


def body_component(values: dict[str, str]) -> dict:
    body = {"type": "BODY", "text": values["body"]}
    examples = [line.strip() for line in values["body_examples"].splitlines()]
    examples = [line for line in examples if line]
    if examples or re.search(r"\{\{", values["body"]):
        body["example"] = {"body_text": [examples]}
    return body


def button_list(values: dict[str, str]) -> tuple[list[dict], list[int]]:
    """The buttons of the rows that have a type, and the row of each."""
    buttons, rows = [], []
    for row in range(BUTTON_ROWS):
        kind = values[f"button_{row}_type"]
        if not kind:
            continue
        button = {"type": kind, "text": values[f"button_{row}_text"]}
        value = values[f"button_{row}_value"]
        if kind == "URL":
            button["url"] = value
            if "{{" in value:
                button["example"] = [values[f"button_{row}_example"]]
        elif kind == "PHONE_NUMBER":
            button["phone_number"] = value
        buttons.append(button)
        rows.append(row)
    return buttons, rows


def field_problems(problems: dict, places: dict[str, str]) -> dict[str, str]:
    """Each form field's first problem, from problems by place in the body."""
    errors = {}
    for place, messages in problems.items():
        field = field_at(place, places)
        errors.setdefault(field, messages[0])
    return errors


def field_at(place: str, places: dict[str, str]) -> str:
    """The field of the longest known place that `place` starts with."""
    while place not in places:
        shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", place)
        if shorter == place:
            return "form"
        place = shorter
    return places[place]
