"""Mail that accounts send in the background."""

import logging

from flask import current_app

from wfb import crypto, mail
from wfb.accounts.models import User
from wfb.extensions import db
from wfb.jobs import task

logger = logging.getLogger(__name__)

RESET_SUBJECT = "Reset your WFB password"
RESET_TEXT = """Hello {name},

Someone asked to reset the password of your WFB account. To choose a new one,
open this link within an hour:

{link}

If it was not you, ignore this mail: your password stays as it is.
"""


@task(retries=3, retry_delay=60)
def send_reset_mail(user_id: int, sealed_token: str, reset_url: str) -> None:
    """Mail a reset link; `sealed_token` is the token encrypted with wfb.crypto."""
    user = db.session.get(User, user_id)
    token = crypto.decrypt(sealed_token)
    if user is None or token is None:
        logger.warning("reset mail for user %s dropped: no user or token", user_id)
        return
    link = reset_url.replace("{token}", token)

    if not mail.configured():
        _without_smtp(user_id, link)
        return
    text = RESET_TEXT.format(name=user.name, link=link)
    mail.send(user.email, RESET_SUBJECT, text)
    logger.info("reset mail sent to user %s", user_id)


def _without_smtp(user_id: int, link: str) -> None:
    if current_app.config["SETTINGS"].ENV == "development":
        # Development has no mail server: the link is shown to whoever runs it.
        logger.info("SMTP_URL is not set; reset link for user %s: %s", user_id, link)
    else:
        logger.error("SMTP_URL is not set; reset mail for user %s not sent", user_id)
