"""The contacts API: list, search, create, change and delete contacts, and import
them from a CSV file. Every org role reads; admin and marketing write."""

import functools

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from wfb.contacts import csv_import, service
from wfb.contacts.models import Contact
from wfb.contacts.schemas import (
    ContactChangesSchema,
    ContactPageSchema,
    ContactQueryArgsSchema,
    ContactSchema,
    ContactsFileSchema,
    ImportReportSchema,
    TagChangesSchema,
)
from wfb.errors import error_body
from wfb.paging import page_body, page_of
from wfb.tenancy import current_org_id, current_user, get_or_404, login_required

blp = Blueprint("contacts", __name__, description="Contacts")

readers = login_required("admin", "marketing", "sales")
editors = login_required("admin", "marketing")


def get_contact(contact_id: int) -> Contact:
    return get_or_404(Contact, contact_id, what="contact")


@blp.route("/contacts")
class Contacts(MethodView):
    @readers
    @blp.arguments(ContactQueryArgsSchema, location="query")
    @blp.response(200, ContactPageSchema)
    def get(self, args):
        """List contacts, newest first; search by name or phone, filter by tags."""
        user, tags = current_user(), args.get("tag", [])
        query = service.search(user, current_org_id(), args.get("q"), tags)
        return page_body(*page_of(query, args["page"], args["page_size"]), args)

    @editors
    @blp.arguments(ContactSchema)
    @blp.response(201, ContactSchema)
    def post(self, data):
        """Add a contact; its phone is stored in E.164. 409 if the number is taken."""
        return service.create(current_org_id(), data, current_user())


@blp.route("/contacts/<int:contact_id>")
class ContactById(MethodView):
    @readers
    @blp.response(200, ContactSchema)
    def get(self, contact_id):
        """One contact (for a sales user, one of their conversations')."""
        return service.get_visible(current_user(), current_org_id(), contact_id)

    @editors
    @blp.arguments(ContactChangesSchema)
    @blp.response(200, ContactSchema)
    def put(self, changes, contact_id):
        """Change the fields given; only an admin clears an opt-out."""
        contact = get_contact(contact_id)
        return service.update(contact, changes, current_user())

    @editors
    @blp.response(204)
    def delete(self, contact_id):
        """Delete a contact and its conversations; campaigns keep what they sent to
        it. An opted-out contact is kept (409), so that its opt-out lasts."""
        service.delete(get_contact(contact_id), current_user())


@blp.route("/contacts/<int:contact_id>/tags", methods=["POST"])
@editors
@blp.arguments(TagChangesSchema)
@blp.response(200, ContactSchema)
def change_tags(changes, contact_id):
    """Add and remove some of a contact's tags, keeping the others."""
    contact = get_contact(contact_id)
    return service.change_tags(contact, changes["add"], changes["remove"])


def csv_size_limit(view):
    """Allow a CSV file up to MAX_CSV_BYTES, and say so when one is larger."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = csv_import.MAX_CSV_BYTES
        try:
            return view(*args, **kwargs)
        except RequestEntityTooLarge:
            # Answered here: the app's 413 handler would give a general message.
            megabytes = csv_import.MAX_CSV_BYTES // (1024 * 1024)
            message = (
                f"The file is larger than {megabytes} MB: split it into smaller "
                "files and import each."
            )
            return jsonify(error_body(413, message, "Payload Too Large")), 413

    return wrapper


@blp.route("/upload-contacts", methods=["POST"])
@editors
@csv_size_limit
@blp.arguments(ContactsFileSchema, location="files")
@blp.response(200, ImportReportSchema)
def upload_contacts(files):
    """Import contacts from a CSV file: new numbers are added, known ones updated.

    Columns: `phone`, `name`, `tags` (separated by `;`, or `|`), any other column an
    attribute. `errors` lists the rows not imported by line (the header is line 1).
    """
    report = csv_import.import_csv(current_org_id(), files["file"].stream)
    return report.body()


@blp.route("/upload-contacts/template")
@editors
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="A CSV file to fill in.",
)
def upload_template():
    """A CSV file with the header row and example rows, to fill in and import."""
    disposition = 'attachment; filename="contacts-template.csv"'
    return Response(
        csv_import.TEMPLATE,
        mimetype="text/csv",
        headers={"Content-Disposition": disposition},
    )
