"""An org's message templates: find, sync from Meta, create and delete.

Every call to Meta goes through `template_client`: an org that runs on the sandbox
alone (sandbox numbers, no real one) talks to the sandbox's Graph API in process, any
other org to Meta with its own access token. Meta's refusals become `TemplateError`s
that say what to do, with Meta's code in `errors.meta`.
"""

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wfb.audit import record
from wfb.credentials.models import WhatsAppAccount
from wfb.credentials.whatsapp import whatsapp_account
from wfb.errors import DomainError
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate
from wfb.message_templates.rules import check_template
from wfb.models_base import utcnow
from wfb.phone_numbers.models import PhoneNumber
from wfb.tenancy import scoped
from wfb.whatsapp.client import SANDBOX_URL, GraphClient, org_client
from wfb.whatsapp.errors import AUTH, RETRY, UNKNOWN, GraphError

logger = logging.getLogger(__name__)

RACE_RETRIES = 3
CREATE_FIELDS = (
    "name",
    "language",
    "category",
    "parameter_format",
    "allow_category_change",
    "components",
)


class TemplateError(DomainError):
    """A template call refused, here or by Meta."""


@dataclass(frozen=True)
class SyncResult:
    total: int
    new: int
    updated: int
    gone: int

    def summary(self) -> str:
        return (
            f"{self.total} templates, {self.new} new, {self.updated} updated, "
            f"{self.gone} gone"
        )


def find_template(org_id: int, name: str, language: str) -> MessageTemplate | None:
    """The org's stored template of this name and language, gone ones included."""
    return db.session.scalar(
        scoped(MessageTemplate, org_id).where(
            MessageTemplate.name == name, MessageTemplate.language == language
        )
    )


def runs_on_sandbox(org_id: int) -> bool:
    """Whether the org's template calls go to the sandbox: it has sandbox numbers
    and no real one, and the sandbox runs."""
    if not current_app.config["SETTINGS"].WFB_SANDBOX:
        return False
    kinds = set(
        db.session.scalars(
            scoped(PhoneNumber, org_id).with_only_columns(PhoneNumber.is_sandbox)
        )
    )
    return kinds == {True}


def template_client(org_id: int) -> tuple[GraphClient, WhatsAppAccount]:
    """The Graph client for the org's templates, and its WhatsApp account."""
    account = whatsapp_account(org_id)
    if account is None:
        message = (
            "This organization has no WhatsApp credentials: add them in Settings "
            "(WhatsApp) before working with templates."
        )
        raise TemplateError(message, 409, errors={"whatsapp": [message]})
    if runs_on_sandbox(org_id):
        # Imported on use: the sandbox is optional and sits above this module.
        from wfb.sandbox.transport import sandbox_session

        settings = current_app.config["SETTINGS"]
        client = GraphClient(
            SANDBOX_URL,
            settings.META_GRAPH_VERSION,
            account.access_token or "",
            settings.META_TIMEOUT,
            session=sandbox_session(),
        )
        return client, account
    try:
        return org_client(org_id), account
    except GraphError as error:
        raise meta_refusal(error, "reach Meta") from error


def meta_refusal(error: GraphError, doing: str, status: int = 502) -> TemplateError:
    """The answer for a Graph error met while trying to `doing`."""
    meta = {"code": error.code, "subcode": error.subcode, "message": error.title}
    if error.details:
        meta["details"] = error.details
    said = f"{error.title} (code {error.code})" if error.code else error.title
    if error.kind == AUTH and error.code == 190:
        message = (
            "Meta refused the WhatsApp access token (code 190): it has expired or "
            "was revoked. Save a new token in Settings (WhatsApp)."
        )
        return TemplateError(message, 409, errors={"meta": meta})
    if error.kind == AUTH:
        message = (
            f"Meta refused to {doing} with this organization's WhatsApp "
            f"credentials: {said}. Check the token's permissions in Settings."
        )
        return TemplateError(message, 409, errors={"meta": meta})
    if error.kind == RETRY:
        message = f"Meta is busy or unavailable ({said}); try again in a minute."
        return TemplateError(message, 503, errors={"meta": meta})
    if error.kind == UNKNOWN:
        message = f"Meta did not answer in time while trying to {doing}."
        return TemplateError(message, 504, errors={"meta": meta})
    details = f": {error.details}" if error.details else ""
    message = f"Meta refused to {doing}: {said}{details}"
    return TemplateError(message, status, errors={"meta": meta})


def sync_templates(org_id: int) -> SyncResult:
    """Store every template Meta has for the org's WABA; mark the missing gone."""
    client, account = template_client(org_id)
    try:
        fetched = usable_templates(client.list_templates(account.waba_id))
    except GraphError as error:
        raise meta_refusal(error, "list the templates") from error

    for attempt in range(1, RACE_RETRIES + 1):
        try:
            result = store_fetched(org_id, fetched)
            db.session.commit()
            break
        except IntegrityError:
            # Another sync of the same org stored a new template first: look again.
            db.session.rollback()
            if attempt == RACE_RETRIES:
                raise
    logger.info("org %s synced templates: %s", org_id, result.summary())
    return result


def usable_templates(templates) -> dict[tuple[str, str], dict]:
    """Meta's templates by (name, language), leaving out any without them."""
    usable = {}
    for template in templates:
        name, language = template.get("name"), template.get("language")
        if not isinstance(name, str) or not isinstance(language, str):
            logger.warning("Meta listed a template without a name or language")
            continue
        if len(name) > 512 or len(language) > 20:
            logger.warning("Meta listed a template whose name is too long to keep")
            continue
        usable[(name, language)] = template
    return usable


def store_fetched(org_id: int, fetched: dict) -> SyncResult:
    stored = {
        (row.name, row.language): row
        for row in db.session.scalars(scoped(MessageTemplate, org_id))
    }
    new = updated = gone = 0
    now = utcnow()
    for key, template in fetched.items():
        row = stored.get(key)
        if row is None:
            row = MessageTemplate(org_id=org_id, name=key[0], language=key[1])
            db.session.add(row)
            new += 1
        if copy_from_meta(row, template) and row.id is not None:
            updated += 1
        row.synced_at = now
    for key, row in stored.items():
        if key not in fetched and not row.gone:
            row.gone = True
            gone += 1
    db.session.flush()
    return SyncResult(len(fetched), new, updated, gone)


def copy_from_meta(row: MessageTemplate, template: dict) -> bool:
    """Take Meta's view of a template; answer whether anything changed."""
    before = template_state(row)
    row.meta_id = str(template.get("id") or row.meta_id or "")[:40] or None
    row.status = str(template.get("status") or row.status or "PENDING")[:30]
    row.category = str(template.get("category") or row.category or "")[:30]
    row.parameter_format = str(template.get("parameter_format") or "POSITIONAL")[:20]
    components = template.get("components")
    row.components = components if isinstance(components, list) else []
    rejected = template.get("rejected_reason")
    if isinstance(rejected, str) and rejected not in ("", "NONE"):
        row.reason = rejected
    elif row.status == "APPROVED":
        row.reason = None
    row.gone = False
    return template_state(row) != before


def template_state(row: MessageTemplate) -> tuple:
    return (
        row.meta_id,
        row.status,
        row.category,
        row.parameter_format,
        row.components,
        row.reason,
        row.gone,
    )


def template_list(org_id: int, args: dict):
    """The SELECT of the org's stored templates that the list's filters ask for."""
    query = scoped(MessageTemplate, org_id)
    if not args.get("include_gone"):
        query = query.where(MessageTemplate.gone.is_(False))
    if args.get("status"):
        query = query.where(MessageTemplate.status == args["status"])
    if args.get("language"):
        query = query.where(MessageTemplate.language == args["language"])
    if args.get("name"):
        escaped = args["name"].replace("\\", "\\\\").replace("%", "\\%")
        pattern = "%" + escaped.replace("_", "\\_") + "%"
        query = query.where(MessageTemplate.name.ilike(pattern, escape="\\"))
    order = (MessageTemplate.name, MessageTemplate.language, MessageTemplate.id)
    return query.order_by(*order)


def create_template(org_id: int, body: dict, by=None) -> MessageTemplate:
    """Check a template by Meta's rules, submit it to Meta, and store it."""
    problems = check_template(body)
    if problems:
        place, messages = next(iter(problems.items()))
        message = f"The template breaks Meta's rules: {place}: {messages[0]}"
        raise TemplateError(message, 422, errors={"json": dict(problems)})
    existing = find_template(org_id, body["name"], body["language"])
    if existing is not None and not existing.gone:
        message = f"A template {body['name']} in {body['language']} exists already."
        raise TemplateError(message, 409, errors={"json": {"name": [message]}})
    client, account = template_client(org_id)
    request = {key: body[key] for key in CREATE_FIELDS if key in body}

    try:
        answer = client.create_template(account.waba_id, request)
    except GraphError as error:
        raise meta_refusal(error, "create the template", status=422) from error

    template = existing or MessageTemplate(
        org_id=org_id, name=body["name"], language=body["language"]
    )
    copy_from_meta(template, {**request, **answer})
    template.reason = None
    template.synced_at = utcnow()
    db.session.add(template)
    record("templates.created", org_id, by, template.name, language=template.language)
    try:
        db.session.commit()
    except IntegrityError:
        # A second submit of the same template stored it first; Meta has it once.
        db.session.rollback()
        message = f"A template {body['name']} in {body['language']} exists already."
        raise TemplateError(
            message, 409, errors={"json": {"name": [message]}}
        ) from None
    logger.info(
        "org %s created template %s (%s) as %s",
        org_id,
        template.meta_id,
        template.language,
        template.status,
    )
    return template


def delete_template(org_id: int, name: str, language: str | None = None, by=None):
    """Delete a template on Meta, every language or one, and mark it gone here.

    The rows stay, marked gone with status DELETED, so that campaigns that sent it
    still show what they sent.
    """
    query = scoped(MessageTemplate, org_id).where(
        MessageTemplate.name == name, MessageTemplate.gone.is_(False)
    )
    if language:
        query = query.where(MessageTemplate.language == language)
    templates = db.session.scalars(query).all()
    if not templates:
        where = f" in {language}" if language else ""
        raise TemplateError(f"No template named {name}{where}.", 404)
    hsm_id = templates[0].meta_id if language else None
    if language and not hsm_id:
        message = "Meta's id of this template is unknown: sync the templates first."
        raise TemplateError(message, 409)
    client, account = template_client(org_id)

    try:
        client.delete_template(account.waba_id, name, hsm_id)
    except GraphError as error:
        raise meta_refusal(error, "delete the template") from error

    for template in templates:
        template.gone = True
        template.status = "DELETED"
    record("templates.deleted", org_id, by, name, language=language or "all")
    db.session.commit()
    logger.info("org %s deleted template %s (%s)", org_id, name, language or "all")
    return templates


def org_of_waba(waba_id: str, org_id: int | None = None) -> int | None:
    """The org whose WhatsApp account is this WABA (only `org_id`, when given)."""
    query = select(WhatsAppAccount.org_id).where(WhatsAppAccount.waba_id == waba_id)
    if org_id is not None:
        query = query.where(WhatsAppAccount.org_id == org_id)
    orgs = db.session.scalars(query).all()
    # Two orgs naming the same WABA cannot both own it; trust neither.
    return orgs[0] if len(orgs) == 1 else None
