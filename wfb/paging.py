"""Lists a page at a time: `?page=&page_size=` in, the page's items and total out."""

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from wfb.extensions import db

MAX_PAGE_SIZE = 100
# Far past any real list, and small enough that no offset overflows a database.
MAX_PAGE = 1_000_000


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(
        load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE)
    )


class PageSchema(Schema):
    """What every page carries besides its items (subclasses add `items`)."""

    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


def page_of(query, page: int, page_size: int) -> tuple[list, int]:
    """One page of a SELECT's rows and how many rows it has in all.

    The query's ORDER BY must end on a unique column, so that pages do not overlap.
    """
    counted = query.order_by(None).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted))
    offset = (page - 1) * page_size
    items = db.session.scalars(query.limit(page_size).offset(offset)).all()
    return list(items), total


def page_body(items: list, total: int, args: dict) -> dict:
    return {
        "items": items,
        "total": total,
        "page": args["page"],
        "page_size": args["page_size"],
    }
