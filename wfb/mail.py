"""Mail through the SMTP server that `SMTP_URL` names.

`smtp://host:25`, `smtp://user:password@host:587?starttls=1` or
`smtps://user:password@host:465`; `?from=` sets the sender, which is otherwise
`WFB <no-reply@localhost>`.
"""

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

TIMEOUT_SECONDS = 15
DEFAULT_SENDER = "WFB <no-reply@localhost>"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailNotConfigured(RuntimeError):
    """SMTP_URL is not set."""


def configured() -> bool:
    return bool(current_app.config["SETTINGS"].SMTP_URL)


def send(to: str, subject: str, text: str) -> None:
    """Send a plain-text mail; SMTP errors are raised for the caller to retry."""
    url = current_app.config["SETTINGS"].SMTP_URL
    if not url:
        raise MailNotConfigured("SMTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}

    message = EmailMessage()
    message["From"] = options.get("from", DEFAULT_SENDER)
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with _connect(parts, options) as smtp:
        smtp.send_message(message)


def _connect(parts, options: dict) -> smtplib.SMTP:
    host, port = parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    try:
        if parts.scheme == "smtp" and options.get("starttls") in ("1", "true"):
            smtp.starttls(context=context)
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
    except (OSError, smtplib.SMTPException):
        smtp.close()
        raise
    return smtp
