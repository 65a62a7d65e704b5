"""Request and response bodies of /contacts and /upload-contacts."""

from flask_smorest.fields import Upload
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
)

from wfb.contacts import rules
from wfb.paging import PageArgsSchema, PageSchema

PHONE_HINT = (
    "Stored in E.164 (+919876543210); a number without a country code is read in "
    "the org's default country."
)


def _check(problem: str | None) -> None:
    if problem:
        raise ValidationError(problem)


def _storable(text: str) -> None:
    if rules.unstorable(text):
        raise ValidationError("Cannot hold NUL characters or invalid Unicode.")


class Tag(fields.String):
    """A tag, stripped of surrounding spaces."""

    def _deserialize(self, value, attr, data, **kwargs):
        tag = super()._deserialize(value, attr, data, **kwargs).strip()
        _check(rules.tag_problem(tag))
        return tag


class Name(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        _check(rules.name_problem(name))
        return name


def _tags(description="Matched exactly; no commas, semicolons or “|”.", **kwargs):
    return fields.List(
        Tag(),
        validate=validate.Length(max=rules.TAGS_MAX),
        metadata={"description": description},
        **kwargs,
    )


def _attributes(description='Text values by name, e.g. {"city": "Pune"}.', **kwargs):
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": description},
        **kwargs,
    )


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    phone = fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": PHONE_HINT},
    )
    wa_id = fields.String(dump_only=True)
    name = Name(load_default="")
    tags = _tags(load_default=list)
    attributes = _attributes(load_default=dict)
    opted_out = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Campaigns skip the contact. Only an admin clears it."
        },
    )
    opted_out_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates("attributes")
    def _check_attributes(self, value, **kwargs):
        _check(rules.attributes_problem(value))


class ContactChangesSchema(Schema):
    """The fields to change; those left out keep their values."""

    phone = fields.String(
        validate=validate.Length(1, 40), metadata={"description": PHONE_HINT}
    )
    name = Name()
    tags = _tags("Replaces every tag.")
    attributes = _attributes("Replaces every attribute.")
    opted_out = fields.Boolean(
        metadata={
            "description": "Anyone who edits contacts sets it; only an admin clears it."
        }
    )

    @validates("attributes")
    def _check_attributes(self, value, **kwargs):
        _check(rules.attributes_problem(value))


class TagChangesSchema(Schema):
    add = _tags(load_default=list)
    remove = _tags(load_default=list)


class ContactQueryArgsSchema(PageArgsSchema):
    q = fields.String(
        validate=[validate.Length(max=100), _storable],
        metadata={"description": "Part of the name or of the phone number."},
    )
    tag = fields.List(
        fields.String(validate=[validate.Length(1, rules.TAG_MAX), _storable]),
        validate=validate.Length(max=10),
        metadata={"description": "Repeat to ask for contacts with all of the tags."},
    )


class ContactPageSchema(PageSchema):
    items = fields.List(fields.Nested(ContactSchema))


class ContactsFileSchema(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "CSV with a header row: phone, name, tags (separated by ; "
            "or |), any other column an attribute."
        },
    )


class ImportErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "Line in the file; the header is 1."})
    message = fields.String()


class ImportReportSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    failed = fields.Integer()
    errors = fields.List(
        fields.Nested(ImportErrorSchema),
        metadata={"description": "The failed rows, the first 1000 of them."},
    )
