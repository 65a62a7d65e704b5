"""Every model, imported once so that Alembic and the mappers see them all."""

from wfb.accounts.models import Invitation, Org, PasswordReset, User
from wfb.audit.models import AuditEvent
from wfb.campaigns.models import Campaign, CampaignRecipient
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, MediaFile, Message
from wfb.credentials.models import OpenAIKey, WhatsAppAccount
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.message_templates.models import MessageTemplate
from wfb.phone_numbers.models import PhoneNumber
from wfb.sales_team.models import SalesMember
from wfb.webhooks.models import WebhookEvent

__all__ = [
    "AuditEvent",
    "Campaign",
    "CampaignRecipient",
    "Contact",
    "Conversation",
    "Flow",
    "FlowSession",
    "FlowVersion",
    "Invitation",
    "MediaFile",
    "Message",
    "MessageTemplate",
    "OpenAIKey",
    "Org",
    "PasswordReset",
    "PhoneNumber",
    "SalesMember",
    "User",
    "WebhookEvent",
    "WhatsAppAccount",
]
