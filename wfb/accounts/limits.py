"""Rate limits of the routes that take a password or an email address: one per
client address and one per account (the email of the body), so that neither many
accounts from one address nor one account from many addresses can be guessed at.

Limits live in memory in the embedded mode and in Redis in the scaled one (see
`RATELIMIT_STORAGE_URI`).

Limitation: the client address is the one the WSGI server sees; behind a reverse
proxy that does not rewrite it (no ProxyFix is installed), every client shares the
proxy's address and its per-address limits.
"""

from flask import request
from flask_limiter.util import get_remote_address

from wfb.extensions import limiter


def account_key() -> str:
    """The account a request is about: the email of its JSON body or form."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = request.form
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        return f"no-account:{get_remote_address()}"
    return f"account:{email.strip().lower()}"


def failed(response) -> bool:
    return response.status_code >= 400


def per_address_and_account(rate: str, only_failures: bool = False) -> list:
    """`rate` (flask-limiter's notation) per address and per account; with
    `only_failures`, only refused attempts are counted."""
    deduct_when = failed if only_failures else None
    return [
        limiter.limit(rate, deduct_when=deduct_when),
        limiter.limit(rate, key_func=account_key, deduct_when=deduct_when),
    ]


LOGIN = per_address_and_account("10 per minute", only_failures=True)
SIGNUP = per_address_and_account("10 per minute")
FORGOT_PASSWORD = per_address_and_account("5 per minute;20 per hour")
RESET_PASSWORD = [limiter.limit("10 per minute", deduct_when=failed)]
