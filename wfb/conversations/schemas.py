"""Request and response bodies of /conversations."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wfb.paging import PageArgsSchema, PageSchema
from wfb.whatsapp.messages import MEDIA_KINDS

ROW_ID = validate.Range(1, 2**31 - 1)


class ListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    assigned = fields.String(
        validate=validate.OneOf(("me", "none")),
        metadata={"description": "me: assigned to the caller; none: to nobody."},
    )
    unread = fields.Boolean(metadata={"description": "Only those with unread ones."})
    phone_number_id = fields.Integer(validate=ROW_ID)
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Part of the customer's name or phone."},
    )


class NumberArgsSchema(Schema):
    phone_number_id = fields.Integer(
        validate=ROW_ID,
        metadata={"description": "The org's number, where it has several."},
    )


class HistoryArgsSchema(NumberArgsSchema):
    before = fields.Integer(
        validate=ROW_ID,
        metadata={"description": "The cursor: messages older than this message id."},
    )
    limit = fields.Integer(load_default=30, validate=validate.Range(1, 100))


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    wa_id = fields.String()


class MediaSchema(Schema):
    status = fields.String(metadata={"description": "pending, stored or failed."})
    mime_type = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    url = fields.String(allow_none=True)


class InboxMessageSchema(Schema):
    id = fields.Integer()
    wamid = fields.String(allow_none=True)
    direction = fields.String(metadata={"description": "in or out."})
    type = fields.String()
    text = fields.String()
    payload = fields.Dict()
    status = fields.String()
    error_code = fields.Integer(allow_none=True)
    error_title = fields.String(allow_none=True)
    context_wamid = fields.String(allow_none=True)
    sent_by = fields.Nested(PersonSchema, allow_none=True)
    media = fields.Nested(MediaSchema, allow_none=True)
    timestamp = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ConversationSchema(Schema):
    id = fields.Integer()
    phone_number_id = fields.Integer()
    contact = fields.Nested(CustomerSchema)
    status = fields.String()
    assigned_user = fields.Nested(PersonSchema, allow_none=True)
    handed_off = fields.Boolean(
        metadata={"description": "A person has it; automation stays quiet."}
    )
    unread_count = fields.Integer()
    last_message = fields.Nested(InboxMessageSchema, allow_none=True)
    last_message_at = fields.DateTime(allow_none=True)
    window_open = fields.Boolean(
        metadata={"description": "Whether a free-form reply may be sent now."}
    )
    window_closes_at = fields.DateTime(allow_none=True)


class ConversationPageSchema(PageSchema):
    items = fields.List(fields.Nested(ConversationSchema))


class HistorySchema(Schema):
    conversation = fields.Nested(ConversationSchema)
    items = fields.List(
        fields.Nested(InboxMessageSchema), metadata={"description": "Newest first."}
    )
    next_cursor = fields.Integer(
        allow_none=True,
        metadata={"description": "Pass as `before` for older ones; null at the start."},
    )


class MediaBodySchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(MEDIA_KINDS))
    link = fields.Url(schemes={"https", "http"})
    id = fields.String(validate=validate.Length(1, 100))
    caption = fields.String(validate=validate.Length(max=1024))
    filename = fields.String(validate=validate.Length(max=240))

    @validates_schema
    def one_source(self, data, **kwargs):
        if ("link" in data) == ("id" in data):
            raise ValidationError("Give exactly one of link or id.", "link")


class TemplateBodySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 512))
    language = fields.String(required=True, validate=validate.Length(1, 20))
    parameters = fields.List(fields.String(validate=validate.Length(max=1024)))
    header = fields.Dict()
    buttons = fields.List(fields.String(validate=validate.Length(max=2000)))


class SendSchema(Schema):
    phone_number_id = fields.Integer(required=True, validate=ROW_ID)
    to = fields.String(
        required=True,
        validate=validate.Length(3, 32),
        metadata={"description": "The customer's number, E.164 or as they write it."},
    )
    text = fields.String(validate=validate.Length(1, 4096))
    media = fields.Nested(MediaBodySchema)
    template = fields.Nested(TemplateBodySchema)

    @validates_schema
    def one_kind(self, data, **kwargs):
        given = [kind for kind in ("text", "media", "template") if kind in data]
        if len(given) != 1:
            message = "Give exactly one of text, media or template."
            raise ValidationError(message, "text")


class AssignSchema(Schema):
    user_id = fields.Integer(
        required=True,
        allow_none=True,
        validate=ROW_ID,
        metadata={"description": "A member of the org; null to unassign."},
    )
