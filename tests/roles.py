"""Fixtures for accounts: one logged-in user of each role in org A (made through
invitations and signup, as a real team is), and a super admin."""

from types import SimpleNamespace

import pytest

from tests.conftest import PASSWORD, Api, signup
from wfb.super_admin.service import create_super_admin

SUPER_ADMIN_EMAIL = "root@wfb.test"


def login(client, email: str, password: str = PASSWORD, path="/auth/login"):
    return client.post(path, json={"email": email, "password": password})


def invite(admin: Api, email: str, role: str):
    response = admin.post("/admin/access-list", json={"email": email, "role": role})
    assert response.status_code == 201, response.json
    return response.json


def join(client, email: str) -> dict:
    """Sign up with an invited email; the org's name given is not used."""
    return signup(client, org="Ignored Org Name", email=email)


def invite_and_join(client, admin: Api, email: str, role: str) -> SimpleNamespace:
    invite(admin, email, role)
    tokens = join(client, email)
    return SimpleNamespace(
        api=Api(client, tokens["access_token"]),
        tokens=tokens,
        id=tokens["user"]["id"],
        email=email,
    )


@pytest.fixture
def team(client, admin):
    """Org A's admin, marketing and sales users, each with an API client."""
    me = admin.get("/auth/me").json
    marketing = invite_and_join(client, admin, "mia@acme.test", "marketing")
    sales = invite_and_join(client, admin, "sam@acme.test", "sales")
    return SimpleNamespace(
        org_id=me["org_id"],
        admin=admin,
        admin_id=me["id"],
        marketing=marketing,
        sales=sales,
        by_role={"admin": admin, "marketing": marketing.api, "sales": sales.api},
    )


@pytest.fixture
def super_admin(app, client):
    """An API client for the platform's super admin."""
    create_super_admin(SUPER_ADMIN_EMAIL, "Root Operator", PASSWORD)
    response = login(client, SUPER_ADMIN_EMAIL, path="/super-admin/login")
    assert response.status_code == 200, response.json
    return Api(client, response.json["access_token"])
