"""Whether the values of a template send fit the synced template, and the message
they make.

Meta refuses a template send whose values do not match what it approved: a wrong
count (132000), a value in the wrong place or format (132012), a text made too long
by its values (132005), or a value with a new line, a tab or more than four spaces
in a row. Each of those is checked here first, so that it never reaches Meta: a
problem with the values as written refuses the campaign, and a problem that only
one contact's values have (an empty `{{contact.name}}`, say) fails that recipient.
"""

import re
from dataclasses import dataclass, field

from wfb.flows.render import PLACEHOLDER, render
from wfb.message_templates.service import find_template
from wfb.message_templates.slots import (
    NAMED_VARIABLE,
    POSITIONAL_VARIABLE,
    buttons_of,
    slots,
    text_of,
)

BODY_LIMIT = 1024
HEADER_LIMIT = 60
URL_LIMIT = 2000
MEDIA_HEADERS = ("image", "video", "document")
CONTACT_PLACEHOLDER = re.compile(r"contact\.(name|phone|attributes\.[\w.]+)")
TOO_MANY_SPACES = " " * 5


@dataclass(frozen=True)
class Problem:
    """Something wrong with the values as written, at `field` of the request."""

    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


class Unfit(Exception):
    """One contact's values do not fit the template; `reason` says which and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Value:
    """One value to send: where it goes, as written, and its parameter name."""

    label: str
    source: str
    name: str | None = None


@dataclass
class Plan:
    """A template send whose values fit the synced template as written.

    Build each contact's message with `components(contact)`; it raises Unfit when
    that contact's values do not fit.
    """

    name: str
    language: str
    body_text: str = ""
    header_text: str = ""
    body: list[Value] = field(default_factory=list)
    header: dict | None = None
    header_value: Value | None = None
    buttons: list[tuple[int, str, Value]] = field(default_factory=list)

    @property
    def personal(self) -> bool:
        """Whether any value depends on the contact."""
        values = [*self.body, *(b[2] for b in self.buttons)]
        if self.header_value:
            values.append(self.header_value)
        return any(PLACEHOLDER.search(v.source) for v in values)

    def components(self, contact, variables: dict | None = None) -> list[dict]:
        """The template's `components` for one contact; Unfit when they do not fit."""
        variables = variables or {}
        components = []
        if self.header is not None:
            components.append(self._header(contact, variables))
        if self.body:
            filled = [_filled(v, contact, variables) for v in self.body]
            _check_length(self.body_text, self.body, filled, BODY_LIMIT, "The body")
            pairs = zip(self.body, filled, strict=True)
            parameters = [_text(value, text) for value, text in pairs]
            components.append({"type": "body", "parameters": parameters})
        for index, url, value in self.buttons:
            text = _filled(value, contact, variables)
            if url and len(_hydrate(url, [value], [text])) > URL_LIMIT:
                raise Unfit(
                    f"The address of {value.label} is over {URL_LIMIT} characters."
                )
            components.append(
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": str(index),
                    "parameters": [{"type": "text", "text": text}],
                }
            )
        return components

    def _header(self, contact, variables: dict) -> dict:
        kind = self.header["type"]
        if kind == "text":
            value = self.header_value
            text = _filled(value, contact, variables)
            _check_length(self.header_text, [value], [text], HEADER_LIMIT, "The header")
            parameter = _text(value, text)
        elif kind == "location":
            location = {k: v for k, v in self.header.items() if k != "type"}
            parameter = {"type": "location", "location": location}
        else:
            media = {
                k: self.header[k]
                for k in ("link", "id", "filename")
                if k in self.header
            }
            parameter = {"type": kind, kind: media}
        return {"type": "header", "parameters": [parameter]}


def plan_for(org_id: int, spec: dict, flow: bool = False) -> tuple[Plan | None, list]:
    """The plan of a template send checked against the org's synced template, or
    None with the problems found. `flow` allows `{{vars.X}}` placeholders."""
    template = find_template(org_id, spec.get("name", ""), spec.get("language", ""))
    where = f"{spec.get('name')} ({spec.get('language')})"
    if template is None:
        message = f"Template {where} is not synced: sync the templates first."
        return None, [Problem("template.name", message)]
    if template.gone:
        message = f"Template {where} no longer exists on Meta."
        return None, [Problem("template.name", message)]
    if template.status != "APPROVED":
        message = f"Template {where} is {template.status} on Meta, not APPROVED."
        return None, [Problem("template.name", message)]
    return _checked(template, spec, flow)


def flow_plan(org_id: int, spec: dict) -> Plan:
    """The plan of a flow's template node: checked like a campaign's when the
    template is synced, taken as written when it is not; Unfit names the first
    problem."""
    if find_template(org_id, spec["name"], spec["language"]) is None:
        return unchecked_plan(spec)
    plan, problems = plan_for(org_id, spec, flow=True)
    if problems:
        raise Unfit(problems[0].message)
    return plan


def unchecked_plan(spec: dict) -> Plan:
    """A plan from the values alone, for a flow whose template is not synced."""
    header = spec.get("header") or None
    header_value = None
    if header and header.get("type") == "text":
        header_value = Value("the header", str(header.get("text", "")))
    return Plan(
        name=spec["name"],
        language=spec["language"],
        body=[
            Value(f"body value {i}", str(p))
            for i, p in enumerate(spec.get("parameters") or [], 1)
        ],
        header=header,
        header_value=header_value,
        buttons=[
            (i, "", Value(f"button {i + 1}", str(b)))
            for i, b in enumerate(spec.get("buttons") or [])
        ],
    )


def _checked(template, spec: dict, flow: bool) -> tuple[Plan | None, list]:
    found = slots(template)
    components = {
        str(c.get("type", "")).upper(): c
        for c in template.components or []
        if isinstance(c, dict)
    }
    plan = Plan(template.name, template.language)
    plan.body_text = text_of(components.get("BODY"))
    problems = _body(plan, found, spec.get("parameters"))
    problems += _header_values(plan, found, components, spec.get("header"))
    problems += _button_values(plan, components, spec.get("buttons"))
    problems += _written_values(plan, flow)
    return (None, problems) if problems else (plan, [])


def _body(plan: Plan, found, parameters) -> list[Problem]:
    where = "template.parameters"
    if parameters is None:
        parameters = []
    if found.body_names:
        if isinstance(parameters, dict):
            missing = [n for n in found.body_names if n not in parameters]
            extra = [n for n in parameters if n not in found.body_names]
            if missing or extra:
                names = ", ".join(found.body_names)
                return [Problem(where, f"The body's variables are {names}.")]
            parameters = [parameters[n] for n in found.body_names]
        names = found.body_names
    else:
        names = [None] * found.body
    if not isinstance(parameters, list):
        return [Problem(where, "Give the body's values as a list, in order.")]
    if len(parameters) != len(names):
        message = (
            f"The template's body has {_count(len(names))}; {len(parameters)} given."
        )
        return [Problem(where, message)]
    plan.body = [
        Value(f"body value {name or i}", str(value), name)
        for i, (name, value) in enumerate(zip(names, parameters, strict=True), 1)
    ]
    return []


def _count(number: int) -> str:
    return "1 variable" if number == 1 else f"{number} variables"


def _header_values(plan: Plan, found, components: dict, header) -> list[Problem]:
    where = "template.header"
    expected = (found.header or "").lower()
    given = header.get("type", "").lower() if isinstance(header, dict) else ""
    if not expected:
        return [Problem(where, "The template has no header.")] if header else []
    if expected == "text" and not found.header_text_params:
        return []
    if given != expected:
        return [Problem(where, f"The template's header needs a {expected} value.")]
    plan.header = dict(header, type=expected)
    if expected == "text":
        plan.header_text = text_of(components.get("HEADER"))
        name = found.header_names[0] if found.header_names else None
        plan.header_value = Value("the header", str(header.get("text", "")), name)
        return []
    if expected == "location":
        return _location(header, where)
    return _media(header, where)


def _media(header: dict, where: str) -> list[Problem]:
    link, media_id = header.get("link"), header.get("id")
    if bool(link) == bool(media_id):
        return [Problem(where, "A media header needs exactly one of link or id.")]
    if link and not re.match(r"^https?://\S+$", str(link)):
        return [Problem(where, "The header's link must be an http(s) address.")]
    return []


def _location(header: dict, where: str) -> list[Problem]:
    def number(name, limit):
        value = header.get(name)
        return isinstance(value, int | float) and -limit <= value <= limit

    if not (number("latitude", 90) and number("longitude", 180)):
        return [Problem(where, "A location header needs latitude and longitude.")]
    return []


def _button_values(plan: Plan, components: dict, buttons) -> list[Problem]:
    where = "template.buttons"
    url_buttons = [
        (index, str(button.get("url", "")))
        for index, button in enumerate(buttons_of(components.get("BUTTONS")))
        if button.get("type") == "URL" and "{{" in str(button.get("url", ""))
    ]
    buttons = buttons or []
    if not isinstance(buttons, list) or len(buttons) != len(url_buttons):
        wanted = len(url_buttons)
        noun = "button" if wanted == 1 else "buttons"
        return [Problem(where, f"The template has {wanted} URL {noun} with a value.")]
    plan.buttons = [
        (index, url, Value(f"button {index + 1}", str(value)))
        for (index, url), value in zip(url_buttons, buttons, strict=True)
    ]
    return []


def _written_values(plan: Plan, flow: bool) -> list[Problem]:
    """Problems of the values as written: unknown placeholders, bad literals."""
    problems = []
    places = [(f"template.parameters[{i}]", v) for i, v in enumerate(plan.body)]
    if plan.header_value:
        places.append(("template.header", plan.header_value))
    places += [(f"template.buttons[{i}]", b[2]) for i, b in enumerate(plan.buttons)]
    for where, value in places:
        unknown = [
            name
            for name in PLACEHOLDER.findall(value.source)
            if not _known_placeholder(name, flow)
        ]
        if unknown:
            message = f"{{{{{unknown[0]}}}}} is not a placeholder a campaign can fill."
            problems.append(Problem(where, message))
        elif not PLACEHOLDER.search(value.source):
            problem = value_problem(value.source)
            if problem:
                problems.append(Problem(where, f"The value {problem}."))
    return problems


def _known_placeholder(name: str, flow: bool) -> bool:
    if flow and name.startswith("vars.") and len(name) > 5:
        return True
    return CONTACT_PLACEHOLDER.fullmatch(name) is not None


def value_problem(text: str) -> str | None:
    """What Meta would refuse in one value, in words; None when it fits."""
    if not text.strip():
        return "is empty"
    if any(ch in text for ch in "\n\r\t"):
        return "has a new line or a tab"
    if TOO_MANY_SPACES in text:
        return "has more than four spaces in a row"
    return None


def _filled(value: Value, contact, variables: dict) -> str:
    text = render(value.source, contact, variables)
    problem = value_problem(text)
    if problem:
        written = f" ({value.source})" if value.source != text else ""
        raise Unfit(f"The {value.label}{written} {problem} for this contact.")
    return text


def _text(value: Value, text: str) -> dict:
    if value.name:
        return {"type": "text", "parameter_name": value.name, "text": text}
    return {"type": "text", "text": text}


def _hydrate(text: str, values: list[Value], filled: list[str]) -> str:
    by_key = {}
    for position, (value, fill) in enumerate(zip(values, filled, strict=True), 1):
        by_key[value.name or str(position)] = fill

    def swap(match):
        return by_key.get(match.group(1), match.group(0))

    return NAMED_VARIABLE.sub(swap, POSITIONAL_VARIABLE.sub(swap, text))


def _check_length(text, values, filled, limit: int, what: str) -> None:
    if not text:
        return
    length = len(_hydrate(text, values, filled))
    if length > limit:
        raise Unfit(
            f"{what} with this contact's values is {length} characters; "
            f"Meta allows {limit}."
        )
