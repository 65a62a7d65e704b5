"""The settings page: the org's WhatsApp credentials and its own OpenAI key.

Secrets are write-only here: the page says whether each is set and its last four
characters, never the secret itself, and a form never echoes one back.
"""

import logging

from flask import request
from marshmallow import ValidationError

from wfb.credentials import openai, whatsapp
from wfb.credentials.routes import OpenAISettingsSchema
from wfb.credentials.whatsapp import (
    WhatsAppSettingsSchema,
    whatsapp_account,
    whatsapp_status,
)
from wfb.dashboard.pages import (
    answer,
    field_errors,
    page_blueprint,
    page_for,
    public_url,
    see_other,
)
from wfb.tenancy import current_org_id, current_user

logger = logging.getLogger(__name__)

bp = page_blueprint("credential_pages", __name__, url_prefix="/app/settings")

WHATSAPP_IDS = ("waba_id", "app_id")
WHATSAPP_SECRETS = ("access_token", "app_secret", "verify_token")


def render_settings(status=200, **context):
    """The settings page; `context` carries a form's values and errors."""
    org_id = current_org_id()
    context.setdefault("whatsapp_form", {})
    context.setdefault("whatsapp_errors", {})
    context.setdefault("openai_errors", {})
    return answer(
        "credentials/settings.html",
        status=status,
        whatsapp=whatsapp_status(whatsapp_account(org_id), org_id),
        openai=openai.openai_status(org_id),
        webhook_url=public_url("webhooks.OrgWebhook", org_id=org_id),
        **context,
    )


@bp.get("")
@page_for("admin")
def settings():
    """The org's WhatsApp credentials and OpenAI key, shown masked."""
    return render_settings()


@bp.post("/whatsapp")
@page_for("admin")
def save_whatsapp():
    """Save the org's WhatsApp credentials; the secrets are encrypted at rest."""
    form = {name: request.form.get(name, "").strip() for name in WHATSAPP_IDS}
    secrets = {name: request.form.get(name, "").strip() for name in WHATSAPP_SECRETS}
    try:
        data = WhatsAppSettingsSchema().load({**form, **secrets})
    except ValidationError as error:
        errors = field_errors(error)
        return render_settings(422, whatsapp_form=form, whatsapp_errors=errors)

    whatsapp.save_whatsapp(current_org_id(), data, current_user())
    return see_other("credential_pages.settings", "The WhatsApp credentials are saved.")


@bp.post("/whatsapp/delete")
@page_for("admin")
def delete_whatsapp():
    """Remove the org's WhatsApp credentials."""
    whatsapp.delete_whatsapp(current_org_id(), current_user())
    return see_other(
        "credential_pages.settings", "The WhatsApp credentials are deleted."
    )


@bp.post("/openai")
@page_for("admin")
def save_openai_key():
    """Save the org's own OpenAI key; its bots then bill OpenAI directly."""
    try:
        data = OpenAISettingsSchema().load({"api_key": request.form.get("api_key", "")})
    except ValidationError as error:
        return render_settings(422, openai_errors=field_errors(error))

    status = openai.save_openai_key(current_org_id(), data["api_key"], current_user())
    notice = f"The OpenAI key is saved (ends in {status['last4']})."
    return see_other("credential_pages.settings", notice)


@bp.post("/openai/delete")
@page_for("admin")
def delete_openai_key():
    """Remove the org's OpenAI key; its bots go back to the platform's credits."""
    openai.delete_openai_key(current_org_id(), current_user())
    return see_other("credential_pages.settings", "The OpenAI key is deleted.")
