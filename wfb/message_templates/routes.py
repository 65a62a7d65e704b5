"""The templates API: sync from Meta and list, create, delete, and header samples.
Admin and marketing only."""

from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.message_templates import service
from wfb.message_templates.media import upload_header_media
from wfb.message_templates.schemas import (
    MediaHandleSchema,
    MediaUploadSchema,
    TemplateCreateSchema,
    TemplateDeleteArgsSchema,
    TemplatePageSchema,
    TemplateQueryArgsSchema,
    TemplateSchema,
)
from wfb.paging import page_body, page_of
from wfb.tenancy import current_org_id, current_user, login_required

blp = Blueprint("message_templates", __name__, description="Message templates")

editors = login_required("admin", "marketing")


@blp.route("/templates")
class Templates(MethodView):
    decorators = [editors]

    @blp.arguments(TemplateQueryArgsSchema, location="query")
    @blp.response(200, TemplatePageSchema)
    def get(self, args):
        """Sync the templates from Meta (unless sync=false), then list them.

        A sync follows every page of Meta's list, stores each template by name and
        language, and marks those no longer on Meta `gone` (listed only with
        `include_gone=true`). `sync` says what it found. 409 when the org has no
        WhatsApp credentials or Meta refuses its token; Meta's code is in
        `errors.meta`.
        """
        org_id = current_org_id()
        synced = service.sync_templates(org_id) if args["sync"] else None
        query = service.template_list(org_id, args)
        body = page_body(*page_of(query, args["page"], args["page_size"]), args)
        return {**body, "sync": synced}

    @blp.arguments(TemplateCreateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, data):
        """Submit a new template to Meta for review, after checking Meta's rules.

        A body that breaks a rule answers 422 with each problem at its place
        (`errors.json["components[1].text"]`) and nothing is sent to Meta. The stored
        template carries the status Meta answered, usually PENDING.
        """
        return service.create_template(current_org_id(), data, current_user())


@blp.route("/templates/<name>", methods=["DELETE"])
@editors
@blp.arguments(TemplateDeleteArgsSchema, location="query")
@blp.response(204)
def delete_template(args, name):
    """Delete a template on Meta: every language, or only `?language=`.

    It stays listed with `include_gone=true`, marked gone with status DELETED, so
    campaigns that sent it still show it. Meta does not let a deleted name be used
    again for 30 days.
    """
    service.delete_template(
        current_org_id(), name, args.get("language"), current_user()
    )


@blp.route("/templates/upload-media", methods=["POST"])
@editors
@blp.arguments(MediaUploadSchema, location="files")
@blp.response(200, MediaHandleSchema)
def upload_media(files):
    """Upload a header sample (image, video or PDF) and get its handle for
    `example.header_handle` in a new template's media header."""
    file = files["file"]
    data = file.read()
    return upload_header_media(current_org_id(), data, file.mimetype, file.filename)
