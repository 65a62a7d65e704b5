from dataclasses import asdict

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from wfb.message_templates import rules
from wfb.message_templates.slots import slots
from wfb.paging import PageArgsSchema, PageSchema

# Every status Meta gives a template, and those its status webhooks add.
STATUSES = (
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "PENDING_DELETION",
    "DELETED",
    "LIMIT_EXCEEDED",
    "ARCHIVED",
    "FLAGGED",
    "LOCKED",
)


class SlotsSchema(Schema):
    """What a send of the template must carry; see `wfb.message_templates.slots`."""

    body = fields.Integer(metadata={"description": "Body variables to fill."})
    body_names = fields.List(fields.String())
    header = fields.String(allow_none=True)
    header_text_params = fields.Integer()
    header_names = fields.List(fields.String())
    url_buttons = fields.Integer()
    quick_replies = fields.Integer()


class TemplateSchema(Schema):
    id = fields.Integer(dump_only=True)
    meta_id = fields.String(allow_none=True)
    name = fields.String()
    language = fields.String()
    category = fields.String()
    status = fields.String()
    parameter_format = fields.String()
    components = fields.List(fields.Dict())
    reason = fields.String(
        allow_none=True, metadata={"description": "Meta's reason, in its words."}
    )
    gone = fields.Boolean(
        metadata={"description": "No longer on Meta: deleted or missing at a sync."}
    )
    slots = fields.Method("template_slots", metadata={"type": "object"})
    synced_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def template_slots(self, template) -> dict:
        return SlotsSchema().dump(asdict(slots(template)))


class SyncSchema(Schema):
    """What a sync found on Meta."""

    total = fields.Integer(metadata={"description": "Templates on Meta."})
    new = fields.Integer()
    updated = fields.Integer()
    gone = fields.Integer(metadata={"description": "Newly missing from Meta."})


class TemplatePageSchema(PageSchema):
    items = fields.List(fields.Nested(TemplateSchema))
    sync = fields.Nested(
        SyncSchema, allow_none=True, metadata={"description": "Null with sync=false."}
    )


class TemplateQueryArgsSchema(PageArgsSchema):
    sync = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Sync from Meta first (the default); false lists what is "
            "stored without calling Meta."
        },
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    name = fields.String(
        validate=validate.Length(max=rules.NAME_MAX),
        metadata={"description": "Part of the name, any case."},
    )
    language = fields.String(validate=validate.Length(max=20))
    include_gone = fields.Boolean(
        load_default=False,
        metadata={"description": "Also list templates no longer on Meta."},
    )


class TemplateCreateSchema(Schema):
    """A template as Meta's create call takes it; checked by Meta's rules first."""

    name = fields.String(required=True, metadata={"example": "order_update"})
    language = fields.String(required=True, metadata={"example": "en_US"})
    category = fields.String(
        required=True, metadata={"description": ", ".join(rules.CATEGORIES)}
    )
    parameter_format = fields.String(
        load_default="POSITIONAL",
        metadata={"description": ", ".join(rules.PARAMETER_FORMATS)},
    )
    allow_category_change = fields.Boolean()
    components = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "HEADER, BODY, FOOTER and BUTTONS in Meta's shape; a media "
            "header's example.header_handle comes from /templates/upload-media."
        },
    )


class TemplateDeleteArgsSchema(Schema):
    language = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "Delete only this language; else every language."},
    )


class MediaUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "A header sample: JPEG or PNG up to 5 MB, MP4 up to 16 MB, "
            "or PDF."
        },
    )


class MediaHandleSchema(Schema):
    handle = fields.String(
        metadata={"description": "For the header's example.header_handle."}
    )
    format = fields.String(metadata={"description": "IMAGE, VIDEO or DOCUMENT."})
    mime_type = fields.String()
    size = fields.Integer()
