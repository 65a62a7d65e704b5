"""Filtering contacts by tag without a tags table: one SQL test per dialect.

A contact's tags are a JSON list in one column. `has_tag(Contact.tags, "vip")` is a
boolean SQL expression true when the list holds that exact string; it compiles to
`json_each` on SQLite and to the jsonb `?` operator on PostgreSQL.
"""

from sqlalchemy import Boolean, Select, bindparam, cast, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from wfb.contacts.models import Contact


class _HasTag(ColumnElement):
    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("tag", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, tag: str):
        self.column = column
        self.tag = bindparam(None, tag, unique=True)


def has_tag(column, tag: str) -> ColumnElement:
    """True where the JSON list in `column` contains the string `tag`."""
    return _HasTag(column, tag)


def has_any_tag(column, tags: list[str]) -> ColumnElement:
    """True where the JSON list in `column` contains at least one of `tags`."""
    if not tags:
        return ~true()
    return or_(*(has_tag(column, tag) for tag in tags))


@compiles(_HasTag)
def _has_tag_default(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    tag = compiler.process(element.tag, **kw)
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {tag})"


@compiles(_HasTag, "postgresql")
def _has_tag_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    tag = compiler.process(element.tag, **kw)
    return f"(CAST({column} AS jsonb) ? {tag})"


def tag_counts(org_id: int, dialect: str, limit: int = 200) -> Select:
    """A SELECT of (tag, contacts with it) for the org's most used tags."""
    if dialect == "postgresql":
        each = func.jsonb_array_elements_text(cast(Contact.tags, JSONB))
        tag = each.table_valued("value").lateral()
    else:
        # SQLite has no LATERAL; its table-valued functions see the tables before.
        tag = func.json_each(Contact.tags).table_valued("value")
    count = func.count().label("uses")
    return (
        select(tag.c.value, count)
        .select_from(Contact)
        .join(tag, true())
        .where(Contact.org_id == org_id)
        .group_by(tag.c.value)
        .order_by(count.desc(), tag.c.value)
        .limit(limit)
    )
