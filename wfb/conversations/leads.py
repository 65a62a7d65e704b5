"""Handing a lead to a person: the flow's `assign` node.

Round robin gives each new lead to the active member of the sales team with a user
account who was given one longest ago (or never), so leads alternate evenly; the
member's row is locked while choosing, so two leads at once go to two members. A
member with a phone is told on WhatsApp, from the same number, after the commit.
"""

import logging

from sqlalchemy import select

from wfb.accounts.models import User
from wfb.conversations import inbox
from wfb.conversations.models import Conversation
from wfb.extensions import db
from wfb.jobs import task
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.sales_team.models import SalesMember
from wfb.whatsapp import messages
from wfb.whatsapp.client import client_for
from wfb.whatsapp.errors import GraphError

logger = logging.getLogger(__name__)


def assign_lead(conversation: Conversation, data: dict) -> SalesMember | None:
    """Give the conversation to the node's member, or the next one in turn; the
    member chosen, when it is one of the sales team."""
    previous = conversation.assigned_user_id
    if "member_id" in data:
        member = _team_member(conversation.org_id, data["member_id"])
        user = db.session.get(User, data["member_id"])
    else:
        member = _next_in_turn(conversation.org_id)
        user = db.session.get(User, member.user_id) if member else None
    if user is None or user.org_id != conversation.org_id:
        logger.warning("conversation %s: nobody to hand it to", conversation.id)
        conversation.handed_off = True
        inbox.changed(conversation, previous)
        return None
    inbox.assign(conversation, user)
    if member is not None:
        member.last_assigned_at = utcnow()
    inbox.changed(conversation, previous)
    logger.info("conversation %s handed to user %s", conversation.id, user.id)
    return member


def _next_in_turn(org_id: int) -> SalesMember | None:
    return db.session.scalar(
        select(SalesMember)
        .join(User, User.id == SalesMember.user_id)
        .where(
            SalesMember.org_id == org_id,
            SalesMember.active.is_(True),
            User.org_id == org_id,
        )
        .order_by(SalesMember.last_assigned_at.asc().nulls_first(), SalesMember.id)
        .limit(1)
        .with_for_update(of=SalesMember)
    )


def _team_member(org_id: int, user_id: int) -> SalesMember | None:
    return db.session.scalar(
        select(SalesMember).where(
            SalesMember.org_id == org_id, SalesMember.user_id == user_id
        )
    )


@task()
def tell_member(member_id: int, conversation_id: int) -> None:
    """Tell a member on WhatsApp that a lead is theirs."""
    member = db.session.get(SalesMember, member_id)
    conversation = db.session.get(Conversation, conversation_id)
    if member is None or conversation is None or not member.phone:
        return
    number = db.session.get(PhoneNumber, conversation.phone_number_id)
    contact = conversation.contact
    text = (
        f"New lead for you: {contact.name or 'a customer'} ({contact.phone}). "
        "Reply to them from the WFB inbox."
    )
    try:
        client_for(number).send_message(
            number.phone_number_id, messages.text(member.phone, text)
        )
    except GraphError as error:
        # Meta refuses free-form texts to a member who has not written to the
        # number in 24 hours; the inbox still shows the lead.
        logger.warning("member %s was not told of a lead: %s", member_id, error)
