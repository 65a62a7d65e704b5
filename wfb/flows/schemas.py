"""Request and response bodies of /flows; the structure's rules live in validation."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wfb.paging import PageSchema


class FlowSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    trigger = fields.Dict(required=True)
    active = fields.Boolean(load_default=True)
    version = fields.Integer(
        dump_only=True, metadata={"description": "The current version's number."}
    )
    phone_number_ids = fields.List(
        fields.Integer(),
        dump_only=True,
        metadata={"description": "The org's phone numbers that answer with it."},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class FlowSchema(FlowSummarySchema):
    """A flow with its whole structure, as section 5 of the design shows it."""

    class Meta:
        # A flow read with GET can be sent back as it is: read-only fields are dropped.
        unknown = EXCLUDE

    nodes = fields.List(fields.Dict(), required=True)
    edges = fields.List(fields.Dict(), required=True)


class FlowUpdateSchema(Schema):
    """Any part of a flow; the result is checked as a whole."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(1, 200))
    trigger = fields.Dict()
    nodes = fields.List(fields.Dict())
    edges = fields.List(fields.Dict())
    active = fields.Boolean()


class FlowPageSchema(PageSchema):
    items = fields.List(fields.Nested(FlowSummarySchema))
