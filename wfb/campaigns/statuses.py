"""Meta's delivery statuses for campaign messages, and the tag that names their row.

Each campaign message carries `biz_opaque_callback_data` naming its campaign and
recipient row, and Meta echoes it in the message's statuses. A status finds its row
by wamid; when the row has no wamid yet (the status came before the sender wrote
it down, or the send timed out and the row is `unknown`), the echoed tag finds it,
and the wamid is kept from then on.
"""

import logging

from sqlalchemy import select

from wfb.campaigns.models import CampaignRecipient
from wfb.conversations.models import STATUS_RANK
from wfb.extensions import db

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "wfb-campaign:"
MOVES_FROM = ("sending", "unknown", "sent", "delivered", "read")


def callback_data(campaign_id: int, recipient_id: int) -> str:
    """What Meta echoes in the statuses of a campaign message, naming its row."""
    return f"{CALLBACK_PREFIX}{campaign_id}:{recipient_id}"


def parse_callback_data(value) -> tuple[int, int] | None:
    """The campaign and recipient ids in echoed callback data, if it is ours."""
    if not isinstance(value, str) or not value.startswith(CALLBACK_PREFIX):
        return None
    campaign_id, _, recipient_id = value[len(CALLBACK_PREFIX) :].partition(":")
    if not (campaign_id.isdigit() and recipient_id.isdigit()):
        return None
    return int(campaign_id), int(recipient_id)


def apply_recipient_status(org_id: int, status: dict, at) -> bool:
    """Move a campaign recipient's status forward (sent < delivered < read; failed
    is final, with Meta's code and title); False when no row of the org matches."""
    recipient = _recipient(org_id, status)
    if recipient is None:
        return False
    value = status["status"]
    if not _moves(recipient.status, value):
        return True
    recipient.status = value
    recipient.status_at = at
    if recipient.sent_at is None and value != "failed":
        recipient.sent_at = at
    if value == "failed":
        recipient.error_code, recipient.error_title = _error(status)
    logger.debug("campaign recipient %s is %s", recipient.id, value)
    return True


def _recipient(org_id: int, status: dict) -> CampaignRecipient | None:
    wamid = status["id"]
    recipient = db.session.scalar(
        select(CampaignRecipient).where(
            CampaignRecipient.org_id == org_id, CampaignRecipient.wamid == wamid
        )
    )
    if recipient is not None:
        return recipient
    ids = parse_callback_data(status.get("biz_opaque_callback_data"))
    if ids is None:
        return None
    recipient = db.session.scalar(
        select(CampaignRecipient).where(
            CampaignRecipient.org_id == org_id,
            CampaignRecipient.campaign_id == ids[0],
            CampaignRecipient.id == ids[1],
            CampaignRecipient.wamid.is_(None),
        )
    )
    if recipient is not None:
        recipient.wamid = wamid
    return recipient


def _moves(current: str, value: str) -> bool:
    if current not in MOVES_FROM or value not in (
        "sent",
        "delivered",
        "read",
        "failed",
    ):
        return False
    if value == "failed":
        return current not in ("delivered", "read")
    return STATUS_RANK[value] > STATUS_RANK[current]


def _error(status: dict) -> tuple[int | None, str | None]:
    errors = status.get("errors")
    error = errors[0] if isinstance(errors, list) and errors else {}
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    title = error.get("title") or error.get("message")
    return (code if isinstance(code, int) else None), (
        str(title)[:500] if title else None
    )
