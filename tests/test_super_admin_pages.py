"""The super admin's pages: their own login, the figures, and the organizations
(search, paging, suspend and activate, soft delete, create with an admin)."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.pages import HTMX, field_error, html, page_client, post
from tests.roles import SUPER_ADMIN_EMAIL
from wfb.accounts.models import Org, User
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

LOGIN = "/app/super-admin/login"
ORGS = "/app/super-admin/organizations"


@pytest.fixture
def root(app, super_admin):
    return page_client(app, SUPER_ADMIN_EMAIL, path=LOGIN)


def org_names(response) -> list[str]:
    return re.findall(
        r'<tr id="org-\d+">\s*<td>\d+</td>\s*<td>([^<]*)</td>', html(response)
    )


def add_orgs(count: int) -> None:
    db.session.add_all(Org(name=f"Shop {n:02d}") for n in range(1, count + 1))
    db.session.commit()


def test_the_super_admin_logs_in_on_their_own_page(client, super_admin):
    form = {"email": SUPER_ADMIN_EMAIL, "password": PASSWORD}

    response = client.post(LOGIN, data=form)

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/super-admin"
    assert client.get("/app/").headers["Location"] == "/app/super-admin"


def test_an_org_admin_cannot_use_the_super_admin_login(client, admin):
    response = client.post(
        LOGIN, data={"email": "admin@acme.test", "password": PASSWORD}
    )

    assert response.status_code == 401
    assert "Wrong email or password." in html(response)
    assert client.get_cookie("access_token_cookie") is None


def test_figures_count_orgs_by_status_and_users(root, admin, other_admin):
    db.session.scalar(select(Org).where(Org.name == "Bravo Gym")).status = "suspended"
    db.session.commit()

    page = " ".join(html(root.get("/app/super-admin")).split())

    for label, value in (("Active", 1), ("Suspended", 1), ("Deleted", 0), ("All", 2)):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    assert "<dt>Users</dt><dd>2</dd>" in page
    assert "<dt>Revenue (paid invoices)</dt><dd>₹0.00</dd>" in page


def test_organizations_are_searched_by_name_and_answered_as_a_fragment(
    root, admin, other_admin
):
    response = root.get(f"{ORGS}?search=bravo", headers=HTMX)

    assert html(response).startswith('<div id="organizations">')
    assert org_names(response) == ["Bravo Gym"]
    assert "HX-Request" in response.headers["Vary"]
    assert org_names(root.get(f"{ORGS}?search=admin@acme.test")) == ["Acme Salon"]


def test_organizations_come_a_page_at_a_time(root):
    add_orgs(23)

    first = root.get(ORGS)
    second = root.get(f"{ORGS}?page=2")

    assert org_names(first) == [f"Shop {n:02d}" for n in range(1, 21)]
    assert org_names(second) == ["Shop 21", "Shop 22", "Shop 23"]
    assert "Page 1 of 2" in html(first)
    assert 'href="/app/super-admin/organizations?page=2"' in html(first)


def test_suspending_an_org_locks_its_users_out_until_it_is_activated(app, root, admin):
    org = db.session.scalar(select(Org))
    member = page_client(app, "admin@acme.test")

    suspended = post(root, f"{ORGS}/{org.id}/status", status="suspended", page="1")
    refused = member.get("/app/team")
    post(root, f"{ORGS}/{org.id}/status", status="active")

    assert suspended.status_code == 303
    assert suspended.headers["Location"] == ORGS
    assert refused.headers["Location"] == "/app/login?next=/app/team"
    assert db.session.get(Org, org.id).status == "active"
    assert page_client(app, "admin@acme.test").get("/app/team").status_code == 200


def test_a_deleted_org_leaves_the_list_but_is_kept(root, admin):
    org = db.session.scalar(select(Org))

    response = post(root, f"{ORGS}/{org.id}/delete", search="acme")

    assert response.headers["Location"] == f"{ORGS}?search=acme"
    assert db.session.get(Org, org.id).status == "deleted"
    assert org_names(root.get(ORGS)) == []
    assert org_names(root.get(f"{ORGS}?status=deleted")) == ["Acme Salon"]


def test_an_unknown_org_is_not_found(root):
    assert post(root, f"{ORGS}/999/delete").status_code == 404


def test_an_org_is_created_with_an_admin_who_can_log_in(app, root):
    form = {
        "name": "Delta Dental",
        "admin_name": "Dev",
        "admin_email": "dev@delta.test",
        "admin_password": PASSWORD,
    }

    response = post(root, ORGS, **form)

    assert response.status_code == 303
    assert "Delta Dental is created, with dev@delta.test as admin." in html(
        root.get(response.headers["Location"])
    )
    admin = db.session.scalar(select(User).where(User.email == "dev@delta.test"))
    assert (admin.role, admin.org.name) == ("admin", "Delta Dental")
    assert page_client(app, "dev@delta.test").get("/app/team").status_code == 200


def test_a_refused_org_shows_each_error_next_to_its_field(root, admin):
    taken = {
        "name": "Again",
        "admin_name": "A",
        "admin_email": "admin@acme.test",
        "admin_password": PASSWORD,
    }

    invalid = post(root, ORGS, name="", admin_email="x", admin_password="short")
    conflict = post(root, ORGS, **taken)

    assert invalid.status_code == 422
    assert field_error(invalid, "org-name") == "Length must be between 1 and 200."
    assert field_error(invalid, "admin-email") == "Not a valid email address."
    assert field_error(invalid, "admin-password") == "Length must be between 8 and 200."
    assert conflict.status_code == 409
    assert field_error(conflict, "admin-email") == (
        "An account with this email already exists."
    )
    assert db.session.scalar(select(Org.name).where(Org.name == "Again")) is None
