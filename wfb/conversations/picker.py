"""The inbox's template picker: which approved templates a reply may use, the values
each asks for as inputs, and a sent template read as the customer read it."""

from dataclasses import dataclass

from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.preview import filled
from wfb.message_templates.service import find_template
from wfb.message_templates.slots import buttons_of, slots, text_of
from wfb.tenancy import scoped

MEDIA_HEADERS = ("IMAGE", "VIDEO", "DOCUMENT")


def template_texts(org_id: int, bodies: list[dict | None]) -> list:
    """The message bodies, each template one reading as the customer read it."""
    for body in bodies:
        if body and body["type"] == "template":
            body["text"] = template_text(org_id, body) or body["text"]
    return bodies


def template_text(org_id: int, body: dict) -> str:
    """A template message's body as the customer read it, its values filled in."""
    sent = (body["payload"] or {}).get("template") or {}
    language = (sent.get("language") or {}).get("code", "")
    template = find_template(org_id, sent.get("name", ""), language)
    if template is None:
        return ""
    values = {}
    for component in sent.get("components") or []:
        if component.get("type") == "body":
            for n, value in enumerate(component.get("parameters") or [], 1):
                values[value.get("parameter_name") or str(n)] = value.get("text", "")
    return filled(text_of(parts_of(template).get("BODY")), values)


@dataclass(frozen=True)
class TemplateInput:
    """One value a template asks for, as an input of the picker."""

    name: str
    label: str
    # Where `wfb.campaigns.fit` points its problems with this value.
    problem: str
    type: str = "text"


def approved_templates(org_id: int) -> list[MessageTemplate]:
    query = scoped(MessageTemplate, org_id).where(
        MessageTemplate.status == "APPROVED", MessageTemplate.gone.is_(False)
    )
    order = (MessageTemplate.name, MessageTemplate.language)
    return db.session.scalars(query.order_by(*order)).all()


def chosen_template(templates: list, value) -> MessageTemplate | None:
    return next((t for t in templates if str(t.id) == str(value or "")), None)


def parts_of(template: MessageTemplate) -> dict[str, dict]:
    """The template's components by type: HEADER, BODY, FOOTER, BUTTONS."""
    components = [c for c in template.components or [] if isinstance(c, dict)]
    return {str(c.get("type", "")).upper(): c for c in components}


def template_inputs(template: MessageTemplate) -> list[TemplateInput]:
    """The values the template needs: its header's, its body's, its buttons'."""
    found = slots(template)
    inputs = []
    if found.header == "TEXT" and found.header_text_params:
        name = found.header_names[0] if found.header_names else "1"
        label = f"Header {{{{{name}}}}}"
        inputs.append(TemplateInput("header_text", label, "template.header"))
    elif found.header in MEDIA_HEADERS:
        label = f"Header {found.header.lower()} link"
        inputs.append(TemplateInput("header_link", label, "template.header", "url"))
    elif found.header == "LOCATION":
        for name in ("latitude", "longitude"):
            label = f"Header {name}"
            inputs.append(TemplateInput(name, label, "template.header", "number"))
    names = found.body_names or [str(n) for n in range(1, found.body + 1)]
    for i, name in enumerate(names):
        label, problem = f"Body {{{{{name}}}}}", f"template.parameters[{i}]"
        inputs.append(TemplateInput(f"parameter_{i}", label, problem))
    buttons = buttons_of(parts_of(template).get("BUTTONS"))
    url_buttons = [
        b for b in buttons if b["type"] == "URL" and "{{" in str(b.get("url"))
    ]
    for i, button in enumerate(url_buttons):
        label, problem = f"Link of “{button.get('text', '')}”", f"template.buttons[{i}]"
        inputs.append(TemplateInput(f"button_{i}", label, problem))
    return inputs


def template_spec(template: MessageTemplate, form) -> dict:
    """A template send, as `inbox.payload_for` takes it, from the picker's inputs."""
    values = {i.name: form.get(i.name, "").strip() for i in template_inputs(template)}
    header = slots(template).header
    spec = {
        "name": template.name,
        "language": template.language,
        "parameters": [v for k, v in values.items() if k.startswith("parameter_")],
    }
    if "header_text" in values:
        spec["header"] = {"type": "text", "text": values["header_text"]}
    elif header in MEDIA_HEADERS:
        spec["header"] = {"type": header.lower(), "link": values["header_link"]}
    elif header == "LOCATION":
        spec["header"] = {"type": "location"}
        for name in ("latitude", "longitude"):
            spec["header"][name] = form.get(name, type=float)
    buttons = [v for k, v in values.items() if k.startswith("button_")]
    if buttons:
        spec["buttons"] = buttons
    return spec
