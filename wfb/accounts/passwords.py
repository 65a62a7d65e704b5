"""Password resets: a single-use link, valid for an hour, mailed to the account.

Only the SHA-256 of a reset token is stored. The mail goes out from a background
task, so asking for a reset answers alike whether or not the email has an account.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update

from wfb import crypto
from wfb.accounts.models import PasswordReset, User
from wfb.accounts.service import find_user
from wfb.accounts.tasks import send_reset_mail
from wfb.audit import record
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)

RESET_LIFETIME = timedelta(hours=1)
RESET_PAGE = "/app/reset-password?token={token}"


class ResetError(DomainError):
    """A reset token that is unknown, used or expired."""

    status = 400


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_url() -> str:
    """The dashboard's reset page with `{token}` to fill in, on PUBLIC_URL.

    Without PUBLIC_URL (outside production) the host of the request is used.
    """
    base = current_app.config["SETTINGS"].PUBLIC_URL or request.host_url
    return base.rstrip("/") + RESET_PAGE


def request_reset(email: str, reset_url: str) -> None:
    """Mail a reset link to the account with this email, if there is one.

    `reset_url` is the link with `{token}` where the token goes, for instance
    `https://host/app/reset-password?token={token}`.
    """
    user = find_user(email)
    # Limitation: a known email costs one more row and a queued task than an
    # unknown one, so the answer may come a few milliseconds later.
    if user is None:
        return
    token, now = secrets.token_urlsafe(32), utcnow()

    reset = PasswordReset(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    db.session.add(reset)
    record("password.reset_requested", user.org_id, user, user.email)
    db.session.commit()
    # The queue keeps the token only encrypted, like every other secret at rest.
    send_reset_mail(user.id, crypto.encrypt(token), reset_url)
    logger.info("password reset %s requested for user %s", reset.id, user.id)


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset token; every earlier token of the user ends."""
    reset = db.session.scalar(
        select(PasswordReset)
        .where(PasswordReset.token_hash == token_hash(token))
        .with_for_update()
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise ResetError("This reset link is invalid, used or expired.")
    user = db.session.get(User, reset.user_id)

    user.set_password(password)
    user.token_version += 1
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    record("password.reset", user.org_id, user, user.email)
    db.session.commit()
    logger.info("password of user %s reset with reset %s", user.id, reset.id)
    return user
