"""Sandbox numbers: any org may have one while the sandbox runs."""

import secrets

from sqlalchemy import select

from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.settings import new_secret
from wfb.tenancy import scoped

SANDBOX_DISPLAY = "+1 555 0100"


def random_digits(count: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(count - 1)
    )


def ensure_whatsapp_account(org_id: int) -> WhatsAppAccount:
    """The org's credentials; made up when missing, as the sandbox needs none real."""
    account = db.session.scalar(scoped(WhatsAppAccount, org_id))
    if account is not None:
        return account
    account = WhatsAppAccount(
        org_id=org_id, waba_id=random_digits(15), app_id=random_digits(15)
    )
    account.set_secrets(new_secret(), new_secret(), new_secret())
    db.session.add(account)
    return account


def ensure_sandbox_number(org_id: int) -> PhoneNumber:
    """The org's first sandbox number, made with credentials when it has none."""
    ensure_whatsapp_account(org_id)
    query = scoped(PhoneNumber, org_id).where(PhoneNumber.is_sandbox.is_(True))
    number = db.session.scalar(query.order_by(PhoneNumber.id))
    if number is not None:
        return number
    number = PhoneNumber(
        org_id=org_id,
        phone_number_id=unused_phone_number_id(),
        display_phone_number=SANDBOX_DISPLAY,
        label="Sandbox",
        is_sandbox=True,
    )
    db.session.add(number)
    db.session.flush()
    return number


def unused_phone_number_id() -> str:
    while True:
        candidate = random_digits(15)
        taken = select(PhoneNumber.id).where(PhoneNumber.phone_number_id == candidate)
        if db.session.scalar(taken) is None:
            return candidate
