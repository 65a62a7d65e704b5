"""Who is asking, for which org, and the one way to reach an org's rows.

Every tenant-owned row is read through `scoped` or `get_or_404`, which filter by the
org of the request, so an id from another org is a 404 and never a 403.
"""

import functools

from flask import g
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import abort
from sqlalchemy import select

from wfb.accounts.models import User
from wfb.extensions import db, jwt
from wfb.logs import bind_org


def current_user() -> User:
    return g.user


def current_org_id() -> int:
    org_id = g.get("org_id")
    if org_id is None:
        abort(403, message="This action needs an organization account.")
    return org_id


def scoped(model, org_id: int | None = None):
    """A SELECT of `model` limited to the current org."""
    org_id = current_org_id() if org_id is None else org_id
    return select(model).where(model.org_id == org_id)


def get_or_404(model, row_id, org_id: int | None = None, what: str | None = None):
    """The org's row with this id, or a 404 that does not say whether it exists."""
    row = db.session.scalar(scoped(model, org_id).where(model.id == row_id))
    if row is None:
        name = what or model.__name__.replace("_", " ").lower()
        abort(404, message=f"No {name} with id {row_id}.")
    return row


def login_required(*roles: str):
    """Require a valid token whose user still exists, in an active org, with a role."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            user = load_user(get_jwt())
            if roles and user.role not in roles:
                abort(403, message="Your role does not allow this action.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def load_user(claims: dict) -> User:
    try:
        user = db.session.get(User, int(claims["sub"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        user = None
    if user is None or claims.get("tv") != user.token_version:
        abort(401, message="This token is no longer valid; log in again.")
    if user.org_id is not None and not user.org.active:
        abort(401, message="This organization is not active.")
    g.user = user
    g.org_id = user.org_id
    bind_org(user.org_id or "-")
    return user


@jwt.additional_claims_loader
def _claims(user: User) -> dict:
    return {"org_id": user.org_id, "role": user.role, "tv": user.token_version}


@jwt.user_identity_loader
def _identity(user: User) -> str:
    return str(user.id)
