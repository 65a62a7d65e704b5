"""Contacts: finding, creating, changing and choosing them, one org at a time.

Opting out: a contact who sent STOP, or whom anyone who edits contacts marks so, is
skipped by campaigns. Only an admin may clear the mark, as sending again needs the
customer's consent, and the audit log records who did; an opted-out contact cannot be
deleted, which would let the number be imported again without the mark.

Sales users see only the contacts of the conversations assigned to them.
"""

import logging
import re

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from wfb.accounts.models import Org, User
from wfb.audit import record
from wfb.contacts import rules
from wfb.contacts.models import Contact
from wfb.contacts.tags import has_any_tag, has_tag
from wfb.conversations.models import Conversation
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.models_base import utcnow
from wfb.phones import e164
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

_NOT_DIGITS = re.compile(r"\D+")
FICTIONAL_NUMBERS = "+1___55501__"


class ContactError(DomainError):
    """A contact change that cannot be made; `.status` is its HTTP status."""

    status = 422


def audience_query(org_id: int, audience: dict) -> Select:
    """A SELECT of the org's contacts a campaign audience names, ordered by id.

    `audience` is one of {"contact_ids": [...]}, {"tags": [...]} (contacts with any of
    the tags) or {"all": true}. Opted-out contacts are included; the sender decides
    what to do with them. Numbers set aside for fiction in North America (555-0100
    to 555-0199, which the flow preview writes from) reach nobody and are left out.
    """
    query = scoped(Contact, org_id).where(~Contact.phone.like(FICTIONAL_NUMBERS))
    query = query.order_by(Contact.id)
    if audience.get("all") is True:
        return query
    if "contact_ids" in audience:
        ids = [i for i in audience["contact_ids"] if _is_id(i)]
        return query.where(Contact.id.in_(ids))
    if "tags" in audience:
        tags = [t for t in audience["tags"] if isinstance(t, str)]
        return query.where(has_any_tag(Contact.tags, tags))
    raise ContactError("An audience is contact_ids, tags or all: true.")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def visible(user: User, org_id: int) -> Select:
    """A SELECT of the org's contacts this user may see."""
    query = scoped(Contact, org_id)
    if user.role == "sales":
        theirs = select(Conversation.contact_id).where(
            Conversation.org_id == org_id, Conversation.assigned_user_id == user.id
        )
        query = query.where(Contact.id.in_(theirs))
    return query


def get_visible(user: User, org_id: int, contact_id: int) -> Contact:
    """The contact with this id that the user may see, or a 404."""
    contact = db.session.scalar(visible(user, org_id).where(Contact.id == contact_id))
    if contact is None:
        raise ContactError(f"No contact with id {contact_id}.", 404)
    return contact


def search(user: User, org_id: int, q: str | None = None, tags=()) -> Select:
    """A SELECT of the contacts the user may see, newest first, whose name or phone
    holds `q` and that have every one of `tags`."""
    query = visible(user, org_id).order_by(Contact.id.desc())
    q = (q or "").strip()
    if q:
        found = [Contact.name.ilike(f"%{_escape(q)}%", escape="\\")]
        digits = _NOT_DIGITS.sub("", q)
        if digits:
            found.append(Contact.phone.contains(digits, autoescape=True))
        query = query.where(or_(*found))
    for tag in tags:
        query = query.where(has_tag(Contact.tags, tag))
    return query


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def org_region(org_id: int) -> str:
    """The country a number written without one is read in."""
    return db.session.get(Org, org_id).default_country or "IN"


def normalize_phone(raw: str, region: str) -> str:
    """`raw` in E.164, or a 422 that says why it is not a phone number."""
    number = e164(raw, region)
    if number is None:
        message = phone_problem(raw, region)
        raise ContactError(message, errors={"json": {"phone": [message]}})
    return number


def phone_problem(raw: str, region: str) -> str:
    """Why `raw`, which `e164` refused, is not a phone number."""
    if rules.looks_scientific(raw):
        return (
            f"“{raw}” is a number in scientific notation, which has lost its last "
            "digits: format the phone column as text in your spreadsheet."
        )
    return (
        f"“{raw}” is not a valid phone number; one without + and a country code is "
        f"read in the organization's country ({region})."
    )


def create(org_id: int, data: dict, by: User | None = None) -> Contact:
    """A new contact; 409 when the org has one with the same number."""
    phone = normalize_phone(data["phone"], org_region(org_id))
    _check_free(org_id, phone)
    contact = Contact(
        org_id=org_id,
        phone=phone,
        name=data.get("name", ""),
        tags=rules.clean_tags(data.get("tags", [])),
        attributes=dict(data.get("attributes", {})),
    )
    if data.get("opted_out"):
        _opt_out(contact, by)

    db.session.add(contact)
    _commit(phone)
    logger.info("org %s added contact %s", org_id, contact.id)
    return contact


def update(contact: Contact, changes: dict, by: User) -> Contact:
    """Change the fields given; an opt-out is cleared only by an admin."""
    if "opted_out" in changes:
        _change_opt_out(contact, changes["opted_out"], by)
    if "phone" in changes:
        phone = normalize_phone(changes["phone"], org_region(contact.org_id))
        if phone != contact.phone:
            _check_free(contact.org_id, phone)
        contact.phone = phone
    for key in ("name", "attributes"):
        if key in changes:
            setattr(contact, key, changes[key])
    if "tags" in changes:
        contact.tags = rules.clean_tags(changes["tags"])

    _commit(contact.phone)
    logger.info("org %s changed contact %s", contact.org_id, contact.id)
    return contact


def change_tags(contact: Contact, add=(), remove=()) -> Contact:
    """Add and remove tags; a tag both added and removed ends up removed."""
    if not add and not remove:
        message = "Give a tag to add or to remove."
        raise ContactError(message, errors={"json": {"add": [message]}})
    tags = rules.merge_tags(contact.tags or [], rules.clean_tags(add))
    gone = set(rules.clean_tags(remove))
    tags = [tag for tag in tags if tag not in gone]
    problem = rules.tags_problem(tags)
    if problem:
        raise ContactError(problem, errors={"json": {"add": [problem]}})

    contact.tags = tags
    db.session.commit()
    return contact


def delete(contact: Contact, by: User) -> None:
    """Delete a contact, and its conversations with it; an opted-out one is kept."""
    if contact.opted_out:
        raise ContactError(
            "This contact opted out, and is kept so that the opt-out lasts. An admin "
            "can clear the opt-out first.",
            409,
        )
    record("contact.deleted", contact.org_id, by, contact.phone, contact_id=contact.id)
    db.session.delete(contact)
    db.session.commit()
    logger.info("org %s deleted contact %s", contact.org_id, contact.id)


def _change_opt_out(contact: Contact, opted_out: bool, by: User) -> None:
    if opted_out and not contact.opted_out:
        _opt_out(contact, by)
    elif not opted_out and contact.opted_out:
        if by.role != "admin":
            raise ContactError(
                "Only an admin can clear an opt-out: the customer asked for no "
                "messages.",
                403,
            )
        contact.opted_out = False
        contact.opted_out_at = None
        record("contact.opt_out_cleared", contact.org_id, by, contact.phone)


def _opt_out(contact: Contact, by: User | None) -> None:
    contact.opted_out = True
    contact.opted_out_at = utcnow()
    record("contact.opted_out", contact.org_id, by, contact.phone)


def _check_free(org_id: int, phone: str) -> None:
    taken = db.session.scalar(
        scoped(Contact, org_id)
        .with_only_columns(Contact.id)
        .where(Contact.phone == phone)
    )
    if taken is not None:
        _taken(phone, taken)


def _taken(phone: str, contact_id: int | None = None):
    which = f" (id {contact_id})" if contact_id else ""
    message = f"A contact with the phone number {phone} already exists{which}."
    raise ContactError(message, 409, errors={"json": {"phone": [message]}})


def _commit(phone: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Another request saved the same number between the check and now.
        db.session.rollback()
        _taken(phone)
