"""The campaigns API: send, check, list, follow and steer campaigns."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from wfb.campaigns import checks, recipients, service
from wfb.campaigns.models import Campaign, CampaignRecipient
from wfb.campaigns.reasons import reason
from wfb.campaigns.schemas import (
    CampaignCheckSchema,
    CampaignListArgsSchema,
    CampaignPageSchema,
    CampaignSchema,
    CampaignSendSchema,
    LogArgsSchema,
    LogPageSchema,
)
from wfb.paging import page_body, page_of
from wfb.tenancy import current_org_id, current_user, get_or_404, login_required, scoped

blp = Blueprint("campaigns", __name__, description="Campaigns")
marketers = login_required("admin", "marketing")
BODY_FIELDS = (
    "id", "name", "phone_number_id", "template", "audience", "status", "reason",
    "schedule_at", "started_at", "finished_at", "created_at", "created_by_id",
)  # fmt: skip
RECIPIENT_FIELDS = (
    "id", "contact_id", "phone", "status", "wamid", "error_code", "error_title",
    "attempts", "sent_at", "status_at",
)  # fmt: skip


def campaign_bodies(campaigns: list[Campaign]) -> list[dict]:
    """Campaigns with their recipients counted by status (one GROUP BY for all)."""
    counts = recipients.counts([c.id for c in campaigns])
    bodies = []
    for campaign in campaigns:
        found = counts[campaign.id]
        body = {name: getattr(campaign, name) for name in BODY_FIELDS}
        bodies.append({**body, "counts": found, "total": sum(found.values())})
    return bodies


def recipient_body(recipient: CampaignRecipient) -> dict:
    body = {name: getattr(recipient, name) for name in RECIPIENT_FIELDS}
    body["reason"] = reason(
        recipient.status, recipient.error_code, recipient.error_title
    )
    return body


@blp.route("/campaigns")
class Campaigns(MethodView):
    decorators = [marketers]

    @blp.arguments(CampaignListArgsSchema, location="query")
    @blp.response(200, CampaignPageSchema)
    def get(self, args):
        """List the org's campaigns, newest first, each with its counts by status."""
        query = scoped(Campaign).order_by(Campaign.id.desc())
        if args.get("status"):
            query = query.where(Campaign.status == args["status"])
        campaigns, total = page_of(query, args["page"], args["page_size"])
        return page_body(campaign_bodies(campaigns), total, args)


@blp.route("/campaigns/send")
class CampaignSend(MethodView):
    decorators = [marketers]

    @blp.arguments(CampaignSendSchema)
    @blp.response(202, CampaignSchema)
    def post(self, data):
        """Create a campaign and start it now, or at `schedule_at`; its values are
        checked against the synced template first (422 naming each problem)."""
        campaign = service.create_campaign(current_org_id(), current_user().id, data)
        return campaign_bodies([campaign])[0]


@blp.route("/campaigns/check")
class CampaignCheck(MethodView):
    decorators = [marketers]

    @blp.arguments(CampaignSendSchema)
    @blp.response(200, CampaignCheckSchema)
    def post(self, data):
        """Check a campaign as sending would, storing nothing: the audience's size,
        who would be skipped or failed, and the problems that would refuse it."""
        return checks.check(current_org_id(), data)


@blp.route("/campaigns/<int:campaign_id>")
class CampaignById(MethodView):
    decorators = [marketers]

    @blp.response(200, CampaignSchema)
    def get(self, campaign_id):
        """One campaign with its recipients counted by status."""
        campaign = get_or_404(Campaign, campaign_id, what="campaign")
        return campaign_bodies([campaign])[0]


@blp.route("/campaigns/<int:campaign_id>/logs")
class CampaignLogs(MethodView):
    decorators = [marketers]

    @blp.arguments(LogArgsSchema, location="query")
    @blp.response(200, LogPageSchema)
    def get(self, args, campaign_id):
        """The campaign's recipients a page at a time, optionally of one status,
        with the counts of every status."""
        campaign = get_or_404(Campaign, campaign_id, what="campaign")
        query = log_query(campaign, args.get("status"))
        found, total = page_of(query, args["page"], args["page_size"])
        body = page_body([recipient_body(r) for r in found], total, args)
        return {**body, "counts": recipients.counts([campaign.id])[campaign.id]}


def log_query(campaign: Campaign, status: str | None):
    query = (
        select(CampaignRecipient)
        .where(
            CampaignRecipient.org_id == campaign.org_id,
            CampaignRecipient.campaign_id == campaign.id,
        )
        .order_by(CampaignRecipient.id)
    )
    if status:
        query = query.where(CampaignRecipient.status == status)
    return query


def changed(campaign_id: int, action: str) -> dict:
    campaign = get_or_404(Campaign, campaign_id, what="campaign")
    campaign = service.change(campaign, action, current_user())
    return campaign_bodies([campaign])[0]


@blp.route("/campaigns/<int:campaign_id>/pause")
class CampaignPause(MethodView):
    decorators = [marketers]

    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Pause a scheduled or running campaign; 409 in any other status."""
        return changed(campaign_id, "pause")


@blp.route("/campaigns/<int:campaign_id>/resume")
class CampaignResume(MethodView):
    decorators = [marketers]

    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Resume a paused campaign where it stopped; 409 in any other status, or
        while its template cannot be sent."""
        return changed(campaign_id, "resume")


@blp.route("/campaigns/<int:campaign_id>/cancel")
class CampaignCancel(MethodView):
    decorators = [marketers]

    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Cancel a scheduled, running or paused campaign; what was sent stays sent."""
        return changed(campaign_id, "cancel")
