"""The editor's form for each node type: a node's `data` shown as form fields, a posted
form read back into `data`, and the validator's problems placed next to the fields they
are about. The types and their fields are in `node_kinds`.
"""

import re

from wfb import strictjson
from wfb.flows.node_kinds import (
    WRITES,
    Field,
    FormError,
    kind_of,
)

ITEM = re.compile(r"(id|title|description) of (button|row) (?:(\d+)|'([^']*)')")
TWICE = re.compile(r"Two (button|row)s of .* have the id '([^']*)'")
SECTION = re.compile(r"(title of s|S)ection (\d+)")
ROW_KEYS = ("id", "title", "description")
WHOLE_NUMBER = re.compile(r"-?\d{1,11}")


def posted_node(raw: str) -> dict:
    """A node as the canvas posts it (JSON), checked enough to build its form."""
    try:
        node = strictjson.loads(raw)
    except ValueError:
        raise FormError("The node is not valid JSON.") from None
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        raise FormError("A node needs an id.")
    kind_of(node.get("type"))
    data = node.get("data", {})
    if not isinstance(data, dict):
        raise FormError(f"The data of node '{node['id']}' must be an object.")
    return {"id": node["id"], "type": node["type"], "data": data}


def hidden_extra(kind: str, data: dict) -> dict:
    """The keys of the data that the form of a `kind` node does not show, kept as
    they are when the form is read back."""
    shown = set()
    for item in kind_of(kind).fields:
        shown |= WRITES.get(item.widget, {item.name})
    return {key: value for key, value in data.items() if key not in shown}


# Data into form values


def form_values(kind: str, data: dict) -> dict:
    """The form's value for each field of a `kind` node with this data."""
    return {item.name: _shown(item, data) for item in kind_of(kind).fields}


def _shown(item: Field, data: dict):
    value = data.get(item.name)
    match item.widget:
        case "media":
            media = data["media"] if isinstance(data.get("media"), dict) else {}
            source = media.get("link") or media.get("id")
            return {key: _plain(value) for key, value in
                    (("type", media.get("type")), ("source", source),
                     ("caption", media.get("caption")))}  # fmt: skip
        case "assignee":
            return _plain(data.get("member_id", data.get("strategy")))
        case "buttons":
            return [_strings(button, ("id", "title")) for button in _listed(value)]
        case "sections":
            return [
                {
                    "title": _plain(section.get("title")),
                    "rows": [
                        _strings(row, ROW_KEYS) for row in _listed(section.get("rows"))
                    ],
                }
                for section in _listed(value)
            ]
        case "lines" | "tags" if isinstance(value, list):
            return ("\n" if item.widget == "lines" else ", ").join(map(str, value))
        case "pairs" if isinstance(value, dict):
            separator = ": " if item.name == "headers" else " = "
            return "\n".join(f"{key}{separator}{text}" for key, text in value.items())
    return _plain(value)


def _plain(value) -> str:
    return "" if value is None else str(value)


def _listed(value) -> list[dict]:
    """The objects of a list; anything else in it shows as an empty item."""
    items = value if isinstance(value, list) else []
    return [item if isinstance(item, dict) else {} for item in items]


def _strings(item: dict, keys) -> dict:
    return {key: _plain(item.get(key)) for key in keys}


# A posted form into data


def parse_form(kind: str, form, extra: dict | None = None) -> dict:
    """The data of a `kind` node from a posted form, over `extra` (the keys of its
    data that the form does not show), then with the form's `op` applied."""
    data = hidden_extra(kind, extra or {})
    for item in kind_of(kind).fields:
        if item.applies(form):
            data.update(READ.get(item.widget, _read_value)(item, form))
    apply_op(data, form.get("op", ""))
    return data


def _read_value(item: Field, form) -> dict:
    value = form.get(item.name, "")
    value = value.rstrip() if item.widget == "textarea" else value.strip()
    if not value.strip() and not item.required:
        return {}
    if item.widget == "integer" and WHOLE_NUMBER.fullmatch(value):
        return {item.name: int(value)}
    # Anything else is kept as written, so that the validator says what is wrong.
    return {item.name: value}


def _read_list(item: Field, form) -> dict:
    raw = form.get(item.name, "")
    parts = raw.splitlines() if item.widget == "lines" else raw.split(",")
    values = [part.strip() for part in parts if part.strip()]
    return {item.name: values} if values else {}


def _read_pairs(item: Field, form) -> dict:
    separator = ":" if item.name == "headers" else "="
    pairs = {}
    for line in form.get(item.name, "").splitlines():
        name, _, value = line.partition(separator)
        if name.strip():
            pairs[name.strip()] = value.strip()
    return {item.name: pairs} if pairs else {}


def _read_media(_item: Field, form) -> dict:
    kind, source, caption = (
        form.get(f"media_{key}", "").strip() for key in ("type", "source", "caption")
    )
    if not (kind or source or caption):
        return {}
    media = {"type": kind} if kind else {}
    if source:
        media["link" if "://" in source else "id"] = source
    if caption:
        media["caption"] = caption
    return {"media": media}


def _read_assignee(_item: Field, form) -> dict:
    value = form.get("assignee", "").strip()
    if value == "round_robin":
        return {"strategy": value}
    return {"member_id": int(value)} if WHOLE_NUMBER.fullmatch(value) else {}


def _read_buttons(_item: Field, form) -> dict:
    return {
        "buttons": [
            _read_item(form, f"buttons-{n}-") for n in _numbers(form, "buttons")
        ]
    }


def _read_sections(_item: Field, form) -> dict:
    sections = []
    for number in _numbers(form, "sections"):
        prefix = f"sections-{number}-"
        section = {"title": form.get(prefix + "title", "").strip()}
        if not section["title"]:
            del section["title"]
        rows = _numbers(form, prefix + "rows")
        section["rows"] = [_read_item(form, f"{prefix}rows-{n}-") for n in rows]
        sections.append(section)
    return {"sections": sections}


def _read_item(form, prefix: str) -> dict:
    item = {key: form.get(prefix + key, "").strip() for key in ROW_KEYS[:2]}
    if description := form.get(prefix + "description", "").strip():
        item["description"] = description
    return item


def _numbers(form, prefix: str) -> list[int]:
    """The item numbers the form has under `prefix` (`prefix-0-...`), in order."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,3}})-[a-z]+")
    return sorted(
        {int(match[1]) for name in form if (match := pattern.fullmatch(name))}
    )


READ = {
    "lines": _read_list,
    "tags": _read_list,
    "pairs": _read_pairs,
    "media": _read_media,
    "assignee": _read_assignee,
    "buttons": _read_buttons,
    "sections": _read_sections,
}


# The form's add and remove buttons


def apply_op(data: dict, op: str) -> None:
    """Apply one `op` of the form (`add-button`, `remove-row:0-2`, ...) to the data."""
    verb, _, where = op.partition(":")
    at = [int(part) for part in where.split("-") if part.isdecimal()]
    buttons, sections = data.get("buttons"), data.get("sections")
    if verb == "add-button" and isinstance(buttons, list):
        buttons.append({"id": _unused("button", buttons), "title": ""})
    elif verb == "remove-button" and isinstance(buttons, list) and len(at) == 1:
        _pop(buttons, at[0])
    elif verb == "add-section" and isinstance(sections, list):
        sections.append({"title": "", "rows": [_new_row(sections)]})
    elif verb == "remove-section" and isinstance(sections, list) and len(at) == 1:
        _pop(sections, at[0])
    elif verb in ("add-row", "remove-row") and isinstance(sections, list) and at:
        rows = sections[at[0]]["rows"] if at[0] < len(sections) else None
        if rows is not None and verb == "add-row":
            rows.append(_new_row(sections))
        elif rows is not None and len(at) == 2:
            _pop(rows, at[1])


def _pop(items: list, index: int) -> None:
    if 0 <= index < len(items):
        items.pop(index)


def _new_row(sections: list) -> dict:
    rows = [row for section in sections for row in section.get("rows", [])]
    return {"id": _unused("row", rows), "title": ""}


def _unused(prefix: str, items: list) -> str:
    """The first of prefix_1, prefix_2, ... that no item has as its id."""
    taken = {item.get("id") for item in items if isinstance(item, dict)}
    number = 1
    while f"{prefix}_{number}" in taken:
        number += 1
    return f"{prefix}_{number}"


# The validator's problems next to their fields


def field_errors(kind: str, node_id: str, data: dict, problems) -> tuple[dict, list]:
    """Each field's first problem by field name, and the problems of no one field.

    `problems` are the (rule, message) pairs of `check_node_data`.
    """
    errors, general = {}, []
    for _rule, message in problems:
        # The node's own id could look like a field; leave it out of the search.
        text = message.replace(f"node '{node_id}'", "node")
        name = _item_field(text, data) or _plain_field(kind, text)
        if name is None:
            general.append(message)
        else:
            errors.setdefault(name, message)
    return errors, general


def _plain_field(kind: str, text: str) -> str | None:
    if match := SECTION.search(text):
        title = "-title" if match[1].startswith("title") else ""
        return f"sections-{int(match[2]) - 1}{title}"
    for item in kind_of(kind).fields:
        if item.names_problem(text):
            return item.name
    return "media" if "media" in text or "caption" in text else None


def _item_field(text: str, data: dict) -> str | None:
    """The field of a button or row that a message is about, as `buttons-0-title`."""
    match, twice = ITEM.search(text), TWICE.search(text)
    if match:
        part, noun, number, item_id = match.groups()
    elif twice:
        part, number, (noun, item_id) = "id", None, twice.groups()
    elif "buttons; it needs" in text or "same title" in text:
        return "buttons"
    else:
        return "sections" if "rows; at most" in text else None
    places = _places(data, noun)
    ids = [found for _prefix, found in places]
    if number:
        index = int(number) - 1
    elif twice and ids.count(item_id) > 1:
        # Two items share an id: the second one is the one to change.
        index = ids.index(item_id, ids.index(item_id) + 1)
    else:
        index = ids.index(item_id) if item_id in ids else -1
    if not 0 <= index < len(places):
        return "buttons" if noun == "button" else "sections"
    return f"{places[index][0]}-{part}"


def _places(data: dict, noun: str) -> list[tuple[str, object]]:
    """Each button's or row's field prefix and id, in the validator's order."""
    if noun == "button":
        buttons = data.get("buttons") if isinstance(data.get("buttons"), list) else []
        return [(f"buttons-{i}", _item_id(b)) for i, b in enumerate(buttons)]
    sections = data.get("sections") if isinstance(data.get("sections"), list) else []
    return [
        (f"sections-{s}-rows-{r}", _item_id(row))
        for s, section in enumerate(sections)
        if isinstance(section, dict) and isinstance(section.get("rows"), list)
        for r, row in enumerate(section["rows"])
    ]


def _item_id(item) -> object:
    return item.get("id") if isinstance(item, dict) else None
