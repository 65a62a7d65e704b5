from marshmallow import Schema, fields, validate

from wfb.paging import PageSchema


class SalesMemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    email = fields.Email(required=True)
    phone = fields.String(
        required=True,
        validate=validate.Length(3, 40),
        metadata={"description": "Stored in E.164 (+919876543210)."},
    )
    user_id = fields.Integer(
        allow_none=True,
        load_default=None,
        metadata={"description": "A user of the org with the sales role."},
    )
    created_at = fields.DateTime(dump_only=True)


class SalesMemberPageSchema(PageSchema):
    items = fields.List(fields.Nested(SalesMemberSchema))
