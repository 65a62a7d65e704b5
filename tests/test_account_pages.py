"""Dashboard account pages: each role reaches its pages and is refused the others;
signing up (also by invitation), resetting a password, and the team page."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.pages import HTMX, field_error, html, page_client, post
from tests.roles import SUPER_ADMIN_EMAIL
from wfb.accounts.models import Invitation, Org, User
from wfb.credentials.models import OpenAIKey
from wfb.extensions import db
from wfb.sales_team.models import SalesMember

pytestmark = pytest.mark.usefixtures("app")

EMAILS = {
    "admin": "admin@acme.test",
    "marketing": "mia@acme.test",
    "sales": "sam@acme.test",
    "super_admin": SUPER_ADMIN_EMAIL,
}
ROLE_REFUSED = "Your role does not allow this page."


@pytest.fixture
def pages(app, team, super_admin):
    """A logged-in dashboard client per role: org A's three and the super admin."""
    clients = {role: page_client(app, EMAILS[role]) for role in team.by_role}
    clients["super_admin"] = page_client(
        app, SUPER_ADMIN_EMAIL, path="/app/super-admin/login"
    )
    return clients


@pytest.fixture
def admin_page(app, admin):
    return page_client(app, EMAILS["admin"])


PAGE_ROLES = [
    ("/app/team", {"admin"}),
    ("/app/settings", {"admin"}),
    ("/app/phone-numbers", {"admin"}),
    ("/app/sales-team", {"admin", "marketing", "sales"}),
    ("/app/super-admin", {"super_admin"}),
    ("/app/super-admin/organizations", {"super_admin"}),
]


@pytest.mark.parametrize(("path", "allowed"), PAGE_ROLES)
def test_each_page_opens_for_its_roles_and_refuses_the_others(pages, path, allowed):
    for role, client in pages.items():
        response = client.get(path)

        if role in allowed:
            assert response.status_code == 200, (role, path)
            assert ROLE_REFUSED not in html(response)
        else:
            assert response.status_code == 403, (role, path)
            assert ROLE_REFUSED in html(response)


def test_the_nav_shows_only_the_pages_of_the_role(pages):
    nav = {
        role: re.findall(r'<a href="(/app/[^"]+)"', html(client.get("/app/sales-team")))
        for role, client in pages.items()
        if role != "super_admin"
    }
    figures = html(pages["super_admin"].get("/app/super-admin"))

    marketing = ["/app/inbox", "/app/flows", "/app/contacts", "/app/templates",
                 "/app/campaigns", "/app/sandbox"]  # fmt: skip
    assert nav["admin"] == [
        *marketing,
        "/app/team",
        "/app/settings",
        "/app/phone-numbers",
        "/app/sales-team",
    ]
    assert nav["marketing"] == [*marketing, "/app/sales-team"]
    assert nav["sales"] == [
        "/app/inbox", "/app/contacts", "/app/sandbox", "/app/sales-team",
    ]  # fmt: skip
    assert re.findall(r'<a href="(/app/[^"]+)"', figures)[:2] == [
        "/app/super-admin",
        "/app/super-admin/organizations",
    ]


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/app/team", "/app/login?next=/app/team"),
        ("/app/super-admin", "/app/super-admin/login?next=/app/super-admin"),
    ],
)
def test_a_visitor_without_a_session_goes_to_the_right_login(client, path, login):
    response = client.get(path)

    assert response.status_code == 303
    assert response.headers["Location"] == login


def test_a_super_admin_cannot_use_the_org_login(app, super_admin):
    client = app.test_client()

    response = client.post(
        "/app/login", data={"email": SUPER_ADMIN_EMAIL, "password": PASSWORD}
    )

    assert response.status_code == 401
    assert "Super admins log in at /super-admin/login." in html(response)


# Each form that changes something, with a body that would otherwise succeed, and
# the tables it would change.
CHANGED_TABLES = (Invitation, OpenAIKey, SalesMember, Org)
NEW_ORG = {
    "name": "Delta",
    "admin_name": "Dev",
    "admin_email": "dev@delta.test",
    "admin_password": PASSWORD,
}
NEW_MEMBER = {"name": "Nia", "email": "nia@acme.test", "phone": "+919876543210"}
CHANGES = [
    ("admin", "/app/team/invitations", {"email": "new@acme.test", "role": "sales"}),
    ("admin", "/app/settings/openai", {"api_key": "sk-test-0123456789"}),
    ("admin", "/app/sales-team", NEW_MEMBER),
    ("super_admin", "/app/super-admin/organizations", NEW_ORG),
]


@pytest.mark.parametrize(("role", "path", "data"), CHANGES)
def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    pages, role, path, data
):
    before = [db.session.scalar(select(func.count(m.id))) for m in CHANGED_TABLES]

    response = pages[role].post(path, data=data)
    forged = pages[role].post(path, data={**data, "csrf_token": "forged"})

    assert (response.status_code, forged.status_code) == (403, 403)
    assert "did not carry a valid security token" in html(response)
    after = [db.session.scalar(select(func.count(m.id))) for m in CHANGED_TABLES]
    assert after == before


def test_signup_creates_the_org_logs_in_and_says_so(client):
    form = {
        "organization_name": "Nova Spa",
        "name": "Nina",
        "email": "nina@nova.test",
        "password": PASSWORD,
    }

    response = client.post("/app/signup", data=form)
    landing = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/sandbox"
    assert client.get_cookie("access_token_cookie").http_only is True
    assert "Welcome, Nina! Nova Spa is ready, with you as its admin." in html(landing)
    user = db.session.scalar(select(User).where(User.email == "nina@nova.test"))
    assert (user.role, user.org.name) == ("admin", "Nova Spa")


def test_signup_shows_each_error_next_to_its_field(client):
    form = {"organization_name": "X", "name": "", "email": "nope", "password": "short"}

    response = client.post("/app/signup", data=form)

    assert response.status_code == 422
    assert field_error(response, "email") == "Not a valid email address."
    assert field_error(response, "name") == "Enter your name."
    assert field_error(response, "password") == "Use 8 to 200 characters."
    assert 'value="nope"' in html(response)
    assert 'value="short"' not in html(response)
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_signup_without_an_org_name_or_an_invitation_asks_for_the_name(client):
    form = {"name": "Nina", "email": "nina@nova.test", "password": PASSWORD}

    response = client.post("/app/signup", data=form)

    assert response.status_code == 422
    assert field_error(response, "organization_name") == (
        "Name your organization, or use the email you were invited with."
    )


def test_signup_with_a_taken_email_says_so(client, admin):
    form = {
        "organization_name": "Again",
        "name": "Asha",
        "email": "ADMIN@acme.test",
        "password": PASSWORD,
    }

    response = client.post("/app/signup", data=form)

    assert response.status_code == 409
    assert (
        field_error(response, "email") == "An account with this email already exists."
    )


def test_an_invited_email_signs_up_into_the_org_and_shows_on_the_team_page(
    app, admin_page
):
    post(admin_page, "/app/team/invitations", email="mia@acme.test", role="marketing")
    team = html(admin_page.get("/app/team"))
    link = re.search(r'value="(http://localhost/app/signup\?email=[^"]+)"', team)[1]
    invitee = app.test_client()

    form = invitee.get(link.removeprefix("http://localhost"))
    joined = invitee.post(
        "/app/signup",
        data={"name": "Mia", "email": "mia@acme.test", "password": PASSWORD},
    )

    assert 'value="mia@acme.test"' in html(form)
    assert joined.status_code == 303
    assert "You joined Acme Salon as marketing." in html(invitee.get("/app/sandbox"))
    row = member_row(admin_page.get("/app/team"), "mia@acme.test")
    assert '<option value="marketing" selected>marketing</option>' in row
    assert "No pending invitations." in html(admin_page.get("/app/team"))


def member_row(response, email: str) -> str:
    return re.search(
        rf"<tr id=\"member-\d+\">(?:(?!</tr>).)*{email}.*?</tr>", html(response), re.S
    )[0]


@pytest.mark.parametrize("settings_overrides", [{"PUBLIC_URL": "https://wfb.example"}])
def test_invitation_links_use_the_public_url(admin_page):
    post(admin_page, "/app/team/invitations", email="mia@acme.test", role="sales")

    team = html(admin_page.get("/app/team"))

    assert 'value="https://wfb.example/app/signup?email=mia@acme.test"' in team


def test_role_change_by_htmx_answers_the_row_and_changes_the_role(team, admin_page):
    response = post(
        admin_page,
        f"/app/team/users/{team.marketing.id}/role",
        headers=HTMX,
        role="sales",
    )

    assert response.status_code == 200
    assert html(response).startswith(f'<tr id="member-{team.marketing.id}">')
    assert '<option value="sales" selected>sales</option>' in html(response)
    assert "HX-Request" in response.headers["Vary"]
    assert db.session.get(User, team.marketing.id).role == "sales"


def test_demoting_the_last_admin_is_refused_plainly_in_the_row(team, admin_page):
    response = post(
        admin_page, f"/app/team/users/{team.admin_id}/role", headers=HTMX, role="sales"
    )

    assert response.status_code == 409
    assert field_error(response, f"role-{team.admin_id}") == (
        "The organization must keep at least one admin."
    )
    assert '<option value="admin" selected>admin</option>' in html(response)
    assert db.session.get(User, team.admin_id).role == "admin"


def test_without_htmx_a_role_change_redirects_to_the_team_page(team, admin_page):
    response = post(
        admin_page, f"/app/team/users/{team.sales.id}/role", role="marketing"
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/team"
    assert "Asha Admin is now marketing." in html(admin_page.get("/app/team"))
    assert db.session.get(User, team.sales.id).role == "marketing"


def test_another_orgs_user_is_not_found_on_the_team_page(admin_page, other_admin):
    other = db.session.scalar(select(User).where(User.email == "admin@bravo.test"))

    response = post(admin_page, f"/app/team/users/{other.id}/role", role="sales")

    assert response.status_code == 404
    assert db.session.get(User, other.id).role == "admin"


INVALID_ROLE = "Must be one of: admin, marketing, sales."
HAS_ACCOUNT = "This email already has an account."


@pytest.mark.parametrize(
    ("email", "role", "field", "message", "status"),
    [
        ("not-an-email", "sales", "invite-email", "Not a valid email address.", 422),
        ("x@acme.test", "owner", "invite-role", INVALID_ROLE, 422),
        ("admin@acme.test", "sales", "invite-email", HAS_ACCOUNT, 409),
    ],
)
def test_a_refused_invitation_shows_why_next_to_the_field(
    admin_page, email, role, field, message, status
):
    response = post(
        admin_page, "/app/team/invitations", headers=HTMX, email=email, role=role
    )

    assert response.status_code == status
    assert html(response).startswith('<section class="card" id="invitations">')
    assert field_error(response, field) == message
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_revoking_an_invitation_takes_it_off_the_list(admin_page):
    post(admin_page, "/app/team/invitations", email="mia@acme.test", role="sales")

    response = post(admin_page, "/app/team/invitations/revoke", email="mia@acme.test")

    assert response.status_code == 303
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert "The invitation of mia@acme.test is revoked." in html(
        admin_page.get("/app/team")
    )


def test_signup_and_login_pages_link_to_each_other(client):
    login = html(client.get("/app/login"))
    signup_page = html(client.get("/app/signup"))
    forgot = html(client.get("/app/forgot-password"))

    assert 'href="/app/signup"' in login and 'href="/app/forgot-password"' in login
    assert 'href="/app/login"' in signup_page
    assert 'href="/app/login"' in forgot and 'href="/app/signup"' in forgot


def test_logout_ends_the_users_sessions_everywhere(admin, admin_page):
    response = post(admin_page, "/app/logout")

    assert response.headers["Location"] == "/app/login"
    assert admin_page.get_cookie("access_token_cookie") is None
    assert admin.get("/auth/me").status_code == 401


def test_a_suspended_orgs_session_is_refused_on_its_next_page(admin_page, admin):
    org = db.session.scalar(select(Org))
    org.status = "suspended"
    db.session.commit()

    response = admin_page.get("/app/team")

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/login?next=/app/team"


@pytest.mark.parametrize("settings_overrides", [{"RATELIMIT_ENABLED": True}])
def test_the_eleventh_failed_login_in_a_minute_gets_the_too_many_page(client, admin):
    wrong = {"email": "admin@acme.test", "password": "not-it"}

    answers = [client.post("/app/login", data=wrong).status_code for _ in range(11)]
    right = client.post("/app/login", data={**wrong, "password": PASSWORD})

    assert answers == [401] * 10 + [429]
    assert right.status_code == 429
    assert "Too many attempts in a short time." in html(right)
