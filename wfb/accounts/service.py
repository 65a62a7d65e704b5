"""Accounts: signing up (into a new org or the org that invited the email), logging
in and out, and issuing tokens."""

import functools
import logging

from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from wfb.accounts.models import Invitation, Org, User
from wfb.audit import record
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Wrong email or password."
EMAIL_TAKEN = "An account with this email already exists."


class AccountError(DomainError):
    """A signup or login that cannot go through; `.message` says why."""

    status = 401


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    email = normalize_email(email)
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def signup(organization_name: str, name: str, email: str, password: str) -> User:
    """A new user: in the org that invited the email with the invited role, or else
    the first admin of a new org."""
    email = normalize_email(email)
    if find_user(email):
        raise AccountError(EMAIL_TAKEN, 409)
    invitation = pending_invitation(email)

    if invitation is None:
        user = create_org_with_admin(organization_name, name, email, password)
        record("org.signed_up", user.org_id, user, user.email, org_name=user.org.name)
    else:
        user = join(invitation, name, password)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone signed up with the same email in the same instant.
        db.session.rollback()
        raise AccountError(EMAIL_TAKEN, 409) from None
    logger.info("user %s signed up in org %s as %s", user.id, user.org_id, user.role)
    return user


def pending_invitation(email: str) -> Invitation | None:
    """The oldest pending invitation of this email by an active org."""
    query = (
        select(Invitation)
        .join(Org, Org.id == Invitation.org_id)
        .where(
            Invitation.email == normalize_email(email),
            Invitation.status == "pending",
            Org.status == "active",
        )
        .order_by(Invitation.id)
    )
    return db.session.scalars(query).first()


def join(invitation: Invitation, name: str, password: str) -> User:
    user = User(
        org_id=invitation.org_id,
        name=name,
        email=invitation.email,
        role=invitation.role,
    )
    user.set_password(password)
    invitation.status = "accepted"
    invitation.accepted_at = utcnow()
    db.session.add(user)
    db.session.flush()
    record("invitation.accepted", user.org_id, user, user.email, role=user.role)
    return user


def create_org_with_admin(org_name: str, name: str, email: str, password: str) -> User:
    org = Org(name=org_name)
    user = User(org=org, name=name, email=normalize_email(email), role="admin")
    user.set_password(password)
    db.session.add_all([org, user])
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The org user with these credentials, in an active org; every attempt is
    audited. Raises `AccountError` otherwise."""
    user = verified_user(email, password)
    if user.role == "super_admin":
        failed_login(email, user, "super admin on the org login")
        raise AccountError("Super admins log in at /super-admin/login.")
    if not user.org.active:
        failed_login(email, user, f"organization {user.org.status}")
        raise AccountError("This organization is not active.", 403)

    record("login.succeeded", user.org_id, user, user.email)
    db.session.commit()
    return user


def verified_user(email: str, password: str) -> User:
    """The user with this email and password, or `AccountError` (audited)."""
    user = find_user(email)
    # An unknown email costs as long as a wrong password, so timing tells nothing.
    stored = user.password_hash if user else _unknown_user_hash()
    if not check_password_hash(stored, password) or user is None:
        failed_login(email, user, "wrong credentials")
        raise AccountError(WRONG_CREDENTIALS)
    return user


@functools.cache
def _unknown_user_hash() -> str:
    return generate_password_hash("no account has this password")


def failed_login(email: str, user: User | None, reason: str) -> None:
    org_id = user.org_id if user else None
    record("login.failed", org_id, None, normalize_email(email), reason=reason)
    db.session.commit()
    logger.info("login refused for user %s: %s", user.id if user else "-", reason)


def logout(user: User) -> None:
    """End every token issued to the user so far."""
    user.token_version += 1
    record("logout", user.org_id, user, user.email)
    db.session.commit()


def issue_tokens(user: User) -> dict:
    return {
        "access_token": create_access_token(identity=user),
        "refresh_token": create_refresh_token(identity=user),
        "user": user,
    }
