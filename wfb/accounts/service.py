"""Creating orgs and users, and issuing their tokens."""

from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import func, select

from wfb.accounts.models import Org, User
from wfb.extensions import db


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    email = normalize_email(email)
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def create_org_with_admin(org_name: str, name: str, email: str, password: str) -> User:
    org = Org(name=org_name)
    user = User(org=org, name=name, email=normalize_email(email), role="admin")
    user.set_password(password)
    db.session.add_all([org, user])
    db.session.flush()
    return user


def issue_tokens(user: User) -> dict:
    return {
        "access_token": create_access_token(identity=user),
        "refresh_token": create_refresh_token(identity=user),
        "user": user,
    }
