"""Request and response bodies of /flows; the structure's rules live in validation."""

from marshmallow import EXCLUDE, Schema, fields, validate

from wfb.paging import PageSchema

EXPORT_FORMAT = "wfb-flow"


class FlowSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    trigger = fields.Dict(required=True)
    active = fields.Boolean(load_default=True)
    version = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The published version that runs; null before any."},
    )
    draft_changed = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether the draft differs from what runs."},
    )
    phone_number_ids = fields.List(
        fields.Integer(),
        dump_only=True,
        metadata={"description": "The org's phone numbers that answer with it."},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class FlowSchema(FlowSummarySchema):
    """A flow with its draft's whole structure, as section 5 of the design shows it."""

    class Meta:
        # A flow read with GET, or exported, can be sent back as it is: read-only
        # fields are dropped.
        unknown = EXCLUDE

    nodes = fields.List(fields.Dict(), required=True)
    edges = fields.List(fields.Dict(), required=True)
    publish = fields.Boolean(
        load_only=True,
        load_default=True,
        metadata={"description": "Publish the new flow as version 1 at once."},
    )


class FlowUpdateSchema(Schema):
    """Any part of the draft; the result is checked as a whole."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(1, 200))
    trigger = fields.Dict()
    nodes = fields.List(fields.Dict())
    edges = fields.List(fields.Dict())
    active = fields.Boolean()


class FlowPageSchema(PageSchema):
    items = fields.List(fields.Nested(FlowSummarySchema))


class StructureSchema(Schema):
    """A structure to check without saving it."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String()
    trigger = fields.Dict(required=True)
    nodes = fields.List(fields.Dict(), required=True)
    edges = fields.List(fields.Dict(), required=True)


class ProblemSchema(Schema):
    node = fields.String(
        allow_none=True,
        metadata={"description": "The node at fault, if any."},
    )
    rule = fields.String()
    message = fields.String()


class CheckSchema(Schema):
    valid = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemSchema))


class PublishSchema(Schema):
    note = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "What changed, for the version list."},
    )


class PublisherSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class VersionSchema(Schema):
    number = fields.Integer()
    note = fields.String(allow_none=True)
    published_at = fields.DateTime(attribute="created_at")
    published_by = fields.Nested(PublisherSchema, allow_none=True)
    current = fields.Boolean()


class VersionStructureSchema(VersionSchema):
    trigger = fields.Dict()
    nodes = fields.List(fields.Dict())
    edges = fields.List(fields.Dict())


class VersionPageSchema(PageSchema):
    items = fields.List(fields.Nested(VersionSchema))


class AnalyticsArgsSchema(Schema):
    version = fields.Integer(
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "A version's number; the current one if none."},
    )


class NodeCountsSchema(Schema):
    id = fields.String()
    type = fields.String()
    reached = fields.Integer(metadata={"description": "Sessions that ran the node."})
    waiting = fields.Integer(metadata={"description": "Sessions waiting at it now."})
    stopped = fields.Integer(metadata={"description": "Sessions that ended at it."})


class AnalyticsSchema(Schema):
    version = fields.Integer()
    sessions = fields.Integer()
    completed = fields.Integer()
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer())
    nodes = fields.List(fields.Nested(NodeCountsSchema))


class ExportSchema(Schema):
    """A flow as a file, for importing with `POST /flows` into any org."""

    format = fields.Constant(EXPORT_FORMAT)
    format_version = fields.Constant(1)
    name = fields.String()
    trigger = fields.Dict()
    nodes = fields.List(fields.Dict())
    edges = fields.List(fields.Dict())


class NumbersSchema(Schema):
    phone_number_ids = fields.List(
        fields.Integer(validate=validate.Range(1, 2**31 - 1)),
        required=True,
        validate=validate.Length(max=1000),
    )
