from marshmallow import Schema, fields, validate

from wfb.phone_numbers.models import MAX_RATE


class PhoneNumberSchema(Schema):
    id = fields.Integer(dump_only=True)
    phone_number_id = fields.String(
        required=True,
        validate=validate.Regexp(r"\A[0-9]{1,64}\Z", error="Digits only."),
    )
    display_phone_number = fields.String(
        required=True, validate=validate.Regexp(r"^\+?[\d ()-]{5,32}$")
    )
    label = fields.String(load_default="", validate=validate.Length(max=100))
    flow_id = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1)
    )
    bot_id = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1)
    )
    messages_per_second = fields.Integer(
        load_default=80, validate=validate.Range(1, MAX_RATE)
    )
    is_sandbox = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class PhoneNumberUpdateSchema(PhoneNumberSchema):
    """Any subset of a number's fields (loaded with partial=True)."""


class PhoneNumberOptionSchema(Schema):
    id = fields.Integer()
    display_phone_number = fields.String()
    label = fields.String()
