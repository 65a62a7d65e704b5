from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from wfb.extensions import db
from wfb.flows.models import Flow
from wfb.phone_numbers.models import PhoneNumber
from wfb.phone_numbers.schemas import (
    PhoneNumberOptionSchema,
    PhoneNumberSchema,
    PhoneNumberUpdateSchema,
)
from wfb.tenancy import current_org_id, get_or_404, login_required, scoped

blp = Blueprint(
    "phone-numbers", __name__, url_prefix="/phone-numbers", description="Numbers"
)
ORDER = PhoneNumber.id


def _apply(number: PhoneNumber, data: dict) -> None:
    if data.get("flow_id") is not None:
        get_or_404(Flow, data["flow_id"], what="flow")
    if "phone_number_id" in data and data["phone_number_id"] != number.phone_number_id:
        taken = db.session.scalar(
            select(PhoneNumber.id).where(
                PhoneNumber.phone_number_id == data["phone_number_id"]
            )
        )
        if taken:
            abort(409, message="This phone_number_id is already registered.")
    for key, value in data.items():
        setattr(number, key, value)


@blp.route("")
class PhoneNumbers(MethodView):
    decorators = [login_required("admin")]

    @blp.response(200, PhoneNumberSchema(many=True))
    def get(self):
        """List the org's phone numbers."""
        return db.session.scalars(scoped(PhoneNumber).order_by(ORDER)).all()

    @blp.arguments(PhoneNumberSchema)
    @blp.response(201, PhoneNumberSchema)
    def post(self, data):
        """Add a phone number, optionally with a flow to answer on it."""
        number = PhoneNumber(org_id=current_org_id())
        _apply(number, data)
        db.session.add(number)
        db.session.commit()
        return number


@blp.route("/list")
class PhoneNumberOptions(MethodView):
    decorators = [login_required("admin", "marketing", "sales")]

    @blp.response(200, PhoneNumberOptionSchema(many=True))
    def get(self):
        """The org's numbers for a dropdown, for every role."""
        return db.session.scalars(scoped(PhoneNumber).order_by(ORDER)).all()


@blp.route("/<int:phone_id>")
class PhoneNumberById(MethodView):
    decorators = [login_required("admin")]

    @blp.response(200, PhoneNumberSchema)
    def get(self, phone_id):
        """One phone number."""
        return get_or_404(PhoneNumber, phone_id, what="phone number")

    @blp.arguments(PhoneNumberUpdateSchema(partial=True))
    @blp.response(200, PhoneNumberSchema)
    def put(self, data, phone_id):
        """Change a number's label, rate, flow or bot."""
        number = get_or_404(PhoneNumber, phone_id, what="phone number")
        _apply(number, data)
        db.session.commit()
        return number

    @blp.response(204)
    def delete(self, phone_id):
        """Remove a phone number."""
        number = get_or_404(PhoneNumber, phone_id, what="phone number")
        db.session.delete(number)
        db.session.commit()
