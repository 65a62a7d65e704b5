"""Every model, imported once so that Alembic and the mappers see them all."""

from wfb.accounts.models import Org, User
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.credentials.models import WhatsAppAccount
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.phone_numbers.models import PhoneNumber
from wfb.webhooks.models import WebhookEvent

__all__ = [
    "Contact",
    "Conversation",
    "Flow",
    "FlowSession",
    "FlowVersion",
    "Message",
    "Org",
    "PhoneNumber",
    "User",
    "WebhookEvent",
    "WhatsAppAccount",
]
