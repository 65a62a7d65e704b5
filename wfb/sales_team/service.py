"""The org's sales team: people who take over conversations, each with a phone in
E.164 and optionally linked to a user with the sales role."""

import logging

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from wfb.accounts.models import Org, User
from wfb.accounts.service import normalize_email
from wfb.audit import record
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.phones import e164
from wfb.sales_team.models import SalesMember
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

TAKEN = "A member with this email, phone or user is already on the sales team."


class SalesTeamError(DomainError):
    """A sales team change that cannot be made; `.status` is its HTTP status."""

    status = 422


def team(org_id: int, viewer: User | None = None):
    """A SELECT of the org's members in the order they were added; a sales user
    sees only the members linked to them."""
    query = scoped(SalesMember, org_id).order_by(SalesMember.id)
    if viewer is not None and viewer.role == "sales":
        query = query.where(SalesMember.user_id == viewer.id)
    return query


def members(org_id: int, viewer: User | None = None) -> list[SalesMember]:
    return list(db.session.scalars(team(org_id, viewer)))


def add(
    org_id: int,
    name: str,
    email: str,
    phone: str,
    user_id: int | None = None,
    active: bool = True,
    by: User | None = None,
) -> SalesMember:
    """Add a member; the phone is stored in E.164 in the org's default country."""
    org = db.session.get(Org, org_id)
    number = e164(phone, org.default_country)
    if number is None:
        raise SalesTeamError(
            "Not a valid phone number.",
            errors={"json": {"phone": ["Not a valid phone number."]}},
        )
    if user_id is not None:
        _check_linkable(org_id, user_id)
    member = SalesMember(
        org_id=org_id,
        name=name,
        email=normalize_email(email),
        phone=number,
        user_id=user_id,
        active=active,
    )
    if _taken(member):
        raise SalesTeamError(TAKEN, 409)

    db.session.add(member)
    db.session.flush()
    record("sales_member.added", org_id, by, member.email, member_id=member.id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SalesTeamError(TAKEN, 409) from None
    logger.info("sales member %s added to org %s", member.id, org_id)
    return member


def _check_linkable(org_id: int, user_id: int) -> None:
    user = db.session.scalar(scoped(User, org_id).where(User.id == user_id))
    if user is None:
        raise SalesTeamError(f"No user with id {user_id}.", 404)
    if user.role != "sales":
        raise SalesTeamError(
            "Only a user with the sales role can be linked.",
            errors={"json": {"user_id": ["The user's role is not sales."]}},
        )


def _taken(member: SalesMember) -> bool:
    same = [SalesMember.email == member.email, SalesMember.phone == member.phone]
    if member.user_id is not None:
        same.append(SalesMember.user_id == member.user_id)
    query = scoped(SalesMember, member.org_id).where(or_(*same))
    return db.session.scalar(select(query.exists())) or False


def set_active(org_id: int, member_id: int, active: bool, by: User) -> SalesMember:
    """Give a member new leads in turn again, or stop until told otherwise; the
    conversations they have stay theirs."""
    member = _member(org_id, member_id)
    member.active = active
    action = "sales_member.resumed" if active else "sales_member.paused"
    record(action, org_id, by, member.email, member_id=member_id)
    db.session.commit()
    logger.info("sales member %s of org %s active=%s", member_id, org_id, active)
    return member


def _member(org_id: int, member_id: int) -> SalesMember:
    member = db.session.scalar(team(org_id).where(SalesMember.id == member_id))
    if member is None:
        raise SalesTeamError(f"No sales team member with id {member_id}.", 404)
    return member


def remove(org_id: int, member_id: int, by: User | None = None) -> None:
    member = _member(org_id, member_id)

    db.session.delete(member)
    record("sales_member.removed", org_id, by, member.email, member_id=member_id)
    db.session.commit()
    logger.info("sales member %s removed from org %s", member_id, org_id)
