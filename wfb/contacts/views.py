"""The contacts page: search and filter by tag, add, edit and delete contacts, and
import a CSV file with a report of the rows that were not imported.

Every org role reads contacts; admin and marketing change them.
"""

import functools

from flask import abort, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from wfb.contacts import csv_import, service
from wfb.contacts.forms import contact_form, form_values, parse_contact_form
from wfb.contacts.models import Contact
from wfb.contacts.schemas import ContactQueryArgsSchema
from wfb.contacts.tags import tag_counts
from wfb.dashboard.pages import (
    ORG_ROLES,
    answer,
    field_errors,
    page_blueprint,
    page_for,
    refusal_errors,
    see_other,
)
from wfb.extensions import db
from wfb.paging import page_of
from wfb.tenancy import current_org_id, current_user, get_or_404

bp = page_blueprint("contacts_pages", __name__, url_prefix="/app/contacts")
editors_page = page_for("admin", "marketing")

PAGE_SIZE = 25


def list_args(values) -> dict:
    """The list's search, tag and page; anything malformed is dropped."""
    raw = {"page_size": PAGE_SIZE}
    for key in ("q", "page"):
        if values.get(key, "").strip():
            raw[key] = values[key].strip()
    if values.get("tag"):
        raw["tag"] = [values["tag"]]
    try:
        return ContactQueryArgsSchema().load(raw)
    except ValidationError:
        return ContactQueryArgsSchema().load({"page_size": PAGE_SIZE})


def render_contacts(status=200, form=None, errors=None, report=None):
    """The contacts page, or for htmx only its table, for the current query."""
    org_id = current_org_id()
    args = list_args(request.args)
    query = service.search(current_user(), org_id, args.get("q"), args.get("tag", []))
    contacts, total = page_of(query, args["page"], PAGE_SIZE)
    tag = (args.get("tag") or [""])[0]
    # The filter's options cost a pass over every contact's tags: whole pages only.
    full_page = not request.headers.get("HX-Request")
    return answer(
        "contacts/contacts.html",
        "contacts/_contacts_table.html",
        status=status,
        contacts=contacts,
        total=total,
        args={"q": args.get("q", ""), "tag": tag},
        page=args["page"],
        pages=max(1, -(-total // PAGE_SIZE)),
        tag_options=_tag_options(org_id, tag) if full_page else [],
        form=form or {},
        errors=errors or {},
        report=report,
        max_csv_megabytes=csv_import.MAX_CSV_BYTES // (1024 * 1024),
    )


def _tag_options(org_id: int, selected: str) -> list[tuple[str, str]]:
    """The org's most used tags with their counts, and the one asked for."""
    rows = db.session.execute(tag_counts(org_id, db.engine.dialect.name)).all()
    options = [(tag, f"{tag} ({uses})") for tag, uses in rows]
    if selected and selected not in {tag for tag, _ in rows}:
        options.append((selected, selected))
    return [("", "Any tag"), *options]


@bp.get("")
@page_for(*ORG_ROLES)
def contacts():
    """The org's contacts: search, tags, and for editors adding and importing."""
    return render_contacts()


@bp.post("")
@editors_page
def add():
    """Add a contact from the form."""
    form = form_values(request.form)
    try:
        data = parse_contact_form(form)
        contact = service.create(current_org_id(), data, current_user())
    except ValidationError as error:
        return render_contacts(422, form, field_errors(error))
    except service.ContactError as error:
        return render_contacts(error.status, form, refusal_errors(error, "phone"))

    return see_other("contacts_pages.contacts", f"{contact.phone} is added.")


def get_contact(contact_id: int) -> Contact:
    return get_or_404(Contact, contact_id, what="contact")


def render_contact(contact: Contact, status=200, form=None, errors=None):
    return render_template(
        "contacts/contact.html",
        contact=contact,
        form=form or contact_form(contact),
        errors=errors or {},
    ), status


@bp.get("/<int:contact_id>")
@page_for(*ORG_ROLES)
def contact(contact_id):
    """One contact, with its form for those who edit contacts."""
    try:
        found = service.get_visible(current_user(), current_org_id(), contact_id)
    except service.ContactError:
        abort(404)
    return render_contact(found)


@bp.post("/<int:contact_id>")
@editors_page
def save(contact_id):
    """Save a contact's changes."""
    contact = get_contact(contact_id)
    form = form_values(request.form)
    try:
        changes = parse_contact_form(form, partial=True)
        service.update(contact, changes, current_user())
    except ValidationError as error:
        db.session.rollback()
        return render_contact(contact, 422, form, field_errors(error))
    except service.ContactError as error:
        db.session.rollback()
        field = "form" if error.status == 403 else "phone"
        return render_contact(contact, error.status, form, refusal_errors(error, field))

    return see_other("contacts_pages.contacts", f"{contact.phone} is saved.")


@bp.post("/<int:contact_id>/delete")
@editors_page
def delete(contact_id):
    """Delete a contact."""
    contact = get_contact(contact_id)
    try:
        service.delete(contact, current_user())
    except service.ContactError as error:
        return render_contact(contact, error.status, errors={"form": error.message})
    return see_other("contacts_pages.contacts", f"{contact.phone} is deleted.")


def csv_size_limit(view):
    """Allow a CSV file up to its own limit, set before the session check reads the
    form; a larger one gets the import report's message instead of the form."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = csv_import.MAX_CSV_BYTES
        try:
            return view(*args, **kwargs)
        except RequestEntityTooLarge:
            megabytes = csv_import.MAX_CSV_BYTES // (1024 * 1024)
            refused = f"The file is larger than {megabytes} MB: split it into parts."
            # The session may not be checked yet: answer nothing of the org's.
            return answer(
                "dashboard/refused.html",
                "contacts/_import_report.html",
                status=413,
                reason=refused,
                refused=refused,
                report=None,
            )

    return wrapper


@bp.post("/import")
@csv_size_limit
@editors_page
def import_csv():
    """Import a CSV file; answers the page, or for htmx only the import report."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_answer(None, "Choose a CSV file to import.", 422)
    try:
        report = csv_import.import_csv(current_org_id(), upload.stream)
    except csv_import.ImportRefused as error:
        return _import_answer(None, error.message, error.status)
    return _import_answer(report.body(), None, 200)


def _import_answer(report, refused, status):
    if request.headers.get("HX-Request"):
        return answer(
            "contacts/_import_report.html",
            "contacts/_import_report.html",
            status=status,
            report=report,
            refused=refused,
        )
    if refused:
        return render_contacts(status, errors={"file": refused})
    return render_contacts(status, report=report)
