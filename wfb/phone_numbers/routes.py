from flask.views import MethodView
from flask_smorest import Blueprint

from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.phone_numbers.schemas import (
    PhoneNumberOptionSchema,
    PhoneNumberSchema,
    PhoneNumberUpdateSchema,
)
from wfb.phone_numbers.service import add_number, update_number
from wfb.tenancy import current_org_id, get_or_404, login_required, scoped

blp = Blueprint(
    "phone-numbers", __name__, url_prefix="/phone-numbers", description="Numbers"
)
ORDER = PhoneNumber.id


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
        return add_number(current_org_id(), data)


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
        return update_number(number, data)

    @blp.response(204)
    def delete(self, phone_id):
        """Remove a phone number."""
        number = get_or_404(PhoneNumber, phone_id, what="phone number")
        db.session.delete(number)
        db.session.commit()
