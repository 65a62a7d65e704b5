"""Meta's template webhooks: a template's review result, pause, disabling, deletion
or new category, applied to the stored template.

A template that Meta pauses or disables pauses the campaigns that send it, since
every further send would fail with 132015 or 132016.
Limitation: Meta does not promise the order of these webhooks and they carry no
sequence, so a late one can overwrite a newer status until the next sync.
"""

import logging

from sqlalchemy import or_

from wfb.accounts.models import Org
from wfb.extensions import db
from wfb.logs import bind_org
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.service import org_of_waba
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

STATUS_FIELD = "message_template_status_update"
CATEGORY_FIELD = "template_category_update"
QUALITY_FIELD = "message_template_quality_update"
FIELDS = (STATUS_FIELD, CATEGORY_FIELD, QUALITY_FIELD)
# Events that put a template back to a status Meta lists it with.
STATUS_OF_EVENT = {"REINSTATED": "APPROVED", "UNARCHIVED": "APPROVED"}
PAUSING = ("PAUSED", "DISABLED")


def apply_change(org_id: int | None, waba_id, field: str, value: dict) -> None:
    """Apply one template change of a webhook entry from WABA `waba_id`.

    `org_id` is the org whose webhook route received it, or None for the global
    route; either way the WABA must be that org's.
    """
    owner = org_of_waba(str(waba_id or ""), org_id)
    if owner is None:
        logger.warning("template webhook for WABA %s matches no org", waba_id)
        return
    org = db.session.get(Org, owner)
    if org is None or not org.active:
        logger.info("template webhook for org %s dropped: not active", owner)
        return
    bind_org(owner)
    template = template_of(owner, value)
    if template is None:
        logger.info(
            "org %s: template webhook for unknown template %s; the next sync adds it",
            owner,
            value.get("message_template_id"),
        )
        return

    if field == STATUS_FIELD:
        apply_status(template, value)
    elif field == CATEGORY_FIELD:
        apply_category(template, value)
    else:
        logger.info(
            "org %s: template %s quality %s -> %s",
            owner,
            template.id,
            value.get("previous_quality_score"),
            value.get("new_quality_score"),
        )
    db.session.commit()

    # After the commit: the status stays stored even if pausing must be retried.
    if field == STATUS_FIELD and template.status in PAUSING:
        pause_campaigns(template)


def template_of(org_id: int, value: dict) -> MessageTemplate | None:
    """The stored template a change is about: by Meta's id, else name and language."""
    meta_id = str(value.get("message_template_id") or "")
    name = value.get("message_template_name")
    # Meta's webhook reference spells languages en-US; its API says en_US.
    language = str(value.get("message_template_language") or "").replace("-", "_")
    same_name = (MessageTemplate.name == name) & (MessageTemplate.language == language)
    matches = (
        or_(MessageTemplate.meta_id == meta_id, same_name) if meta_id else same_name
    )
    candidates = db.session.scalars(
        scoped(MessageTemplate, org_id).where(matches).order_by(MessageTemplate.id)
    ).all()
    by_id = [t for t in candidates if meta_id and t.meta_id == meta_id]
    return (by_id or candidates or [None])[0]


def apply_status(template: MessageTemplate, value: dict) -> None:
    event = str(value.get("event") or "").upper()
    if not event:
        return
    status = STATUS_OF_EVENT.get(event, event)[:30]
    template.status = status
    template.reason = None if status == "APPROVED" else reason_of(value)
    if status == "DELETED":
        template.gone = True
    if isinstance(value.get("message_template_category"), str):
        template.category = value["message_template_category"][:30]
    logger.info(
        "org %s: template %s (%s) is now %s",
        template.org_id,
        template.name,
        template.language,
        status,
    )


def apply_category(template: MessageTemplate, value: dict) -> None:
    category = value.get("new_category") or value.get("correct_category")
    if isinstance(category, str) and category:
        template.category = category[:30]


def reason_of(value: dict) -> str | None:
    """Meta's reason in its words: the code, then any explanation it gave."""
    parts = []
    reason = value.get("reason")
    if isinstance(reason, str) and reason not in ("", "NONE"):
        parts.append(reason)
    for key, names in (
        ("rejection_info", ("reason", "recommendation")),
        ("other_info", ("title", "description")),
    ):
        info = value.get(key)
        if isinstance(info, dict):
            parts += [info[n] for n in names if isinstance(info.get(n), str)]
    disable_info = value.get("disable_info")
    if isinstance(disable_info, dict) and disable_info.get("disable_date"):
        parts.append(f"Disabled on {disable_info['disable_date']}")
    if not parts:
        return None
    head, *rest = parts
    return f"{head}: {' '.join(rest)}" if rest else head


def pause_campaigns(template: MessageTemplate) -> None:
    """Pause the org's campaigns that send this template, giving Meta's reason."""
    # Imported on use: campaigns sit above templates.
    from wfb.campaigns.service import pause_using_template

    reason = template.reason or template.status
    pause_using_template(template.org_id, template.name, template.language, reason)
    db.session.commit()
