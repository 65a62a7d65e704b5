"""The phone numbers page: the org's WhatsApp numbers, their label, rate and flow."""

import logging

from flask import request
from marshmallow import ValidationError

from wfb.dashboard.pages import (
    answer,
    field_errors,
    form_data,
    page_blueprint,
    page_for,
    see_other,
)
from wfb.extensions import db
from wfb.flows.models import Flow
from wfb.phone_numbers.models import PhoneNumber
from wfb.phone_numbers.schemas import PhoneNumberSchema, PhoneNumberUpdateSchema
from wfb.phone_numbers.service import NumberError, add_number, update_number
from wfb.tenancy import current_org_id, get_or_404, scoped

logger = logging.getLogger(__name__)

bp = page_blueprint("phone_number_pages", __name__, url_prefix="/app/phone-numbers")

NEW_FIELDS = ("phone_number_id", "display_phone_number", "label", "messages_per_second")
EDIT_FIELDS = ("label", "messages_per_second")


def org_numbers() -> list[PhoneNumber]:
    return db.session.scalars(scoped(PhoneNumber).order_by(PhoneNumber.id)).all()


def org_flows() -> list[Flow]:
    return db.session.scalars(scoped(Flow).order_by(Flow.name, Flow.id)).all()


def flow_context() -> dict:
    """The org's flows as select options, and their names by id for the rows."""
    flows = org_flows()
    return {
        "flow_options": [("", "No flow")] + [(flow.id, flow.name) for flow in flows],
        "flow_names": {flow.id: flow.name for flow in flows},
    }


def render_numbers(status=200, **context):
    """The whole page; `context` carries a form's values and errors, or the row
    being edited."""
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("editing", None)
    return answer(
        "phone_numbers/numbers.html",
        status=status,
        numbers=org_numbers(),
        **flow_context(),
        **context,
    )


def render_row(number, editing=False, form=None, errors=None, status=200):
    """One number's row, as shown or being edited, or the whole page without htmx."""
    context = {"edit_form": form or {}, "edit_errors": errors or {}}
    if not request.headers.get("HX-Request"):
        editing = number.id if editing else None
        return render_numbers(status, editing=editing, **context)
    name = "_number_form.html" if editing else "_number.html"
    return answer(
        f"phone_numbers/{name}",
        status=status,
        number=number,
        **flow_context(),
        **context,
    )


def posted(fields: tuple[str, ...]) -> dict:
    """The form's fields, with the flow as an id or None for no flow."""
    data = form_data(fields)
    data["flow_id"] = request.form.get("flow_id", "").strip() or None
    return data


@bp.get("")
@page_for("admin")
def numbers():
    """The org's phone numbers, with a form to add one."""
    return render_numbers()


@bp.post("")
@page_for("admin")
def add():
    """Add a phone number, optionally with a flow to answer on it."""
    form = posted(NEW_FIELDS)
    try:
        number = add_number(current_org_id(), PhoneNumberSchema().load(form))
    except ValidationError as error:
        return render_numbers(422, form=form, errors=field_errors(error))
    except NumberError as error:
        db.session.rollback()
        return render_numbers(422, form=form, errors={error.field: error.message})
    return see_other(
        "phone_number_pages.numbers", f"{number.display_phone_number} added."
    )


@bp.get("/<int:phone_id>")
@page_for("admin")
def row(phone_id):
    """One number's row, for a Cancel that leaves the edit form."""
    return render_row(get_or_404(PhoneNumber, phone_id, what="phone number"))


@bp.get("/<int:phone_id>/edit")
@page_for("admin")
def edit(phone_id):
    """The form that changes one number's label, rate and flow."""
    number = get_or_404(PhoneNumber, phone_id, what="phone number")
    return render_row(number, editing=True)


@bp.post("/<int:phone_id>")
@page_for("admin")
def update(phone_id):
    """Change a number's label, rate or flow."""
    number = get_or_404(PhoneNumber, phone_id, what="phone number")
    form = posted(EDIT_FIELDS)
    form.setdefault("label", "")
    schema = PhoneNumberUpdateSchema(partial=True, only=(*EDIT_FIELDS, "flow_id"))
    try:
        update_number(number, schema.load(form))
    except ValidationError as error:
        errors = field_errors(error)
        return render_row(number, editing=True, form=form, errors=errors, status=422)
    except NumberError as error:
        db.session.rollback()
        errors = {error.field: error.message}
        return render_row(number, editing=True, form=form, errors=errors, status=422)
    if request.headers.get("HX-Request"):
        return render_row(number)
    return see_other(
        "phone_number_pages.numbers", f"{number.display_phone_number} saved."
    )


@bp.post("/<int:phone_id>/delete")
@page_for("admin")
def delete(phone_id):
    """Remove a phone number with its conversations."""
    number = get_or_404(PhoneNumber, phone_id, what="phone number")
    db.session.delete(number)
    db.session.commit()
    logger.info("phone number %s removed from org %s", phone_id, number.org_id)
    return see_other(
        "phone_number_pages.numbers", f"{number.display_phone_number} removed."
    )
