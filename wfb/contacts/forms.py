"""The contact form of the dashboard: its fields as text, read into API data."""

from marshmallow import ValidationError

from wfb.contacts import rules
from wfb.contacts.models import Contact
from wfb.contacts.schemas import ContactChangesSchema, ContactSchema

FIELDS = ("phone", "name", "tags", "attributes", "opted_out")
PAIRS_HINT = "One per line: name = value"


def form_values(form) -> dict[str, str]:
    """The posted fields as text, stripped (the attributes keep their lines)."""
    return {name: form.get(name, "").strip() for name in FIELDS}


def contact_form(contact: Contact) -> dict[str, str]:
    """A contact as the form shows it."""
    # Limitation: an attribute with line breaks (a CSV import can bring one) is
    # shown on one line, its breaks as spaces, and saved so.
    attributes = {
        key: " ".join(str(value).splitlines())
        for key, value in (contact.attributes or {}).items()
    }
    return {
        "phone": contact.phone,
        "name": contact.name,
        "tags": ", ".join(contact.tags or []),
        "attributes": "\n".join(
            f"{key} = {value}" for key, value in attributes.items()
        ),
        "opted_out": "on" if contact.opted_out else "",
    }


def parse_contact_form(form: dict[str, str], partial: bool = False) -> dict:
    """The form's values checked as the API checks them; ValidationError by field.

    `partial` reads an edit, which changes the fields the form has.
    """
    if not form["phone"]:
        raise ValidationError("Enter the phone number.", "phone")
    data = {
        "phone": form["phone"],
        "name": form["name"],
        "tags": rules.split_tags(form["tags"]),
        "attributes": parse_pairs(form["attributes"]),
        "opted_out": form["opted_out"] == "on",
    }
    schema = ContactChangesSchema() if partial else ContactSchema()
    return schema.load(data)


def parse_pairs(text: str) -> dict[str, str]:
    """ "city = Pune" lines as {"city": "Pune"}; a line without "=" is an error."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValidationError(
                f"Line {number}: write each attribute as name = value.", "attributes"
            )
        pairs[name.strip()] = value.strip()
    return pairs
