"""The node types as the editor shows them: each type's label, summary, default data
and form fields, in the order the form shows them (design, section 5). A field's widget
says how its value is shown and read; the widgets in `PARTS` are whole sub-forms
(media, the assignee, buttons, list sections) with a template of their own.
"""

from dataclasses import dataclass, field

from wfb.flows.node_rules import (
    BUTTON_TEXT_LIMIT,
    CAPTION_LIMIT,
    MEDIA_TYPES,
    METHODS,
    OPERATORS,
    TEXT_LIMIT,
    VALIDATORS,
)

PARTS = ("media", "assignee", "buttons", "sections")
OPERATOR_NAMES = dict(zip(OPERATORS, (
    "equals", "does not equal", "contains", "is greater than", "is less than",
    "has a value", "matches the regex",
), strict=True))  # fmt: skip
VALIDATOR_NAMES = dict(zip(VALIDATORS, (
    "Any text", "A number", "An email", "A phone number", "Text matching a regex",
), strict=True))  # fmt: skip
MEDIA_OPTIONS = (("", "No media"), *((kind, kind.title()) for kind in MEDIA_TYPES))


@dataclass(frozen=True)
class Field:
    """One form field; `name` is also its data key, except for the parts."""

    name: str
    label: str
    widget: str = "text"
    options: tuple = ()
    hint: str = ""
    limit: int | None = None
    # Keep an empty value, so that the validator says the field is needed.
    required: bool = False
    # Fragments of the validator's messages that are about this field.
    markers: tuple[str, ...] = ()
    # (field, values): shown and read only while that field has one of the values.
    only_if: tuple = ()

    def names_problem(self, message: str) -> bool:
        return any(marker in message for marker in (f"'{self.name}'", *self.markers))

    def applies(self, values) -> bool:
        """Whether the field counts, given the other fields' values."""
        return not self.only_if or values.get(self.only_if[0]) in self.only_if[1]


@dataclass(frozen=True)
class Kind:
    label: str
    summary: str
    fields: tuple[Field, ...] = ()
    default: dict = field(default_factory=dict)


def _text(name, label, limit=TEXT_LIMIT, required=True, **extra) -> Field:
    return Field(name, label, "textarea", limit=limit, required=required, **extra)


VARIABLE_HINT = (
    "vars.X, contact.name, contact.phone, contact.attributes.X or contact.tags"
)
COMPARING = tuple(operator for operator in OPERATORS if operator != "exists")
PAIRS_HINT = "One per line: name = value"
RETRY = "Asked again after a reply that does not fit"
RETRY_HINT = "Optional; the question itself is asked again when empty."
NEW_ROW = {"id": "row_1", "title": ""}
HEADER = Field("header", "Header", limit=60, hint="Optional, bold above the text.")
FOOTER = Field("footer", "Footer", limit=60, hint="Optional, small grey text below.")

# fmt: off
KINDS = {
    "start": Kind("Start", "Where every run of the flow begins."),
    "message": Kind("Message", "Sends a text, a picture, a video, a file or audio.", (
        _text("text", "Text", required=False),
        Field("media", "Media", "media", limit=CAPTION_LIMIT),
    ), {"text": ""}),
    "buttons": Kind("Buttons", "Asks with up to three reply buttons.", (
        HEADER,
        _text("text", "Text", BUTTON_TEXT_LIMIT),
        FOOTER,
        Field("buttons", "Buttons", "buttons"),
        _text("retry_text", RETRY, BUTTON_TEXT_LIMIT, required=False, hint=RETRY_HINT),
    ), {"text": "", "buttons": [{"id": "button_1", "title": ""}]}),
    "list": Kind("List", "Asks with a menu of up to ten rows.", (
        HEADER,
        _text("text", "Text"),
        FOOTER,
        Field("button", "Menu button", limit=20, required=True),
        Field("sections", "Sections", "sections", markers=("sections.",)),
        _text("retry_text", RETRY, required=False, hint=RETRY_HINT),
    ), {"text": "", "button": "Choose", "sections": [{"rows": [NEW_ROW]}]}),
    "question": Kind("Question", "Asks for an answer and saves it.", (
        _text("text", "Question"),
        Field("save_as", "Save the answer as", required=True,
              hint="A name of letters, digits and _; use it as {{vars.name}}."),
        Field("validate", "Accept", "select", tuple(VALIDATOR_NAMES.items())),
        Field("pattern", "Regex", only_if=("validate", ("regex",))),
        _text("retry_text", RETRY, required=False, hint=RETRY_HINT),
    ), {"text": "", "save_as": "answer", "validate": "text"}),
    "condition": Kind("Condition", "Goes one way or the other on a value.", (
        Field("variable", "Value of", required=True, markers=("The variable of",),
              hint=VARIABLE_HINT),
        Field("operator", "Check", "select", tuple(OPERATOR_NAMES.items())),
        Field("value", "Compare with", markers=("The value of",),
              only_if=("operator", COMPARING)),
    ), {"variable": "", "operator": "eq", "value": ""}),
    "set": Kind("Set", "Saves variables, contact attributes and tags.", (
        Field("vars", "Variables", "pairs", hint=PAIRS_HINT),
        Field("attributes", "Contact attributes", "pairs", hint=PAIRS_HINT),
        Field("add_tags", "Add tags", "tags", hint="Separated by commas."),
        Field("remove_tags", "Remove tags", "tags", hint="Separated by commas."),
    )),
    "assign": Kind("Assign", "Hands the conversation to a person.", (
        Field("assignee", "Hand to", "assignee",
              markers=("'strategy'", "'member_id'", "member")),
    ), {"strategy": "round_robin"}),
    "ai_bot": Kind("AI bot", "Lets a bot answer from here on.", (
        Field("bot_id", "Bot id", "integer", required=True),
    )),
    "webhook": Kind("Webhook", "Calls a URL with the session and contact.", (
        Field("url", "URL", required=True, markers=("The url of",)),
        Field("method", "Method", "select", tuple(zip(METHODS, METHODS, strict=True))),
        Field("headers", "Headers", "pairs", hint="One per line: Name: value",
              markers=("Every header of",)),
        Field("save_as", "Save the answer as", hint="Optional; letters, digits and _."),
    ), {"url": "", "method": "POST"}),
    "template": Kind("Template", "Sends an approved message template.", (
        Field("name", "Template name", required=True),
        Field("language", "Language", required=True, hint="As approved, e.g. en_US."),
        Field("parameters", "Parameters", "lines", markers=("parameters",),
              hint="One per line, for {{1}}, {{2}} and on."),
    ), {"name": "", "language": "en"}),
    "delay": Kind("Delay", "Waits before going on.", (
        Field("seconds", "Wait (seconds)", "integer", required=True,
              hint="From 1 to 86400, a day."),
    ), {"seconds": 60}),
    "end": Kind("End", "Ends the flow."),
}
# fmt: on
# The data keys a part writes; every other field writes the key of its name.
WRITES = {"assignee": {"strategy", "member_id"}}


class FormError(ValueError):
    """A posted node that cannot be read at all."""


def kinds_for_editor() -> dict:
    """Each type's label, summary and the data of a new node, for the canvas."""
    return {
        name: {"label": kind.label, "summary": kind.summary, "data": kind.default}
        for name, kind in KINDS.items()
    }


def kind_of(name) -> Kind:
    if not isinstance(name, str) or name not in KINDS:
        raise FormError(f"There is no node type '{name}'.")
    return KINDS[name]
