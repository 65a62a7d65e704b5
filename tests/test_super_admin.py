"""/super-admin: its own login, the first super admin from the CLI, figures, and
organizations listed, created and given admins."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, signup
from tests.roles import SUPER_ADMIN_EMAIL, login
from wfb.accounts.models import Org, User
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.super_admin import service

pytestmark = pytest.mark.usefixtures("app")


def test_cli_creates_a_super_admin_who_logs_in_at_the_super_admin_login(app, client):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=[
            "wfb",
            "create-super-admin",
            "--email",
            "Ops@WFB.test",
            "--name",
            "Ops",
            "--password",
            PASSWORD,
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Super admin ops@wfb.test created" in result.output
    user = db.session.scalar(select(User).where(User.email == "ops@wfb.test"))
    assert (user.role, user.org_id) == ("super_admin", None)
    response = login(client, "ops@wfb.test", path="/super-admin/login")
    assert response.status_code == 200
    assert response.json["user"]["role"] == "super_admin"
    assert response.json["user"]["org_id"] is None


def test_cli_asks_for_the_password_when_not_given(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["wfb", "create-super-admin", "--email", "ops@wfb.test", "--name", "O"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role)) == "super_admin"


def test_cli_refuses_a_taken_email(app, super_admin):
    result = app.test_cli_runner().invoke(
        args=[
            "wfb",
            "create-super-admin",
            "--email",
            SUPER_ADMIN_EMAIL,
            "--name",
            "Again",
            "--password",
            PASSWORD,
        ]
    )

    assert result.exit_code == 1
    assert "An account with this email already exists." in result.output


def test_super_admin_cannot_use_the_org_login(client, super_admin):
    response = login(client, SUPER_ADMIN_EMAIL)

    assert response.status_code == 401
    assert response.json["message"] == "Super admins log in at /super-admin/login."


def test_org_users_cannot_use_the_super_admin_login(client, admin):
    response = login(client, "admin@acme.test", path="/super-admin/login")

    assert response.status_code == 401
    assert response.json["message"] == "Wrong email or password."


def test_org_admins_get_403_on_super_admin_routes(admin):
    assert admin.get("/super-admin/dashboard").status_code == 403
    assert admin.get("/super-admin/organizations").status_code == 403


def add_messages(org_id: int, ages_in_days: list[int]) -> None:
    number = PhoneNumber(
        org_id=org_id, phone_number_id=f"9{org_id}", display_phone_number="1555"
    )
    contact = Contact(org_id=org_id, phone="+919876543210", name="P")
    db.session.add_all([number, contact])
    db.session.flush()
    conversation = Conversation(
        org_id=org_id, phone_number_id=number.id, contact_id=contact.id
    )
    db.session.add(conversation)
    db.session.flush()
    for age in ages_in_days:
        db.session.add(
            Message(
                org_id=org_id,
                conversation_id=conversation.id,
                direction="in",
                type="text",
                status="received",
                created_at=utcnow() - timedelta(days=age),
            )
        )
    db.session.commit()


def test_dashboard_counts_orgs_by_status_users_and_recent_messages(
    client, team, other_admin, super_admin
):
    signup(client, org="Gone", email="admin@gone.test")
    gone = db.session.scalar(select(Org).where(Org.name == "Gone"))
    service.soft_delete(gone.id, None)
    add_messages(team.org_id, [0, 29, 31])

    figures = super_admin.get("/super-admin/dashboard").json

    assert figures == {
        "organizations": {"active": 2, "suspended": 0, "deleted": 1, "total": 3},
        "users": 5,
        "messages_last_30_days": 2,
        "active_subscriptions": 0,
        "revenue": 0,
    }


def test_billing_can_supply_its_figures(super_admin):
    service.use_billing_figures(lambda: {"active_subscriptions": 4, "revenue": 99900})
    try:
        figures = super_admin.get("/super-admin/dashboard").json
    finally:
        service.use_billing_figures(service._no_billing)

    assert (figures["active_subscriptions"], figures["revenue"]) == (4, 99900)


def make_orgs(client, names: list[str]) -> None:
    for name in names:
        signup(
            client, org=name, email=f"admin@{re.sub('[^a-z]', '', name.lower())}.test"
        )


def test_organizations_are_paged_oldest_first_with_user_counts(client, super_admin):
    make_orgs(client, ["Acme", "Bravo", "Charlie"])

    body = super_admin.get("/super-admin/organizations?page=2&page_size=2").json

    assert [(o["name"], o["users"], o["status"]) for o in body["items"]] == [
        ("Charlie", 1, "active")
    ]
    assert (body["total"], body["page"], body["page_size"]) == (3, 2, 2)


def test_organizations_are_searched_by_name_email_or_id(client, super_admin):
    make_orgs(client, ["Acme Salon", "Bravo Gym", "Salon 100%"])
    bravo = db.session.scalar(select(Org.id).where(Org.name == "Bravo Gym"))

    def names(search):
        query = {"search": search}
        items = super_admin.get("/super-admin/organizations", query_string=query)
        return [o["name"] for o in items.json["items"]]

    assert names("salon") == ["Acme Salon", "Salon 100%"]
    assert names("100%") == ["Salon 100%"]
    assert names("admin@bravo") == ["Bravo Gym"]
    assert names(str(bravo)) == ["Bravo Gym"]
    assert names("nothing") == []


def test_deleted_orgs_are_listed_only_when_asked_for(client, super_admin):
    make_orgs(client, ["Acme", "Bravo"])
    bravo = db.session.scalar(select(Org.id).where(Org.name == "Bravo"))
    super_admin.delete(f"/super-admin/organizations/{bravo}")

    listed = super_admin.get("/super-admin/organizations").json
    deleted = super_admin.get("/super-admin/organizations?status=deleted").json

    assert [o["name"] for o in listed["items"]] == ["Acme"]
    assert [(o["name"], o["status"]) for o in deleted["items"]] == [
        ("Bravo", "deleted")
    ]
    assert deleted["items"][0]["deleted_at"] is not None


def test_super_admin_creates_an_org_whose_admin_logs_in(client, super_admin):
    body = {
        "name": "Delta Spa",
        "admin_name": "Dee",
        "admin_email": "dee@delta.test",
        "admin_password": PASSWORD,
    }

    response = super_admin.post("/super-admin/organizations", json=body)

    assert response.status_code == 201
    assert (response.json["name"], response.json["status"]) == ("Delta Spa", "active")
    assert response.json["users"] == 1
    tokens = login(client, "dee@delta.test").json
    assert tokens["user"]["org_id"] == response.json["id"]
    assert tokens["user"]["role"] == "admin"
    assert "password" not in response.get_data(as_text=True)


def test_creating_an_org_with_a_taken_email_answers_409(admin, super_admin):
    body = {
        "name": "Twice",
        "admin_name": "A",
        "admin_email": "admin@acme.test",
        "admin_password": PASSWORD,
    }

    response = super_admin.post("/super-admin/organizations", json=body)

    assert response.status_code == 409


def test_super_admin_adds_an_admin_to_an_org(client, team, super_admin):
    body = {
        "org_id": team.org_id,
        "name": "Second Admin",
        "email": "second@acme.test",
        "password": PASSWORD,
    }

    response = super_admin.post("/super-admin/admins", json=body)

    assert response.status_code == 201
    assert (response.json["org_id"], response.json["role"]) == (team.org_id, "admin")
    assert login(client, "second@acme.test").status_code == 200
    detail = super_admin.get(f"/super-admin/organizations/{team.org_id}").json
    assert [a["email"] for a in detail["admins"]] == [
        "admin@acme.test",
        "second@acme.test",
    ]
    assert detail["users"] == 4


def test_an_admin_for_an_unknown_org_answers_404(super_admin):
    body = {"org_id": 999999, "name": "N", "email": "n@x.test", "password": PASSWORD}

    response = super_admin.post("/super-admin/admins", json=body)

    assert response.status_code == 404
    assert response.json["message"] == "No organization with id 999999."


def test_organization_detail_counts_numbers_and_recent_messages(team, super_admin):
    add_messages(team.org_id, [1, 40])

    detail = super_admin.get(f"/super-admin/organizations/{team.org_id}").json

    assert (detail["phone_numbers"], detail["messages_last_30_days"]) == (1, 1)
    assert detail["name"] == "Acme Salon"
    assert super_admin.get("/super-admin/organizations/999999").status_code == 404
