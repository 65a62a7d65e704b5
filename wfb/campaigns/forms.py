"""The dashboard's campaign form: the fields a chosen template asks for, and the
posted form read into the body that `POST /campaigns/send` takes.

A template's values are fields named for their place: `param_1`, `param_2` (or
`param_<name>` for named variables), `header_text`, `header_link`, `header_id`,
`latitude`, `longitude`, `location_name`, `location_address`, `button_<index>`.
"""

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.slots import buttons_of, slots, text_of
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped

AUDIENCES = (("all", "All contacts"), ("tags", "Contacts with a tag"),
             ("contact_ids", "Chosen contacts (ids)"))  # fmt: skip
MEDIA = ("IMAGE", "VIDEO", "DOCUMENT")


@dataclass
class TemplateFields:
    """What a template asks for when it is sent, as form fields."""

    template: MessageTemplate
    body_text: str = ""
    body: list[tuple[str, str]] = field(default_factory=list)
    header: str | None = None
    header_text: str = ""
    buttons: list[tuple[str, str]] = field(default_factory=list)


def approved_templates(org_id: int) -> list[MessageTemplate]:
    """The org's templates that a campaign can send: synced and approved."""
    return db.session.scalars(
        scoped(MessageTemplate, org_id)
        .where(MessageTemplate.status == "APPROVED", MessageTemplate.gone.is_(False))
        .order_by(MessageTemplate.name, MessageTemplate.language)
    ).all()


def chosen_template(org_id: int, value) -> MessageTemplate | None:
    """The org's template whose id the form's `template` field holds."""
    if not str(value or "").isdigit():
        return None
    return db.session.scalar(
        scoped(MessageTemplate, org_id).where(MessageTemplate.id == int(value))
    )


def template_fields(template: MessageTemplate | None) -> TemplateFields | None:
    if template is None:
        return None
    found = slots(template)
    parts = {
        str(c.get("type", "")).upper(): c
        for c in template.components or []
        if isinstance(c, dict)
    }
    names = found.body_names or tuple(str(n) for n in range(1, found.body + 1))
    fields = TemplateFields(template, body_text=text_of(parts.get("BODY")))
    fields.body = [(f"param_{name}", f"{{{{{name}}}}}") for name in names]
    if found.header and (found.header != "TEXT" or found.header_text_params):
        fields.header = found.header
        fields.header_text = text_of(parts.get("HEADER"))
    fields.buttons = [
        (f"button_{index}", f"{button.get('text', '')}: {button.get('url', '')}")
        for index, button in enumerate(buttons_of(parts.get("BUTTONS")))
        if button.get("type") == "URL" and "{{" in str(button.get("url", ""))
    ]
    return fields


def send_body(form, fields: TemplateFields | None) -> dict:
    """The API body for the posted form; what is missing is left for the schema
    and the template check to name."""
    body = {
        "name": form.get("name", "").strip(),
        "phone_number_id": _number(form.get("phone_number_id")),
        "audience": _audience(form),
    }
    if fields is not None:
        body["template"] = _template(form, fields)
    at = _schedule_at(form)
    if at is not None:
        body["schedule_at"] = at
    return body


def _number(value):
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else value


def _template(form, fields: TemplateFields) -> dict:
    template = fields.template
    values = [form.get(name, "") for name, _ in fields.body]
    named = slots(template).body_names
    spec = {
        "name": template.name,
        "language": template.language,
        "parameters": dict(zip(named, values, strict=True)) if named else values,
        "buttons": [form.get(name, "") for name, _ in fields.buttons],
    }
    header = _header(form, fields.header)
    if header is not None:
        spec["header"] = header
    return spec


def _header(form, kind: str | None) -> dict | None:
    if kind == "TEXT":
        return {"type": "text", "text": form.get("header_text", "")}
    if kind in MEDIA:
        link, media_id = form.get("header_link", "").strip(), form.get("header_id", "")
        header = {"type": kind.lower()}
        if link:
            header["link"] = link
        if media_id.strip():
            header["id"] = media_id.strip()
        return header
    if kind == "LOCATION":
        header = {"type": "location"}
        for name in ("latitude", "longitude"):
            with contextlib.suppress(ValueError):
                header[name] = float(form.get(name, ""))
        for name in ("name", "address"):
            if form.get(f"location_{name}", "").strip():
                header[name] = form[f"location_{name}"].strip()
        return header
    return None


def _audience(form) -> dict:
    kind = form.get("audience", "all")
    if kind == "tags":
        tags = [t.strip() for t in re.split(r"[,;]", form.get("tags", "")) if t.strip()]
        return {"tags": tags}
    if kind == "contact_ids":
        raw = re.split(r"[\s,;]+", form.get("contact_ids", "").strip())
        return {"contact_ids": [int(i) if i.isdigit() else i for i in raw if i]}
    return {"all": True}


def _schedule_at(form) -> str | None:
    """`schedule_at` from a datetime-local field, read as UTC."""
    # Limitation: the form knows no time zone, so its start time is in UTC and
    # says so; the API takes any offset.
    if form.get("when") != "later":
        return None
    raw = form.get("schedule_at", "").strip()
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return raw or "missing"


def form_errors(errors: dict, fields: TemplateFields | None) -> dict[str, str]:
    """Each error of the API body under the form field that holds the value."""
    shown: dict[str, str] = {}
    for place, message in _flat(errors):
        shown.setdefault(_field_for(place, fields), message)
    return shown


def _flat(errors, prefix=""):
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flat(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, list) and errors and isinstance(errors[0], str):
        yield prefix, errors[0]


def _field_for(place: str, fields: TemplateFields | None) -> str:
    parts = place.split(".")
    if parts[0] != "template":
        return {"audience": _audience_field(parts)}.get(parts[0], parts[0])
    if fields is None or len(parts) < 2:
        return "template"
    if parts[1] == "parameters" and len(parts) > 2 and parts[2].isdigit():
        index = int(parts[2])
        return fields.body[index][0] if index < len(fields.body) else "template"
    if parts[1] == "buttons" and len(parts) > 2 and parts[2].isdigit():
        index = int(parts[2])
        return fields.buttons[index][0] if index < len(fields.buttons) else "template"
    return {"header": "header", "name": "template"}.get(parts[1], "template")


def _audience_field(parts: list[str]) -> str:
    return (
        parts[1]
        if len(parts) > 1 and parts[1] in ("tags", "contact_ids")
        else ("audience")
    )


def number_options(org_id: int) -> list[tuple]:
    """The org's numbers as select options."""
    numbers = db.session.scalars(
        scoped(PhoneNumber, org_id).order_by(PhoneNumber.id)
    ).all()
    return [
        (
            n.id,
            f"{n.display_phone_number} · {n.label}"
            if n.label
            else n.display_phone_number,
        )
        for n in numbers
    ]
