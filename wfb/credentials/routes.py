from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wfb.credentials.openai import (
    delete_openai_key,
    openai_status,
    save_openai_key,
)
from wfb.credentials.whatsapp import (
    WhatsAppSettingsSchema,
    delete_whatsapp,
    save_whatsapp,
    whatsapp_account,
    whatsapp_status,
)
from wfb.tenancy import current_org_id, current_user, login_required

blp = Blueprint("settings", __name__, url_prefix="/settings", description="Credentials")


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


@blp.route("/whatsapp")
class WhatsAppSettings(MethodView):
    decorators = [login_required("admin")]

    @blp.response(200, WhatsAppStatusSchema)
    def get(self):
        """Whether WhatsApp credentials are set, with the last four of each secret."""
        org_id = current_org_id()
        return whatsapp_status(whatsapp_account(org_id), org_id)

    @blp.arguments(WhatsAppSettingsSchema)
    @blp.response(200, WhatsAppStatusSchema)
    def post(self, data):
        """Save the org's WhatsApp credentials; secrets are encrypted at rest."""
        org_id = current_org_id()
        return whatsapp_status(save_whatsapp(org_id, data, current_user()), org_id)

    @blp.response(204)
    def delete(self):
        """Remove the org's WhatsApp credentials."""
        delete_whatsapp(current_org_id(), current_user())


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
