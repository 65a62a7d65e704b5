"""No secret the product is given (WhatsApp token, app secret and verify token, the
OpenAI key, passwords, reset tokens) comes back in an answer, a log line, or the
database in plain text."""

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import make_url, select

from tests.conftest import PASSWORD, Api, signup
from tests.roles import invite, login
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

WHATSAPP = {
    "waba_id": "100000000000777",
    "app_id": "300000000000777",
    "access_token": "EAAG-secret-access-token-Zq81xw",
    "app_secret": "secret-app-secret-Vb27kp",
    "verify_token": "secret-verify-token-Lm93dq",
}
OPENAI_KEY = "sk-proj-secret-openai-key-Hx55rt"
NEW_PASSWORD = "secret-new-password-Jr64ns"


@pytest.fixture
def settings_overrides(smtp_server):
    return {"SMTP_URL": smtp_server.url, "PUBLIC_URL": "https://wfb.example.test"}


def the_whole_flow(client, smtp_server) -> tuple[list[bytes], str]:
    """Save and read every secret, reset a password, and use the team; answers the
    bodies of every answer and the reset token that was mailed."""
    answers = []

    def keep(response):
        answers.append(response.get_data())
        return response

    tokens = signup(client)
    admin = Api(client, tokens["access_token"])
    keep(admin.post("/settings/whatsapp", json=WHATSAPP))
    keep(admin.get("/settings/whatsapp"))
    keep(admin.post("/settings/openai", json={"api_key": OPENAI_KEY}))
    keep(admin.get("/settings/openai"))
    invite(admin, "mia@acme.test", "marketing")
    keep(client.post("/auth/signup", json=mia_signup()))
    keep(client.post("/auth/forgot-password", json={"email": "admin@acme.test"}))
    token = smtp_server.token()
    body = {"token": token, "password": NEW_PASSWORD}
    keep(client.post("/auth/reset-password", json=body))
    keep(login(client, "admin@acme.test", PASSWORD))
    fresh = keep(login(client, "admin@acme.test", NEW_PASSWORD)).json
    admin = Api(client, fresh["access_token"])
    keep(admin.get("/admin/team"))
    keep(admin.get("/admin/audit-log?page_size=100"))
    keep(admin.delete("/settings/openai"))
    keep(admin.post("/settings/openai", json={"api_key": OPENAI_KEY}))
    return answers, token


def mia_signup() -> dict:
    return {
        "organization_name": "X",
        "name": "Mia",
        "email": "mia@acme.test",
        "password": PASSWORD,
    }


def secrets(token: str) -> list[str]:
    return [
        WHATSAPP["access_token"],
        WHATSAPP["app_secret"],
        WHATSAPP["verify_token"],
        OPENAI_KEY,
        PASSWORD,
        NEW_PASSWORD,
        token,
    ]


def test_no_secret_in_any_answer_or_log_line(client, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)

    answers, token = the_whole_flow(client, smtp_server)

    for secret in secrets(token):
        assert not [a for a in answers if secret.encode() in a], secret
        assert secret not in caplog.text, secret
    assert json.loads(answers[3]) == {"set": True, "last4": "55rt"}
    assert "audit login.succeeded" in caplog.text


def test_no_secret_in_the_database_as_plain_text(app, client, smtp_server):
    _, token = the_whole_flow(client, smtp_server)

    rows = []
    for table in db.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in db.session.execute(select(table))]
    dump = "\n".join(rows)
    for secret in secrets(token):
        assert secret not in dump, secret
    assert "@acme.test" in dump


def test_no_secret_in_the_sqlite_file(app, client, smtp_server):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.drivername.startswith("sqlite"):
        pytest.skip("the database is not a SQLite file")
    _, token = the_whole_flow(client, smtp_server)
    db.session.remove()

    path = Path(url.database)
    data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for secret in secrets(token):
        assert secret.encode() not in data, secret
    assert b"mia@acme.test" in data
