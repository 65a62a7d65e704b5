"""Request and response bodies of /campaigns (design sections 7 and 12)."""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wfb.campaigns.recipients import STATUSES
from wfb.paging import PageArgsSchema, PageSchema

CAMPAIGN_STATUSES = (
    "scheduled",
    "running",
    "paused",
    "completed",
    "cancelled",
    "failed",
)
MAX_CONTACT_IDS = 100_000
MAX_VALUE = 1024
ROW_ID = validate.Range(1, 2**31 - 1)


class Values(fields.Field):
    """The body's values: a list in order ({{1}} first), or for a template with
    named variables an object of name to value. Each a text or a number."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            items = list(value.values())
            if not all(isinstance(k, str) and k for k in value):
                raise ValidationError("Every name must be a non-empty text.")
        else:
            raise ValidationError(
                "Give a list of values, or an object of name to value."
            )
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise ValidationError("Every value must be a text or a number.")
            if len(str(item)) > MAX_VALUE:
                raise ValidationError(f"A value is at most {MAX_VALUE} characters.")
        return value


class CampaignTemplateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 512))
    language = fields.String(required=True, validate=validate.Length(1, 20))
    parameters = Values(
        load_default=list,
        metadata={
            "description": "parameters[0] fills {{1}}; each a literal or a "
            "placeholder such as {{contact.name}} or {{contact.attributes.city}}."
        },
    )
    header = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Where the template has one: {type, and link, id or text}; "
            "a location header has latitude, longitude, name and address."
        },
    )
    buttons = fields.List(
        fields.String(validate=validate.Length(1, MAX_VALUE)),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "The values of its URL buttons, in order."},
    )


class CampaignAudienceSchema(Schema):
    contact_ids = fields.List(
        fields.Integer(strict=True, validate=ROW_ID),
        validate=validate.Length(1, MAX_CONTACT_IDS),
    )
    tags = fields.List(
        fields.String(validate=validate.Length(1, 100)), validate=validate.Length(1, 50)
    )
    all = fields.Boolean(validate=validate.Equal(True, error="Only true is allowed."))

    @validates_schema
    def exactly_one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("Give exactly one of contact_ids, tags or all: true.")


class CampaignSendSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    phone_number_id = fields.Integer(
        required=True,
        strict=True,
        validate=ROW_ID,
        metadata={"description": "The product's id of the number (/phone-numbers)."},
    )
    template = fields.Nested(CampaignTemplateSchema, required=True)
    audience = fields.Nested(CampaignAudienceSchema, required=True)
    schedule_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=UTC,
        metadata={"description": "When to start; now when absent or past."},
    )


class RecipientCountsSchema(Schema):
    pending = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    read = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()
    unknown = fields.Integer()


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone_number_id = fields.Integer(allow_none=True)
    template = fields.Dict()
    audience = fields.Dict()
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATUSES)})
    reason = fields.String(allow_none=True)
    schedule_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    created_by_id = fields.Integer(allow_none=True)
    total = fields.Integer(metadata={"description": "Recipients, once it started."})
    counts = fields.Nested(RecipientCountsSchema)


class CampaignPageSchema(PageSchema):
    items = fields.List(fields.Nested(CampaignSchema))


class CampaignListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES))


class LogArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class RecipientSchema(Schema):
    id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    phone = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    wamid = fields.String(allow_none=True)
    error_code = fields.Integer(allow_none=True)
    error_title = fields.String(allow_none=True)
    reason = fields.String(
        allow_none=True,
        metadata={"description": "What happened, in plain words."},
    )
    attempts = fields.Integer()
    sent_at = fields.DateTime(allow_none=True)
    status_at = fields.DateTime(allow_none=True)


class LogPageSchema(PageSchema):
    items = fields.List(fields.Nested(RecipientSchema))
    counts = fields.Nested(RecipientCountsSchema)


class CampaignProblemSchema(Schema):
    field = fields.String()
    message = fields.String()


class UnfitContactSchema(Schema):
    contact_id = fields.Integer()
    phone = fields.String()
    reason = fields.String()


class CampaignCheckSchema(Schema):
    ok = fields.Boolean(metadata={"description": "Whether a send would be accepted."})
    audience = fields.Integer(metadata={"description": "Contacts in the audience."})
    opted_out = fields.Integer(metadata={"description": "Would be skipped."})
    unfit = fields.Integer(
        metadata={"description": "Whose values do not fit: would be failed."}
    )
    sendable = fields.Integer()
    checked = fields.Integer(
        metadata={"description": "Contacts whose values were checked."}
    )
    problems = fields.List(fields.Nested(CampaignProblemSchema))
    unfit_examples = fields.List(fields.Nested(UnfitContactSchema))
