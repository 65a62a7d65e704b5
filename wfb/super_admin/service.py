"""The platform's operator: figures, organizations and their admins.

A super admin belongs to no org. Suspending or deleting an org locks its users out
(see `wfb.tenancy.load_user`) and drops its webhooks; deleting is soft.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, or_, select

from wfb.accounts import service as accounts
from wfb.accounts.models import ORG_STATUSES, Org, User
from wfb.audit import record
from wfb.conversations.models import Message
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.models_base import utcnow
from wfb.paging import page_of
from wfb.phone_numbers.models import PhoneNumber

logger = logging.getLogger(__name__)

SETTABLE_STATUSES = ("active", "suspended")


class SuperAdminError(DomainError):
    """A platform change that cannot be made; `.status` is its HTTP status."""

    status = 409


def _no_billing() -> dict:
    return {"active_subscriptions": 0, "revenue": 0}


_billing_figures: Callable[[], dict] = _no_billing


def use_billing_figures(source: Callable[[], dict]) -> None:
    """Let billing supply `active_subscriptions` and `revenue` (paise of paid
    invoices) to the dashboard figures; both are 0 until it does."""
    global _billing_figures
    _billing_figures = source


def figures() -> dict:
    """The platform at a glance: orgs by status, users, recent messages, billing."""
    counted = select(Org.status, func.count()).group_by(Org.status)
    by_status = dict(db.session.execute(counted).all())
    organizations = {status: by_status.get(status, 0) for status in ORG_STATUSES}
    organizations["total"] = sum(organizations.values())

    return {
        "organizations": organizations,
        "users": _count(User, User.org_id.is_not(None)),
        "messages_last_30_days": _count(Message, _last_30_days()),
        **_billing_figures(),
    }


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _last_30_days():
    return Message.created_at >= utcnow() - timedelta(days=30)


def organizations(
    search: str | None, page: int, page_size: int, status: str | None = None
) -> tuple[list[dict], int]:
    """A page of orgs, oldest first, found by name, id or a user's email; deleted
    orgs appear only when `status` asks for them."""
    query = select(Org).order_by(Org.id)
    if status:
        query = query.where(Org.status == status)
    else:
        query = query.where(Org.status != "deleted")
    if search:
        query = query.where(_matching(search.strip()))

    orgs, total = page_of(query, page, page_size)
    users = _users_per_org([org.id for org in orgs])
    return [summary(org, users.get(org.id, 0)) for org in orgs], total


def _matching(search: str):
    escaped = search.lower().replace("\\", "\\\\").replace("%", r"\%")
    pattern = "%" + escaped.replace("_", r"\_") + "%"
    emails = select(User.org_id).where(
        func.lower(User.email).like(pattern, escape="\\")
    )
    clauses = [func.lower(Org.name).like(pattern, escape="\\"), Org.id.in_(emails)]
    if search.isdigit():
        clauses.append(Org.id == int(search))
    return or_(*clauses)


def _users_per_org(org_ids: list[int]) -> dict[int, int]:
    query = (
        select(User.org_id, func.count())
        .where(User.org_id.in_(org_ids))
        .group_by(User.org_id)
    )
    return dict(db.session.execute(query).all())


def summary(org: Org, users: int) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "status": org.status,
        "default_country": org.default_country,
        "created_at": org.created_at,
        "deleted_at": org.deleted_at,
        "users": users,
    }


def organization(org_id: int) -> dict:
    """One org with its admins and what it uses."""
    org = _org(org_id)
    admins = db.session.scalars(
        select(User)
        .where(User.org_id == org_id, User.role == "admin")
        .order_by(User.id)
    ).all()
    return {
        **summary(org, _users_per_org([org_id]).get(org_id, 0)),
        "admins": admins,
        "phone_numbers": _count(PhoneNumber, PhoneNumber.org_id == org_id),
        "messages_last_30_days": _count(
            Message, Message.org_id == org_id, _last_30_days()
        ),
    }


def _org(org_id: int) -> Org:
    org = db.session.get(Org, org_id)
    if org is None:
        raise SuperAdminError(f"No organization with id {org_id}.", 404)
    return org


def create_org(
    name: str,
    admin_name: str,
    admin_email: str,
    admin_password: str,
    by: User | None = None,
) -> Org:
    """A new active org with its first admin."""
    if accounts.find_user(admin_email):
        raise SuperAdminError(accounts.EMAIL_TAKEN)
    user = accounts.create_org_with_admin(name, admin_name, admin_email, admin_password)

    record("org.created", user.org_id, by, name)
    record("admin.created", user.org_id, by, user.email)
    db.session.commit()
    logger.info("org %s created with admin %s", user.org_id, user.id)
    return user.org


def set_status(org_id: int, status: str, by: User | None) -> Org:
    """Suspend or activate an org; activating a deleted org restores it."""
    if status not in SETTABLE_STATUSES:
        raise SuperAdminError("The status must be active or suspended.", 422)
    org = _org(org_id)
    if org.status == status:
        return org

    previous, org.status = org.status, status
    org.deleted_at = None
    action = "org.activated" if status == "active" else "org.suspended"
    record(action, org.id, by, org.name, previous=previous)
    db.session.commit()
    logger.info("org %s is now %s (was %s)", org.id, status, previous)
    return org


def soft_delete(org_id: int, by: User | None) -> Org:
    """Mark an org deleted: its rows stay, its users and webhooks are refused."""
    org = _org(org_id)
    if org.status == "deleted":
        return org

    previous, org.status, org.deleted_at = org.status, "deleted", utcnow()
    record("org.deleted", org.id, by, org.name, previous=previous)
    db.session.commit()
    logger.info("org %s deleted (was %s)", org.id, previous)
    return org


def create_admin(
    org_id: int, name: str, email: str, password: str, by: User | None = None
) -> User:
    """A new admin user in an existing org that is not deleted."""
    org = _org(org_id)
    if org.status == "deleted":
        raise SuperAdminError("This organization is deleted.")
    if accounts.find_user(email):
        raise SuperAdminError(accounts.EMAIL_TAKEN)
    user = User(
        org_id=org.id, name=name, email=accounts.normalize_email(email), role="admin"
    )
    user.set_password(password)

    db.session.add(user)
    db.session.flush()
    record("admin.created", org.id, by, user.email)
    db.session.commit()
    logger.info("admin %s created in org %s", user.id, org.id)
    return user


def create_super_admin(email: str, name: str, password: str) -> User:
    """A platform operator, who belongs to no org."""
    if accounts.find_user(email):
        raise SuperAdminError(accounts.EMAIL_TAKEN)
    user = User(
        org_id=None,
        name=name,
        email=accounts.normalize_email(email),
        role="super_admin",
    )
    user.set_password(password)

    db.session.add(user)
    db.session.flush()
    record("super_admin.created", None, None, user.email)
    db.session.commit()
    logger.info("super admin %s created", user.id)
    return user


def authenticate_super_admin(email: str, password: str) -> User:
    """The super admin with these credentials; anyone else gets `AccountError`."""
    user = accounts.verified_user(email, password)
    if user.role != "super_admin":
        accounts.failed_login(email, user, "not a super admin")
        raise accounts.AccountError(accounts.WRONG_CREDENTIALS)

    record("login.succeeded", None, user, user.email, super_admin=True)
    db.session.commit()
    return user
