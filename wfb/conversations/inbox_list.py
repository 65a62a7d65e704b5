"""The inbox page's list of conversations: its views, search, number and page, read
from the address and written back into links."""

from flask import url_for

from wfb.conversations import inbox
from wfb.conversations.picker import template_texts
from wfb.conversations.routes import conversation_bodies
from wfb.extensions import db
from wfb.paging import MAX_PAGE, page_of
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import current_org_id, current_user, scoped

PAGE_SIZE = 25
# The list's views, and what each asks of `inbox.listing`.
SHOWS = {
    "all": ("All", {}),
    "unread": ("Unread", {"unread": True}),
    "mine": ("Assigned to me", {"assigned": "me"}),
    "unassigned": ("Unassigned", {"assigned": "none"}),
    "open": ("Open", {"status": "open"}),
    "closed": ("Closed", {"status": "closed"}),
}
LIST_DEFAULTS = {"show": "all", "q": "", "number": None, "page": 1}


def org_numbers() -> list[PhoneNumber]:
    return db.session.scalars(scoped(PhoneNumber).order_by(PhoneNumber.id)).all()


def list_args(values) -> dict:
    """The list's view, search, number and page; anything malformed is dropped."""
    show = values.get("show", "")
    page = values.get("page", type=int) or 1
    number = values.get("number", type=int)
    return {
        "show": show if show in SHOWS else "all",
        "q": values.get("q", "").strip()[:100],
        "number": number if number and 0 < number < 2**31 else None,
        "page": min(max(page, 1), MAX_PAGE),
    }


def list_query(args: dict, **changes) -> dict:
    """The list's arguments as a URL's query, leaving out the defaults."""
    args = {**args, **changes}
    return {key: value for key, value in args.items() if value != LIST_DEFAULTS[key]}


def list_context(args: dict, open_id: int | None) -> dict:
    filters = {**SHOWS[args["show"]][1], "q": args["q"]}
    filters["phone_number_id"] = args["number"]
    query = inbox.listing(current_user(), current_org_id(), filters)
    found, total = page_of(query, args["page"], PAGE_SIZE)
    numbers = org_numbers()
    pages = max(1, -(-total // PAGE_SIZE))
    query_args = list_query(args)
    bodies = conversation_bodies(found)
    template_texts(current_org_id(), [body["last_message"] for body in bodies])
    return {
        "conversations": bodies,
        "pages": pages,
        "args": args,
        "query": query_args,
        "list_url": url_for(
            "inbox_pages.conversation_list", open=open_id, **query_args
        ),
        "newer_url": page_url(args, open_id, args["page"] - 1, pages),
        "older_url": page_url(args, open_id, args["page"] + 1, pages),
        "open_id": open_id,
        "numbers": numbers,
        "number_labels": {n.id: n.label or n.display_phone_number for n in numbers},
    }


def page_url(args: dict, open_id: int | None, page: int, pages: int) -> str | None:
    """The page's address at another page of the list; None past either end."""
    if not 1 <= page <= pages:
        return None
    query_args = list_query(args, page=page)
    if open_id is None:
        return url_for("inbox_pages.inbox", **query_args)
    return url_for("inbox_pages.conversation", conversation_id=open_id, **query_args)
