"""Background work of the sandbox: the status webhooks that follow a send."""

import logging

from wfb.extensions import db
from wfb.jobs import task
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox import webhooks
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)


@task()
def post_statuses(
    org_id: int, phone_id: int, wamid: str, recipient_id: str, pricing: dict
) -> None:
    """Post the `sent` then `delivered` webhooks of a sandbox send, as Meta does.

    Running it twice posts the same statuses twice, which the webhook route must
    (and Meta says receivers must) treat as duplicates.
    """
    number = db.session.scalar(
        scoped(PhoneNumber, org_id).where(PhoneNumber.id == phone_id)
    )
    if number is None:
        logger.info("sandbox number %s is gone; no statuses for %s", phone_id, wamid)
        return

    for status in ("sent", "delivered"):
        entry = webhooks.status(wamid, recipient_id, status, pricing)
        code = webhooks.post_statuses(number, [entry])
        if code != 200:
            logger.warning(
                "webhook refused sandbox status %s of %s with %s", status, wamid, code
            )
