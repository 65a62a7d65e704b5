from marshmallow import Schema, fields

from wfb.paging import PageArgsSchema, PageSchema


class AuditEventSchema(Schema):
    id = fields.Integer()
    org_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_email = fields.Function(
        lambda event: event.actor.email if event.actor else None, allow_none=True
    )
    action = fields.String()
    target = fields.String()
    details = fields.Dict()
    ip = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))


class AuditQueryArgsSchema(PageArgsSchema):
    org_id = fields.Integer(
        load_default=None, metadata={"description": "Only this org's events."}
    )
