from marshmallow import Schema, fields, validate

from wfb.accounts.models import TEAM_ROLES
from wfb.paging import PageSchema

_password = validate.Length(8, 200)


class SignupSchema(Schema):
    organization_name = fields.String(required=True, validate=validate.Length(1, 200))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=_password)


class LoginSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True)


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    org_id = fields.Integer(allow_none=True)


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    user = fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True)


class ResetPasswordSchema(Schema):
    token = fields.String(
        required=True, load_only=True, validate=validate.Length(1, 200)
    )
    password = fields.String(required=True, load_only=True, validate=_password)


class MessageSchema(Schema):
    message = fields.String()


class InviteSchema(Schema):
    email = fields.Email(required=True)
    role = fields.String(required=True, validate=validate.OneOf(TEAM_ROLES))


class RoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(TEAM_ROLES))


class InvitationSchema(Schema):
    email = fields.String()
    role = fields.String()
    status = fields.String()
    invited_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class InvitationPageSchema(PageSchema):
    items = fields.List(fields.Nested(InvitationSchema))


class TeamUserSchema(UserSchema):
    created_at = fields.DateTime()


class TeamSchema(PageSchema):
    items = fields.List(
        fields.Nested(TeamUserSchema),
        metadata={"description": "The org's users, in the order they joined."},
    )
    invitations = fields.List(
        fields.Nested(InvitationSchema),
        metadata={"description": "Pending invitations, oldest first."},
    )
