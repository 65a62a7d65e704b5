from marshmallow import Schema, fields, validate

from wfb.accounts.models import ORG_STATUSES
from wfb.accounts.schemas import UserSchema
from wfb.paging import PageArgsSchema, PageSchema
from wfb.super_admin.service import SETTABLE_STATUSES

_name = validate.Length(1, 200)
_password = validate.Length(8, 200)


class OrgCountsSchema(Schema):
    active = fields.Integer()
    suspended = fields.Integer()
    deleted = fields.Integer()
    total = fields.Integer()


class FiguresSchema(Schema):
    organizations = fields.Nested(OrgCountsSchema)
    users = fields.Integer(metadata={"description": "Users of every org."})
    messages_last_30_days = fields.Integer()
    active_subscriptions = fields.Integer()
    revenue = fields.Integer(
        metadata={"description": "Paid invoices, in paise; 0 until billing."}
    )


class OrgQueryArgsSchema(PageArgsSchema):
    search = fields.String(
        load_default=None,
        metadata={"description": "Part of the name, a user's email, or the id."},
    )
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(ORG_STATUSES),
        metadata={"description": "Deleted orgs are listed only when asked for."},
    )


class OrgSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String()
    default_country = fields.String()
    created_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)
    users = fields.Integer()


class OrgPageSchema(PageSchema):
    items = fields.List(fields.Nested(OrgSchema))


class OrgDetailSchema(OrgSchema):
    admins = fields.List(fields.Nested(UserSchema))
    phone_numbers = fields.Integer()
    messages_last_30_days = fields.Integer()


class OrgCreateSchema(Schema):
    name = fields.String(required=True, validate=_name)
    admin_name = fields.String(required=True, validate=_name)
    admin_email = fields.Email(required=True)
    admin_password = fields.String(required=True, load_only=True, validate=_password)


class OrgStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(SETTABLE_STATUSES))


class AdminCreateSchema(Schema):
    org_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=_name)
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=_password)
