"""Adding and changing an org's numbers, for the API and the dashboard alike."""

import logging

from sqlalchemy import select

from wfb.errors import DomainError
from wfb.extensions import db
from wfb.flows.models import Flow
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped
from wfb.whatsapp.client import org_client
from wfb.whatsapp.errors import GraphError

logger = logging.getLogger(__name__)


class NumberError(DomainError):
    """A number refused; `field` names the input that is wrong."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message, status, errors={"json": {field: [message]}})
        self.field = field


def add_number(org_id: int, data: dict) -> PhoneNumber:
    """Add a number that Meta confirms is the org's, optionally with a flow."""
    number = PhoneNumber(org_id=org_id)
    change_number(number, data)
    db.session.add(number)
    db.session.commit()
    logger.info("phone number %s added to org %s", number.id, org_id)
    return number


def update_number(number: PhoneNumber, data: dict) -> PhoneNumber:
    change_number(number, data)
    db.session.commit()
    logger.info("phone number %s changed", number.id)
    return number


def change_number(number: PhoneNumber, data: dict) -> None:
    """Check validated fields against the org's flows and Meta, then set them."""
    flow_id = data.get("flow_id")
    if (
        flow_id is not None
        and db.session.scalar(scoped(Flow, number.org_id).where(Flow.id == flow_id))
        is None
    ):
        raise NumberError("flow_id", "Choose one of your flows.", status=404)
    new_id = data.get("phone_number_id")
    if new_id is not None and new_id != number.phone_number_id:
        confirm_with_meta(number.org_id, new_id)
        taken = select(PhoneNumber.id).where(PhoneNumber.phone_number_id == new_id)
        if db.session.scalar(taken):
            message = "This phone_number_id is already registered."
            raise NumberError("phone_number_id", message, status=409)
    for key, value in data.items():
        setattr(number, key, value)


def confirm_with_meta(org_id: int, phone_number_id: str) -> None:
    """Refuse a number unless Meta shows it to the org's own access token.

    Messages are routed by phone_number_id, so a number nobody proved to own could
    be claimed by another org to read its customers' messages.
    """
    try:
        org_client(org_id).phone_number_info(phone_number_id)
    except GraphError as error:
        message = (
            f"Meta did not confirm number {phone_number_id} for this organization's "
            f"WhatsApp account: {error.title}"
        )
        raise NumberError("phone_number_id", message) from error
