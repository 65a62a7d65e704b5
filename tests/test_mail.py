"""Mail goes through the server SMTP_URL names, logging in and choosing the sender
as the URL says; a server that is down never changes the answer to a request."""

import logging

import pytest

from tests.conftest import signup
from tests.smtp import Inbox, free_port, running

pytestmark = pytest.mark.usefixtures("app")

SENDER = "WFB Alerts <alerts@wfb.example.test>"


@pytest.fixture
def mail_server():
    with running(Inbox(login=("mailer", "p@ss word"))) as inbox:
        yield inbox


@pytest.fixture
def settings_overrides(mail_server):
    url = (
        f"smtp://mailer:p%40ss%20word@127.0.0.1:{mail_server.port}"
        "?from=WFB%20Alerts%20%3Calerts@wfb.example.test%3E"
    )
    return {"SMTP_URL": url}


def test_mail_logs_in_and_comes_from_the_sender_of_the_url(client, mail_server):
    signup(client)

    client.post("/auth/forgot-password", json={"email": "admin@acme.test"})

    assert mail_server.logins == ["mailer"]
    assert mail_server.mails[0]["From"] == SENDER
    assert "/app/reset-password?token=" in mail_server.link()


@pytest.mark.parametrize(
    "settings_overrides", [{"SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}]
)
def test_a_mail_server_that_is_down_changes_no_answer(client, caplog):
    signup(client)

    known = client.post("/auth/forgot-password", json={"email": "admin@acme.test"})
    unknown = client.post("/auth/forgot-password", json={"email": "no@acme.test"})

    assert (known.status_code, known.data) == (202, unknown.data)
    failures = [r.exc_info[0] for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [ConnectionRefusedError]
    assert "token=" not in caplog.text
