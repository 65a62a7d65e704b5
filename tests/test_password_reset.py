"""Forgot and reset password: a single-use link valid for an hour, mailed through a
real SMTP server; a reset (or a logout) ends the tokens issued before it."""

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Api, signup
from tests.roles import login
from wfb.accounts.models import PasswordReset
from wfb.audit.models import AuditEvent
from wfb.extensions import db
from wfb.models_base import utcnow

pytestmark = pytest.mark.usefixtures("app")

NEW_PASSWORD = "new-staple-horse-42"
PUBLIC_URL = "https://wfb.example.test"


@pytest.fixture
def settings_overrides(smtp_server):
    return {"SMTP_URL": smtp_server.url, "PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
def account(client):
    return signup(client)


def forgot(client, email="admin@acme.test"):
    return client.post("/auth/forgot-password", json={"email": email})


def reset(client, token, password=NEW_PASSWORD):
    body = {"token": token, "password": password}
    return client.post("/auth/reset-password", json=body)


def test_reset_mail_reaches_the_smtp_server_with_the_link(client, account, smtp_server):
    response = forgot(client, "ADMIN@acme.test")

    assert response.status_code == 202
    assert smtp_server.recipients == [["admin@acme.test"]]
    mail = smtp_server.mails[0]
    assert mail["Subject"] == "Reset your WFB password"
    assert mail["To"] == "admin@acme.test"
    assert smtp_server.link().startswith(f"{PUBLIC_URL}/app/reset-password?token=")
    assert len(smtp_server.token()) == 43
    assert "Hello Asha Admin," in smtp_server.text()


def test_only_a_hash_of_the_token_is_stored(client, account, smtp_server):
    forgot(client)

    stored = db.session.scalar(select(PasswordReset))

    token = smtp_server.token()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.expires_at - stored.created_at == timedelta(hours=1)


def test_a_reset_token_works_once(client, account, smtp_server):
    forgot(client)
    token = smtp_server.token()

    first = reset(client, token)
    second = reset(client, token, "another-password-9")

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json["message"] == "This reset link is invalid, used or expired."
    assert login(client, "admin@acme.test", NEW_PASSWORD).status_code == 200


def test_a_reset_token_does_not_work_after_an_hour(client, account, smtp_server):
    forgot(client)
    db.session.scalar(select(PasswordReset)).expires_at = utcnow() - timedelta(
        seconds=1
    )
    db.session.commit()

    response = reset(client, smtp_server.token())

    assert response.status_code == 400
    assert login(client, "admin@acme.test", PASSWORD).status_code == 200


def test_an_unknown_token_is_refused(client, account):
    response = reset(client, "not-a-token")

    assert response.status_code == 400


def test_after_a_reset_the_old_password_and_old_tokens_stop_working(
    client, account, smtp_server
):
    forgot(client)

    reset(client, smtp_server.token())

    assert Api(client, account["access_token"]).get("/auth/me").status_code == 401
    assert Api(client, account["refresh_token"]).post("/auth/refresh").status_code == (
        401
    )
    assert login(client, "admin@acme.test", PASSWORD).status_code == 401
    fresh = login(client, "admin@acme.test", NEW_PASSWORD)
    assert fresh.status_code == 200
    assert Api(client, fresh.json["access_token"]).get("/auth/me").status_code == 200


def test_a_reset_ends_the_other_links_of_the_account(client, account, smtp_server):
    forgot(client)
    forgot(client)

    reset(client, smtp_server.token(0))

    assert reset(client, smtp_server.token(1)).status_code == 400


def test_the_reply_for_an_unknown_email_is_byte_for_byte_the_same(
    client, account, smtp_server
):
    known = forgot(client, "admin@acme.test")
    unknown = forgot(client, "nobody@acme.test")

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.data == unknown.data
    assert known.content_type == unknown.content_type
    assert known.json == {
        "message": (
            "If an account uses this email, a link to reset its password is on its way."
        )
    }
    assert len(smtp_server.mails) == 1


def test_logout_ends_the_access_and_refresh_tokens(client, account):
    api = Api(client, account["access_token"])

    response = api.post("/auth/logout")

    assert response.status_code == 204
    assert api.get("/auth/me").status_code == 401
    assert Api(client, account["refresh_token"]).post("/auth/refresh").status_code == (
        401
    )
    assert login(client, "admin@acme.test").status_code == 200
    logged = db.session.scalars(select(AuditEvent.action)).all()
    assert "logout" in logged


def test_resets_are_audited(client, account, smtp_server):
    forgot(client)
    reset(client, smtp_server.token())

    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))

    assert list(actions)[-2:] == ["password.reset_requested", "password.reset"]


@pytest.mark.parametrize("settings_overrides", [{"ENV": "development"}])
def test_without_smtp_the_link_is_logged_in_development(client, account, caplog):
    caplog.set_level(logging.INFO, logger="wfb.accounts.tasks")

    forgot(client)

    lines = [r.getMessage() for r in caplog.records if "reset link" in r.getMessage()]
    assert len(lines) == 1
    assert "http://localhost/app/reset-password?token=" in lines[0]


@pytest.mark.parametrize("settings_overrides", [{"ENV": "test"}])
def test_without_smtp_outside_development_the_link_is_never_logged(
    client, account, caplog
):
    caplog.set_level(logging.DEBUG)

    response = forgot(client)

    assert response.status_code == 202
    assert "token=" not in caplog.text
    assert "SMTP_URL is not set; reset mail for user" in caplog.text
