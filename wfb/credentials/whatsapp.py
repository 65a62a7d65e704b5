"""An org's WhatsApp credentials: saved, shown masked, and removed in one place."""

import logging

from marshmallow import Schema, fields, validate

from wfb import crypto
from wfb.audit import record
from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

_id = validate.Regexp(r"\A[0-9]{1,64}\Z", error="Digits only, as Meta shows it.")
# Tokens travel in HTTP headers: printable ASCII only, so no header can be forged.
_secret = validate.Regexp(
    r"\A[\x21-\x7e]{4,1000}\Z",
    error="4 to 1000 printable characters, without spaces.",
)
SECRETS = ("access_token", "app_secret", "verify_token")


class WhatsAppSettingsSchema(Schema):
    waba_id = fields.String(required=True, validate=_id)
    app_id = fields.String(required=True, validate=_id)
    access_token = fields.String(required=True, load_only=True, validate=_secret)
    app_secret = fields.String(required=True, load_only=True, validate=_secret)
    verify_token = fields.String(required=True, load_only=True, validate=_secret)


def whatsapp_account(org_id: int | None = None) -> WhatsAppAccount | None:
    return db.session.scalar(scoped(WhatsAppAccount, org_id))


def whatsapp_status(account: WhatsAppAccount | None, org_id: int) -> dict:
    """What may be shown of the credentials: ids, and each secret's last four."""
    return {
        "configured": account is not None,
        "waba_id": account.waba_id if account else None,
        "app_id": account.app_id if account else None,
        **{name: crypto.mask(getattr(account, name, None)) for name in SECRETS},
        "webhook_path": f"/webhook/{org_id}",
    }


def save_whatsapp(org_id: int, data: dict, by) -> WhatsAppAccount:
    """Save validated credentials (see WhatsAppSettingsSchema), encrypting secrets."""
    account = whatsapp_account(org_id) or WhatsAppAccount(org_id=org_id)
    account.waba_id, account.app_id = data["waba_id"], data["app_id"]
    account.set_secrets(*(data[name] for name in SECRETS))
    db.session.add(account)
    ids = {"waba_id": data["waba_id"], "app_id": data["app_id"]}
    record("credentials.whatsapp_saved", org_id, by, "whatsapp", **ids)
    db.session.commit()
    logger.info("org %s saved its WhatsApp credentials", org_id)
    return account


def delete_whatsapp(org_id: int, by) -> None:
    account = whatsapp_account(org_id)
    if account is None:
        return
    db.session.delete(account)
    record("credentials.whatsapp_deleted", org_id, by, "whatsapp")
    db.session.commit()
    logger.info("org %s deleted its WhatsApp credentials", org_id)
