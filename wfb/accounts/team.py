"""An org's team: invitations by email with a role, its users, and their roles.

An org always keeps at least one admin.
"""

import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from wfb.accounts.models import TEAM_ROLES, Invitation, Org, User
from wfb.accounts.service import find_user, normalize_email
from wfb.audit import record
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.sales_team.models import SalesMember
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)


class TeamError(DomainError):
    """A team change that cannot be made; `.status` is its HTTP status."""

    status = 409


def _check_role(role: str) -> None:
    if role not in TEAM_ROLES:
        choices = ", ".join(TEAM_ROLES)
        raise TeamError(
            f"The role must be one of {choices}.",
            422,
            errors={"json": {"role": [f"Must be one of: {choices}."]}},
        )


def invite(org_id: int, email: str, role: str, by: User | None) -> Invitation:
    """Put an email on the org's access list with a role, or change its role."""
    _check_role(role)
    email = normalize_email(email)
    if find_user(email):
        raise TeamError("This email already has an account.")
    invitation = db.session.scalar(
        scoped(Invitation, org_id).where(Invitation.email == email)
    )

    if invitation is None:
        invitation = Invitation(org_id=org_id, email=email)
        db.session.add(invitation)
    invitation.role = role
    invitation.status = "pending"
    invitation.accepted_at = None
    invitation.invited_by_id = getattr(by, "id", None)
    record("invitation.created", org_id, by, email, role=role)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TeamError("This email was invited at the same moment.") from None
    logger.info("org %s invited a %s (invitation %s)", org_id, role, invitation.id)
    return invitation


def revoke(org_id: int, email: str, by: User | None) -> None:
    """Take a pending invitation off the org's access list."""
    email = normalize_email(email)
    invitation = db.session.scalar(
        scoped(Invitation, org_id).where(
            Invitation.email == email, Invitation.status == "pending"
        )
    )
    if invitation is None:
        raise TeamError(f"No pending invitation for {email}.", 404)

    db.session.delete(invitation)
    record("invitation.revoked", org_id, by, email, role=invitation.role)
    db.session.commit()


def pending_invitations(org_id: int):
    """A SELECT of the org's pending invitations, oldest first."""
    return (
        scoped(Invitation, org_id)
        .where(Invitation.status == "pending")
        .order_by(Invitation.id)
    )


def invitations(org_id: int) -> list[Invitation]:
    return list(db.session.scalars(pending_invitations(org_id)))


def team_users(org_id: int):
    """A SELECT of the org's users in the order they joined."""
    return scoped(User, org_id).order_by(User.id)


def members(org_id: int) -> list[User]:
    return list(db.session.scalars(team_users(org_id)))


def change_role(org_id: int, user_id: int, role: str, by: User | None) -> User:
    """Give one of the org's users another role; the last admin stays an admin."""
    _check_role(role)
    # Role changes in one org wait for each other, so two admins demoting each
    # other at once cannot leave the org without one.
    db.session.execute(select(Org.id).where(Org.id == org_id).with_for_update())
    user = db.session.scalar(team_users(org_id).where(User.id == user_id))
    if user is None:
        raise TeamError(f"No user with id {user_id}.", 404)
    if user.role == role:
        return user
    if user.role == "admin" and _admins(org_id) == 1:
        raise TeamError("The organization must keep at least one admin.")

    previous, user.role = user.role, role
    if previous == "sales":
        _unlink_sales_member(org_id, user.id)
    record("user.role_changed", org_id, by, user.email, previous=previous, role=role)
    db.session.commit()
    logger.info("user %s of org %s is now %s", user.id, org_id, role)
    return user


def _admins(org_id: int) -> int:
    query = select(func.count()).where(User.org_id == org_id, User.role == "admin")
    return db.session.scalar(query)


def _unlink_sales_member(org_id: int, user_id: int) -> None:
    # A sales team member is linked only to a user with the sales role.
    db.session.execute(
        update(SalesMember)
        .where(SalesMember.org_id == org_id, SalesMember.user_id == user_id)
        .values(user_id=None)
    )
