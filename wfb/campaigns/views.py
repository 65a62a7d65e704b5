"""The campaigns pages: the list with progress, the form that checks a campaign
before it is sent, and each campaign's live progress, chart and recipient log."""

import logging
from datetime import timedelta

from flask import request
from marshmallow import ValidationError

from wfb.campaigns import checks, forms, recipients, service
from wfb.campaigns.models import Campaign
from wfb.campaigns.reasons import reason
from wfb.campaigns.routes import log_query
from wfb.campaigns.schemas import CampaignSendSchema
from wfb.dashboard.pages import answer, page_blueprint, page_for, see_other
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.models_base import utcnow
from wfb.paging import MAX_PAGE, page_of
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import current_org_id, current_user, get_or_404, scoped

logger = logging.getLogger(__name__)

bp = page_blueprint("campaigns_pages", __name__, url_prefix="/app/campaigns")
marketers_page = page_for("admin", "marketing")

PAGE_SIZE = 20
LOG_PAGE_SIZE = 50
BADGES = {
    "scheduled": "badge-warn",
    "running": "badge-ok",
    "paused": "badge-warn",
    "completed": "badge-ok",
    "failed": "badge-danger",
}
# Progress refreshes this often (seconds) while a campaign runs, and more slowly
# for a day after, while Meta's delivery statuses still come in.
LIVE_SECONDS, SETTLING_SECONDS = 2, 15
SETTLING = timedelta(days=1)
CHART = (
    ("Sent", ("sent", "delivered", "read"), "#4a7fd6"),
    ("Delivered", ("delivered", "read"), "#0b7a5a"),
    ("Read", ("read",), "#075e45"),
    ("Failed", ("failed",), "#b42318"),
)


def page_number(name: str = "page") -> int:
    return min(max(request.args.get(name, 1, type=int), 1), MAX_PAGE)


def progress_of(campaign: Campaign, counts: dict) -> dict:
    """Counts, how far the campaign got, and the chart's bars."""
    total = sum(counts.values())
    done = total - counts["pending"] - counts["sending"]
    bars = [
        {"label": label, "value": sum(counts[s] for s in statuses), "color": color}
        for label, statuses, color in CHART
    ]
    return {
        "campaign": campaign,
        "counts": counts,
        "total": total,
        "done": done,
        "bars": bars,
        "badge": BADGES.get(campaign.status, ""),
        "refresh": refresh_seconds(campaign),
    }


def refresh_seconds(campaign: Campaign) -> int | None:
    if campaign.status in ("scheduled", "running"):
        return LIVE_SECONDS
    finished = campaign.finished_at or campaign.updated_at
    if campaign.started_at and finished and utcnow() - finished < SETTLING:
        return SETTLING_SECONDS
    return None


def list_context() -> dict:
    page = page_number()
    query = scoped(Campaign).order_by(Campaign.id.desc())
    campaigns, total = page_of(query, page, PAGE_SIZE)
    counts = recipients.counts([c.id for c in campaigns])
    rows = [progress_of(c, counts[c.id]) for c in campaigns]
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "live": any(row["refresh"] == LIVE_SECONDS for row in rows),
        "numbers": dict(forms.number_options(current_org_id())),
    }


@bp.get("")
@marketers_page
def campaigns():
    """The org's campaigns, newest first, with their progress."""
    return answer(
        "campaigns/campaigns.html", "campaigns/_campaigns_table.html", **list_context()
    )


def render_form(status=200, form=None, errors=None, alert=None):
    org_id = current_org_id()
    form = {"audience": "all", "when": "now", **(form or {})}
    fields = forms.template_fields(forms.chosen_template(org_id, form.get("template")))
    return answer(
        "campaigns/new.html",
        status=status,
        form=form,
        errors=errors or {},
        alert=alert,
        fields=fields,
        templates=forms.approved_templates(org_id),
        number_options=forms.number_options(org_id),
        audiences=forms.AUDIENCES,
        check=None,
    )


@bp.get("/new")
@marketers_page
def new():
    """The form for a new campaign, which checks it before it is sent."""
    return render_form(form=request.args.to_dict())


@bp.get("/template-fields")
@marketers_page
def template_fields():
    """The inputs the chosen template's variables need."""
    template = forms.chosen_template(current_org_id(), request.args.get("template"))
    return answer(
        "campaigns/_template_fields.html",
        fields=forms.template_fields(template),
        form={},
        errors={},
    )


def posted_body() -> tuple[dict, forms.TemplateFields | None]:
    template = forms.chosen_template(current_org_id(), request.form.get("template"))
    fields = forms.template_fields(template)
    return forms.send_body(request.form, fields), fields


@bp.post("/check")
@marketers_page
def check():
    """What sending the form as it stands would do: reach, skips, failures."""
    body, fields = posted_body()
    context = {"check": None, "errors": {}, "fields": fields}
    if fields is None:
        context["errors"] = {"template": "Choose a template to check the campaign."}
        return answer("campaigns/_check.html", **context)
    try:
        data = CampaignSendSchema().load(body)
    except ValidationError as error:
        context["errors"] = forms.form_errors(error.normalized_messages(), fields)
        return answer("campaigns/_check.html", **context)
    context["check"] = checks.check(current_org_id(), data)
    return answer("campaigns/_check.html", **context)


@bp.post("")
@marketers_page
def create():
    """Send (or schedule) the campaign of the form."""
    body, fields = posted_body()
    form = request.form.to_dict()
    if fields is None:
        errors = {"template": "Choose an approved template."}
        return render_form(422, form=form, errors=errors)
    try:
        data = CampaignSendSchema().load(body)
        campaign = service.create_campaign(current_org_id(), current_user().id, data)
    except ValidationError as error:
        errors = forms.form_errors(error.normalized_messages(), fields)
        return render_form(422, form=form, errors=errors)
    except DomainError as error:
        db.session.rollback()
        errors = forms.form_errors((error.errors or {}).get("json", {}), fields)
        return render_form(error.status, form=form, errors=errors, alert=error.message)
    notice = f"{campaign.name} is on its way."
    if campaign.schedule_at > utcnow():
        at = campaign.schedule_at.strftime("%Y-%m-%d %H:%M")
        notice = f"{campaign.name} is scheduled for {at} UTC."
    return see_other("campaigns_pages.campaign", notice, campaign_id=campaign.id)


def campaign_context(campaign: Campaign) -> dict:
    number = db.session.get(PhoneNumber, campaign.phone_number_id or 0)
    counts = recipients.counts([campaign.id])[campaign.id]
    return {**progress_of(campaign, counts), "number": number, **log_context(campaign)}


def log_context(campaign: Campaign) -> dict:
    status = request.args.get("status", "")
    status = status if status in recipients.STATUSES else ""
    page = page_number()
    found, total = page_of(log_query(campaign, status or None), page, LOG_PAGE_SIZE)
    return {
        "log": [
            (row, reason(row.status, row.error_code, row.error_title)) for row in found
        ],
        "log_status": status,
        "log_total": total,
        "log_page": page,
        "log_pages": max(1, -(-total // LOG_PAGE_SIZE)),
        "statuses": recipients.STATUSES,
    }


@bp.get("/<int:campaign_id>")
@marketers_page
def campaign(campaign_id):
    """One campaign: its progress, chart, controls and recipient log."""
    found = get_or_404(Campaign, campaign_id, what="campaign")
    return answer(
        "campaigns/campaign.html", "campaigns/_log.html", **campaign_context(found)
    )


@bp.get("/<int:campaign_id>/progress")
@marketers_page
def progress(campaign_id):
    """The campaign's progress and chart, which refresh themselves while it runs."""
    found = get_or_404(Campaign, campaign_id, what="campaign")
    counts = recipients.counts([found.id])[found.id]
    return answer("campaigns/_progress.html", **progress_of(found, counts))


@bp.post("/<int:campaign_id>/<any(pause, resume, cancel):action>")
@marketers_page
def change(campaign_id, action):
    """Pause, resume or cancel the campaign."""
    found = get_or_404(Campaign, campaign_id, what="campaign")
    try:
        found = service.change(found, action, current_user())
    except DomainError as error:
        db.session.rollback()
        context = campaign_context(get_or_404(Campaign, campaign_id, what="campaign"))
        return answer(
            "campaigns/campaign.html",
            status=error.status,
            alert=error.message,
            **context,
        )
    done = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    return see_other(
        "campaigns_pages.campaign", f"{found.name} {done}.", campaign_id=campaign_id
    )
