"""The sandbox phone page: write to one of the org's sandbox numbers as a customer.

Registered only while the sandbox runs (`WFB_SANDBOX`), like the sandbox Graph API.
"""

import logging

from flask import abort, make_response, redirect, render_template, request, url_for

from wfb.dashboard.pages import page_blueprint, page_for, page_login_required
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox import webhooks
from wfb.sandbox.numbers import ensure_sandbox_number
from wfb.sandbox.phone import (
    chat_messages,
    customer_from,
    customer_message,
    send_read_receipts,
)
from wfb.tenancy import current_user, get_or_404, scoped

logger = logging.getLogger(__name__)

bp = page_blueprint("sandbox_pages", __name__, url_prefix="/app/sandbox")


def sandbox_numbers() -> list[PhoneNumber]:
    query = scoped(PhoneNumber).where(PhoneNumber.is_sandbox.is_(True))
    return db.session.scalars(query.order_by(PhoneNumber.id)).all()


def sandbox_number(phone_id: int | None) -> PhoneNumber:
    """One of the org's sandbox numbers, or a 404 for anything else."""
    if phone_id is None:
        abort(404)
    number = get_or_404(PhoneNumber, phone_id, what="phone number")
    if not number.is_sandbox:
        abort(404)
    return number


def render_chat(number, customer, note=None, status=200):
    """The chat pane (or the whole page), then the read receipts a phone would send."""
    messages = chat_messages(number, customer) if number else []
    context = {
        "number": number,
        "numbers": sandbox_numbers(),
        "customer": customer,
        "messages": messages,
        "note": note,
    }
    if not request.headers.get("HX-Request"):
        html = render_template("sandbox/phone.html", **context)
    else:
        html = render_template("sandbox/_chat.html", **context)
        if request.method == "POST":
            html += render_template("sandbox/_note.html", note=note, oob=True)

    if number:
        send_read_receipts(number, customer, messages)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


@bp.get("")
@page_login_required
def phone():
    """The sandbox phone: write to one of the org's sandbox numbers as a customer."""
    phone_id = request.args.get("number", type=int)
    if phone_id is not None:
        number = sandbox_number(phone_id)
    else:
        number = next(iter(sandbox_numbers()), None)
    customer = customer_from(request.args, current_user().org.default_country)
    return render_chat(number, customer)


@bp.post("/numbers")
@page_for("admin")
def create_number():
    """Give the org a sandbox number, with made-up credentials if it has none."""
    number = ensure_sandbox_number(current_user().org_id)
    db.session.commit()
    logger.info("org %s got sandbox number %s", number.org_id, number.id)
    return redirect(url_for("sandbox_pages.phone", number=number.id), 303)


@bp.post("/messages")
@page_login_required
def send():
    """Send the customer's message or tap to the business as a signed webhook."""
    number = sandbox_number(request.form.get("number", type=int))
    customer = customer_from(request.form, current_user().org.default_country)
    message, error = customer_message(number, request.form)
    if error:
        return render_chat(number, customer, note=error, status=422)

    try:
        code = webhooks.post_inbound(number, customer.wa_id, customer.name, message)
    except webhooks.SandboxNotReady:
        code = None
    if code != 200:
        error = f"The webhook refused the message ({code or 'no WhatsApp account'})."
        logger.warning("sandbox message on number %s refused: %s", number.id, code)

    if not request.headers.get("HX-Request"):
        query = {"number": number.id, "name": customer.name, "phone": customer.phone}
        return redirect(url_for("sandbox_pages.phone", **query), 303)
    return render_chat(number, customer, note=error)
