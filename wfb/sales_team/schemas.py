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
    active = fields.Boolean(
        load_default=True,
        metadata={"description": "Whether the member is given new leads in turn."},
    )
    last_assigned_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class SalesMemberUpdateSchema(Schema):
    active = fields.Boolean(
        required=True,
        metadata={"description": "false: no new leads until it is true again."},
    )


class SalesMemberPageSchema(PageSchema):
    items = fields.List(fields.Nested(SalesMemberSchema))
