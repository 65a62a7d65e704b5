"""What each node type's `data` must hold, with WhatsApp's own limits (section 5).

Limits follow Meta's Cloud API: message text 4096 characters, reply-button body 1024,
button titles 20, list label 20, section and row titles 24, row description 72, header
and footer 60, ten list rows in all.
"""

import re
from urllib.parse import urlsplit

from wfb.flows import patterns

NODE_TYPES = (
    "start",
    "message",
    "buttons",
    "list",
    "question",
    "condition",
    "set",
    "assign",
    "ai_bot",
    "webhook",
    "template",
    "delay",
    "end",
)
# Nodes that stop and wait for the customer's reply.
WAITING_TYPES = frozenset({"buttons", "list", "question"})
TEXT_LIMIT = 4096
BUTTON_TEXT_LIMIT = 1024
CAPTION_LIMIT = 1024
MEDIA_TYPES = ("image", "video", "document", "audio")
VALIDATORS = ("text", "number", "email", "phone", "regex")
OPERATORS = ("eq", "ne", "contains", "gt", "lt", "exists", "matches")
METHODS = ("GET", "POST", "PUT", "PATCH")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
VARIABLE = re.compile(
    r"vars\.[A-Za-z_][A-Za-z0-9_]*|contact\.(name|phone|tags)"
    r"|contact\.attributes\.[A-Za-z0-9_-]+"
)
FALLBACK = "fallback"


class _Data:
    """Reads one node's data and records a (rule, message) per broken rule."""

    def __init__(self, node_id: str, data: dict):
        self.node = f"node '{node_id}'"
        self.data = data
        self.found: list[tuple[str, str]] = []

    def fail(self, rule: str, message: str) -> None:
        self.found.append((rule, message))

    def label(self, key: str) -> str:
        return f"The '{key}' of {self.node}"

    def text(self, key, limit, required=True, source=None, label=None):
        """A non-empty string of at most `limit` characters, or None."""
        value = (self.data if source is None else source).get(key)
        label = label or self.label(key)
        if value is None:
            if required:
                self.fail("required", f"{label} is missing.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail("type", f"{label} must be non-empty text.")
            return None
        if len(value) > limit:
            message = f"{label} has {len(value)} characters; at most {limit} allowed."
            self.fail("length", message)
        return value

    def choice(self, key, options, default=None):
        value = self.data.get(key, default)
        if value not in options:
            self.fail(
                "choice", f"{self.label(key)} must be one of {', '.join(options)}."
            )
            return None
        return value

    def identifier(self, key, required=True):
        value = self.data.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
            message = f"{self.label(key)} must be a name of letters, digits and _."
            self.fail("identifier", message)

    def pattern(self, key):
        if self.text(key, TEXT_LIMIT) is not None and not patterns.compiles(
            self.data[key]
        ):
            self.fail("regex", f"{self.label(key)} is not a valid regex.")

    def integer(self, key, low, high):
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("type", f"{self.label(key)} must be a whole number.")
        elif not low <= value <= high:
            self.fail("range", f"{self.label(key)} must be from {low} to {high}.")

    def mapping(self, key, required=False):
        value = self.data.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail("type", f"{self.label(key)} must be an object.")
            return {}
        return value

    def strings(self, key):
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            self.fail("type", f"{self.label(key)} must be a list of non-empty texts.")
            return []
        return value


def check_node_data(node_id: str, kind: str, data: dict) -> list[tuple[str, str]]:
    """The (rule, message) pairs for each rule the data of a `kind` node breaks."""
    reader = _Data(node_id, data)
    check = RULES.get(kind)
    if check is not None:
        check(reader)
    return reader.found


def _message(d: _Data) -> None:
    if "text" not in d.data and "media" not in d.data:
        d.fail("required", f"The {d.node} needs a 'text', a 'media' or both.")
    d.text("text", TEXT_LIMIT, required=False)
    if "media" in d.data:
        _media(d, d.mapping("media", required=True))


def _media(d: _Data, media: dict) -> None:
    if media and media.get("type") not in MEDIA_TYPES:
        message = f"The media type of {d.node} must be one of {', '.join(MEDIA_TYPES)}."
        d.fail("choice", message)
    sources = [key for key in ("link", "id") if media.get(key)]
    if media and len(sources) != 1:
        d.fail("media", f"The media of {d.node} needs exactly one of 'link' or 'id'.")
    if media.get("link") and not _is_http_url(media["link"]):
        d.fail("url", f"The media link of {d.node} must be an http(s) URL.")
    if "caption" in media:
        d.text("caption", CAPTION_LIMIT, source=media, label=f"The caption of {d.node}")
        if media.get("type") == "audio":
            d.fail("media", f"WhatsApp sends audio without a caption ({d.node}).")


def _buttons(d: _Data) -> None:
    d.text("text", BUTTON_TEXT_LIMIT)
    _optional_texts(d, header=60, footer=60, retry_text=BUTTON_TEXT_LIMIT)
    buttons = d.data.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        count = len(buttons) if isinstance(buttons, list) else 0
        d.fail("count", f"The {d.node} has {count} buttons; it needs 1 to 3.")
        buttons = buttons[:3] if isinstance(buttons, list) else []
    _choices(d, buttons, "Button", id_limit=256, title_limit=20)
    # A customer may type a title instead of tapping, so titles differ in any case.
    titles = [b["title"].casefold() for b in buttons if _has_text(b, "title")]
    if len(set(titles)) < len(titles):
        d.fail("unique", f"Two buttons of {d.node} have the same title.")


def _list(d: _Data) -> None:
    d.text("text", TEXT_LIMIT)
    d.text("button", 20)
    _optional_texts(d, header=60, footer=60, retry_text=TEXT_LIMIT)
    sections = d.data.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        d.fail("count", f"The {d.node} needs 1 to 10 sections.")
        return
    rows = []
    for number, section in enumerate(sections, start=1):
        section = section if isinstance(section, dict) else {}
        label = f"The title of section {number} of {d.node}"
        d.text("title", 24, required=len(sections) > 1, source=section, label=label)
        section_rows = section.get("rows")
        if not isinstance(section_rows, list) or not section_rows:
            d.fail("count", f"Section {number} of {d.node} needs at least one row.")
            continue
        rows += section_rows
    if len(rows) > 10:
        d.fail("count", f"The {d.node} has {len(rows)} rows; at most 10 are allowed.")
    _choices(d, rows, "Row", id_limit=200, title_limit=24)
    for row in rows:
        if isinstance(row, dict) and "description" in row:
            label = f"The description of row '{row.get('id')}' of {d.node}"
            d.text("description", 72, source=row, label=label)


def _choices(d: _Data, items: list, noun: str, id_limit: int, title_limit: int):
    """Buttons or rows: each an object with a unique id and a title."""
    seen = set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            d.fail("type", f"{noun} {number} of {d.node} must be an object.")
            continue
        label = f"The id of {noun.lower()} {number} of {d.node}"
        item_id = d.text("id", id_limit, source=item, label=label)
        if item_id == FALLBACK:
            d.fail("reserved", f"{label} cannot be 'fallback', the no-match exit.")
        elif item_id is not None and item_id in seen:
            d.fail(
                "unique", f"Two {noun.lower()}s of {d.node} have the id '{item_id}'."
            )
        seen.add(item_id)
        name = f"'{item_id}'" if item_id else str(number)
        label = f"The title of {noun.lower()} {name} of {d.node}"
        d.text("title", title_limit, source=item, label=label)


def _optional_texts(d: _Data, **limits: int) -> None:
    for key, limit in limits.items():
        d.text(key, limit, required=False)


def _question(d: _Data) -> None:
    d.text("text", TEXT_LIMIT)
    d.identifier("save_as")
    if d.choice("validate", VALIDATORS, default="text") == "regex":
        d.pattern("pattern")
    d.text("retry_text", TEXT_LIMIT, required=False)


def _condition(d: _Data) -> None:
    variable = d.data.get("variable")
    if not isinstance(variable, str) or not VARIABLE.fullmatch(variable):
        message = (
            f"The variable of {d.node} must be vars.X, contact.name, contact.phone, "
            "contact.attributes.X or contact.tags."
        )
        d.fail("variable", message)
    operator = d.choice("operator", OPERATORS)
    if operator in (None, "exists"):
        return
    value = d.data.get("value")
    if value is None or isinstance(value, (dict, list)):
        d.fail("required", f"The {d.node} needs a 'value' to compare with.")
    elif operator in ("gt", "lt") and not _is_number(value):
        d.fail("type", f"The value of {d.node} must be a number for '{operator}'.")
    elif operator == "matches" and not patterns.compiles(value):
        d.fail("regex", f"The value of {d.node} is not a valid regex.")


def _set(d: _Data) -> None:
    for key in ("vars", "attributes"):
        for name, value in d.mapping(key).items():
            if key == "vars" and not IDENTIFIER.fullmatch(name):
                d.fail("identifier", f"'{name}' in 'vars' of {d.node} is not a name.")
            if isinstance(value, (dict, list)):
                d.fail(
                    "type", f"'{name}' in '{key}' of {d.node} must be a plain value."
                )
    d.strings("add_tags")
    d.strings("remove_tags")


def _assign(d: _Data) -> None:
    has_strategy, has_member = "strategy" in d.data, "member_id" in d.data
    if has_strategy == has_member:
        d.fail("required", f"The {d.node} needs either 'strategy' or 'member_id'.")
    elif has_strategy:
        d.choice("strategy", ("round_robin",))
    else:
        d.integer("member_id", 1, 2**31 - 1)


def _webhook(d: _Data) -> None:
    url = d.text("url", 2048)
    if url is not None and not _is_http_url(url):
        d.fail("url", f"The url of {d.node} must be an http(s) URL.")
    d.choice("method", METHODS, default="POST")
    headers = d.mapping("headers")
    if not all(isinstance(v, str) for v in headers.values()):
        d.fail("type", f"Every header of {d.node} must be text.")
    d.identifier("save_as", required=False)


def _template(d: _Data) -> None:
    d.text("name", 512)
    d.text("language", 20)
    parameters = d.data.get("parameters", [])
    if not isinstance(parameters, list) or not all(
        isinstance(p, (str, int, float)) and not isinstance(p, bool) for p in parameters
    ):
        d.fail("type", f"The parameters of {d.node} must be a list of texts.")
    d.mapping("header")
    d.strings("buttons")


def _has_text(item, key: str) -> bool:
    return isinstance(item, dict) and isinstance(item.get(key), str)


def _is_http_url(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.netloc)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


RULES = {
    "message": _message,
    "buttons": _buttons,
    "list": _list,
    "question": _question,
    "condition": _condition,
    "set": _set,
    "assign": _assign,
    "ai_bot": lambda d: d.integer("bot_id", 1, 2**31 - 1),
    "webhook": _webhook,
    "template": _template,
    "delay": lambda d: d.integer("seconds", 1, 86400),
}
