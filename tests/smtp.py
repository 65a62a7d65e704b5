"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

import contextlib
import email
import re
import socket
from email.message import Message
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    """The aiosmtpd handler: every mail accepted, parsed and kept in order, and the
    logins it saw when it asks for them."""

    def __init__(self, login: tuple[str, str] | None = None):
        self.mails: list[Message] = []
        self.recipients: list[list[str]] = []
        self.login = login
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(email.message_from_bytes(envelope.content, policy=default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, data):
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        if given != self.login:
            return AuthResult(success=False, handled=False)
        self.logins.append(given[0])
        return AuthResult(success=True)

    def text(self, index: int = -1) -> str:
        return self.mails[index].get_content()

    def link(self, index: int = -1) -> str:
        return re.search(r"https?://\S+", self.text(index))[0]

    def token(self, index: int = -1) -> str:
        return self.link(index).split("token=", 1)[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(inbox: Inbox):
    """Serve `inbox` on a free port; it gains `url` and `port`."""
    inbox.port = free_port()
    options = {}
    if inbox.login:
        # Over loopback in a test there is nothing for TLS to protect.
        options = {"authenticator": inbox.authenticate, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{inbox.port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with running(Inbox()) as inbox:
        yield inbox
