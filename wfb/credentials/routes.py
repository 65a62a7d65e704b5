from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wfb import crypto
from wfb.audit import record
from wfb.credentials.models import WhatsAppAccount
from wfb.credentials.openai import (
    delete_openai_key,
    openai_status,
    save_openai_key,
)
from wfb.extensions import db
from wfb.tenancy import current_org_id, current_user, login_required, scoped

blp = Blueprint("settings", __name__, url_prefix="/settings", description="Credentials")

_id = validate.Length(1, 64)
_secret = validate.Length(4, 1000)


class WhatsAppSettingsSchema(Schema):
    waba_id = fields.String(required=True, validate=_id)
    app_id = fields.String(required=True, validate=_id)
    access_token = fields.String(required=True, load_only=True, validate=_secret)
    app_secret = fields.String(required=True, load_only=True, validate=_secret)
    verify_token = fields.String(required=True, load_only=True, validate=_secret)


class SecretStatusSchema(Schema):
    set = fields.Boolean()
    last4 = fields.String(allow_none=True)


class OpenAISettingsSchema(Schema):
    api_key = fields.String(
        required=True, load_only=True, validate=validate.Length(8, 500)
    )


class WhatsAppStatusSchema(Schema):
    configured = fields.Boolean()
    waba_id = fields.String(allow_none=True)
    app_id = fields.String(allow_none=True)
    access_token = fields.Nested(SecretStatusSchema)
    app_secret = fields.Nested(SecretStatusSchema)
    verify_token = fields.Nested(SecretStatusSchema)
    webhook_path = fields.String()


def whatsapp_account(org_id: int | None = None) -> WhatsAppAccount | None:
    return db.session.scalar(scoped(WhatsAppAccount, org_id))


def whatsapp_status(account: WhatsAppAccount | None, org_id: int) -> dict:
    return {
        "configured": account is not None,
        "waba_id": account.waba_id if account else None,
        "app_id": account.app_id if account else None,
        "access_token": crypto.mask(account.access_token if account else None),
        "app_secret": crypto.mask(account.app_secret if account else None),
        "verify_token": crypto.mask(account.verify_token if account else None),
        "webhook_path": f"/webhook/{org_id}",
    }


@blp.route("/whatsapp")
class WhatsAppSettings(MethodView):
    decorators = [login_required("admin")]

    @blp.response(200, WhatsAppStatusSchema)
    def get(self):
        """Whether WhatsApp credentials are set, with the last four of each secret."""
        org_id = current_org_id()
        return whatsapp_status(whatsapp_account(), org_id)

    @blp.arguments(WhatsAppSettingsSchema)
    @blp.response(200, WhatsAppStatusSchema)
    def post(self, data):
        """Save the org's WhatsApp credentials; secrets are encrypted at rest."""
        org_id = current_org_id()
        account = whatsapp_account() or WhatsAppAccount(org_id=org_id)
        account.waba_id = data["waba_id"]
        account.app_id = data["app_id"]
        account.set_secrets(
            data["access_token"], data["app_secret"], data["verify_token"]
        )
        db.session.add(account)
        record(
            "credentials.whatsapp_saved",
            org_id,
            current_user(),
            "whatsapp",
            waba_id=data["waba_id"],
            app_id=data["app_id"],
        )
        db.session.commit()
        return whatsapp_status(account, org_id)

    @blp.response(204)
    def delete(self):
        """Remove the org's WhatsApp credentials."""
        account = whatsapp_account()
        if account is not None:
            db.session.delete(account)
            record(
                "credentials.whatsapp_deleted",
                account.org_id,
                current_user(),
                "whatsapp",
            )
            db.session.commit()


@blp.route("/openai")
class OpenAISettings(MethodView):
    decorators = [login_required("admin")]

    @blp.response(200, SecretStatusSchema)
    def get(self):
        """Whether the org has its own OpenAI key, with its last four characters."""
        return openai_status(current_org_id())

    @blp.arguments(OpenAISettingsSchema)
    @blp.response(200, SecretStatusSchema)
    def post(self, data):
        """Save the org's own OpenAI key, encrypted at rest; its bots then use it."""
        return save_openai_key(current_org_id(), data["api_key"], current_user())

    @blp.response(204)
    def delete(self):
        """Remove the org's OpenAI key; its bots go back to the platform's credits."""
        delete_openai_key(current_org_id(), current_user())
