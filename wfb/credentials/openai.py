"""An org's own OpenAI key: with one, the org's bots bill OpenAI directly instead of
spending the platform's AI credits. Stored encrypted, shown only by its last four."""

import logging

from wfb import crypto
from wfb.accounts.models import User
from wfb.audit import record
from wfb.credentials.models import OpenAIKey
from wfb.extensions import db
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)


def _row(org_id: int) -> OpenAIKey | None:
    return db.session.scalar(scoped(OpenAIKey, org_id))


def openai_key(org_id: int) -> str | None:
    """The org's own key in clear, for calling OpenAI; None when it has none."""
    row = _row(org_id)
    return row.key if row else None


def openai_status(org_id: int) -> dict:
    """Whether the org has a key, and its last four characters."""
    return crypto.mask(openai_key(org_id))


def save_openai_key(org_id: int, key: str, by: User | None) -> dict:
    """Save (or replace) the org's key; answers its status."""
    row = _row(org_id) or OpenAIKey(org_id=org_id)
    row.set_key(key)
    db.session.add(row)
    record("credentials.openai_saved", org_id, by, "openai")
    db.session.commit()
    logger.info("org %s saved its OpenAI key", org_id)
    return crypto.mask(key)


def delete_openai_key(org_id: int, by: User | None) -> None:
    row = _row(org_id)
    if row is None:
        return
    db.session.delete(row)
    record("credentials.openai_deleted", org_id, by, "openai")
    db.session.commit()
    logger.info("org %s deleted its OpenAI key", org_id)
