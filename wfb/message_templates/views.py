"""The templates page: the org's templates with their status, a sync from Meta, a
form for a new one with its preview, and delete."""

import logging

from flask import request

from wfb.dashboard.pages import answer, page_blueprint, page_for, see_other
from wfb.extensions import db
from wfb.message_templates import forms, media, service
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.preview import preview_of
from wfb.message_templates.rules import LANGUAGES, check_template
from wfb.message_templates.schemas import STATUSES
from wfb.paging import MAX_PAGE, page_of
from wfb.tenancy import current_org_id, current_user, get_or_404

logger = logging.getLogger(__name__)

bp = page_blueprint("message_templates_pages", __name__, url_prefix="/app/templates")
editors_page = page_for("admin", "marketing")

PAGE_SIZE = 20
BADGES = {
    "APPROVED": "badge-ok",
    "PENDING": "badge-warn",
    "IN_APPEAL": "badge-warn",
    "PENDING_DELETION": "badge-warn",
    "FLAGGED": "badge-warn",
    "REJECTED": "badge-danger",
    "PAUSED": "badge-danger",
    "DISABLED": "badge-danger",
    "LIMIT_EXCEEDED": "badge-danger",
    "LOCKED": "badge-danger",
    "DELETED": "badge-danger",
}
NEW_FORM = {"language": "en_US", "category": "MARKETING"}


def list_args() -> dict:
    status = request.args.get("status", "")
    return {
        "status": status if status in STATUSES else "",
        "name": request.args.get("name", "").strip()[:100],
    }


def template_rows(templates: list[MessageTemplate]) -> list[dict]:
    return [
        {
            "template": template,
            "badge": BADGES.get(template.status, ""),
            "preview": preview_of(template.components, template.parameter_format),
        }
        for template in templates
    ]


def panel_context(synced=None, sync_error=None) -> dict:
    """The list's part of the page: filters, rows, pager and the last sync."""
    args = list_args()
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    query = service.template_list(current_org_id(), args)
    templates, total = page_of(query, page, PAGE_SIZE)
    return {
        "rows": template_rows(templates),
        "args": args,
        "statuses": STATUSES,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "synced": synced,
        "sync_error": sync_error,
    }


def render_page(status=200, form=None, errors=None, alert=None, **panel):
    values = {**NEW_FORM, **(form or {})}
    body, _ = forms.template_body(forms.read_form(values))
    return answer(
        "message_templates/templates.html",
        "message_templates/_panel.html",
        status=status,
        form=values,
        errors=errors or {},
        alert=alert,
        preview=preview_of(body["components"]),
        problems=[],
        languages=LANGUAGES,
        categories=forms.FORM_CATEGORIES,
        header_types=forms.HEADER_TYPES,
        button_types=forms.BUTTON_TYPES,
        button_rows=forms.BUTTON_ROWS,
        shown_button_rows=forms.SHOWN_BUTTON_ROWS,
        **panel_context(**panel),
    )


@bp.get("")
@editors_page
def templates():
    """The org's templates as last synced, with the form for a new one."""
    return render_page()


@bp.post("/sync")
@editors_page
def sync():
    """Sync from Meta; the list comes back with what the sync found."""
    try:
        synced = service.sync_templates(current_org_id())
    except service.TemplateError as error:
        db.session.rollback()
        if not request.headers.get("HX-Request"):
            return render_page(error.status, sync_error=error.message)
        return answer(
            "message_templates/_panel.html",
            status=200,
            **panel_context(sync_error=error.message),
        )
    if not request.headers.get("HX-Request"):
        return see_other("message_templates_pages.templates", synced.summary() + ".")
    return answer("message_templates/_panel.html", **panel_context(synced=synced))


@bp.post("")
@editors_page
def create():
    """Check the new template here, then submit it to Meta."""
    values = forms.read_form(request.form)
    body, places = forms.template_body(values)
    problems = check_template(body)
    if problems:
        errors = forms.field_problems(problems, places)
        return render_page(422, form=values, errors=errors)
    if values["header_type"] in forms.MEDIA_FORMATS and values[
        "header_media_format"
    ] not in ("", values["header_type"]):
        message = (
            f"The uploaded file is a {values['header_media_format'].lower()}: "
            f"choose that header type or upload a {values['header_type'].lower()}."
        )
        return render_page(422, form=values, errors={"header_file": message})

    try:
        template = service.create_template(current_org_id(), body, current_user())
    except service.TemplateError as error:
        db.session.rollback()
        errors = forms.field_problems((error.errors or {}).get("json", {}), places)
        return render_page(422, form=values, errors=errors, alert=error.message)

    return see_other(
        "message_templates_pages.templates",
        f"{template.name} ({template.language}) sent to Meta: {template.status}.",
    )


@bp.post("/preview")
@editors_page
def preview():
    """The new template as WhatsApp would show it, and what Meta would refuse."""
    values = forms.read_form(request.form)
    body, places = forms.template_body(values)
    problems = check_template(body) if values["body"] else {}
    return answer(
        "message_templates/_preview.html",
        preview=preview_of(body["components"]),
        problems=list(forms.field_problems(problems, places).values()),
    )


@bp.post("/header-media")
@editors_page
def header_media():
    """Upload a header sample to Meta; its handle goes into the form."""
    file = request.files.get("file")
    context = {"form": {}, "upload_error": None}
    if file is None or not file.filename:
        context["upload_error"] = "Choose a file to upload."
    else:
        try:
            uploaded = media.upload_header_media(
                current_org_id(), file.read(), file.mimetype, file.filename
            )
            context["form"] = {
                "header_handle": uploaded.handle,
                "header_media_format": uploaded.format,
                "header_filename": file.filename[:100],
            }
        except service.TemplateError as error:
            context["upload_error"] = error.message
    return answer("message_templates/_header_media.html", **context)


@bp.post("/<int:template_id>/delete")
@editors_page
def delete(template_id):
    """Delete one language of a template on Meta."""
    template = get_or_404(MessageTemplate, template_id, what="template")
    try:
        service.delete_template(
            template.org_id, template.name, template.language, current_user()
        )
    except service.TemplateError as error:
        db.session.rollback()
        return render_page(error.status, alert=error.message)
    return see_other(
        "message_templates_pages.templates",
        f"{template.name} ({template.language}) deleted.",
    )
