"""The forgot and reset password pages, with the link mailed through a real SMTP
server: the same answer for any email, and a link that works once."""

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.pages import field_error, html
from wfb.accounts.models import PasswordReset
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

NEW_PASSWORD = "new-staple-horse-42"
SENT = "If an account uses this email, a link to reset its password is on its way."


@pytest.fixture
def settings_overrides(smtp_server):
    return {"SMTP_URL": smtp_server.url, "PUBLIC_URL": "http://localhost"}


def ask_for_link(client, email="admin@acme.test"):
    return client.post("/app/forgot-password", data={"email": email})


def test_forgot_password_answers_the_same_for_any_email(client, admin, smtp_server):
    known = ask_for_link(client, "admin@acme.test")
    unknown = ask_for_link(client, "nobody@acme.test")

    assert (known.status_code, unknown.status_code) == (303, 303)
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.headers["Location"] == "/app/forgot-password?sent=1"
    assert (
        " ".join(html(client.get("/app/forgot-password?sent=1")).split()).count(SENT)
        == 1
    )
    assert smtp_server.recipients == [["admin@acme.test"]]


def test_a_malformed_email_is_shown_next_to_the_field(client, smtp_server):
    response = ask_for_link(client, "not-an-email")

    assert response.status_code == 422
    assert field_error(response, "email") == "Not a valid email address."
    assert smtp_server.mails == []


def test_the_mailed_link_opens_the_form_and_sets_the_password_once(
    client, admin, smtp_server
):
    ask_for_link(client)
    token = smtp_server.token()
    new = {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}

    form = client.get(smtp_server.link().removeprefix("http://localhost"))
    changed = client.post("/app/reset-password", data=new)
    landing = client.get(changed.headers["Location"])
    again = client.post("/app/reset-password", data=new)

    assert f'<input type="hidden" name="token" value="{token}">' in html(form)
    assert changed.status_code == 303
    assert changed.headers["Location"] == "/app/login"
    assert "Your password is changed. Log in with the new one." in html(landing)
    assert again.status_code == 400
    assert "This reset link is invalid, used or expired." in html(again)


def test_after_a_reset_only_the_new_password_logs_in(client, admin, smtp_server):
    ask_for_link(client)
    new = {"token": smtp_server.token(), "password": NEW_PASSWORD}

    client.post("/app/reset-password", data={**new, "confirm": NEW_PASSWORD})

    old = {"email": "admin@acme.test", "password": PASSWORD}
    assert client.post("/app/login", data=old).status_code == 401
    fresh = {"email": "admin@acme.test", "password": NEW_PASSWORD}
    assert client.post("/app/login", data=fresh).status_code == 303
    assert admin.get("/auth/me").status_code == 401


def test_a_password_typed_differently_twice_is_refused(client, admin, smtp_server):
    ask_for_link(client)
    form = {"token": smtp_server.token(), "password": NEW_PASSWORD, "confirm": "x"}

    response = client.post("/app/reset-password", data=form)

    assert response.status_code == 422
    assert field_error(response, "confirm") == "The two passwords differ."
    assert db.session.scalar(select(PasswordReset.used_at)) is None


def test_a_link_without_a_token_offers_a_new_one(client):
    response = client.get("/app/reset-password")

    assert response.status_code == 200
    assert "This link has no reset token." in html(response)
    assert 'href="/app/forgot-password"' in html(response)
    assert 'name="password"' not in html(response)
