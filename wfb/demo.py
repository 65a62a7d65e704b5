"""The demo org that `make run` seeds: a salon with a sandbox number and a flow.

`seed()` can run any number of times. It finds what an earlier run made and adds only
what is missing, except the admin's password, which is new on every run so that the
login it prints always works.
"""

import logging
import secrets

from wfb.accounts import service
from wfb.accounts.models import User
from wfb.contacts.models import Contact
from wfb.extensions import db
from wfb.flows import service as flows
from wfb.flows.models import Flow
from wfb.flows.schemas import FlowSchema
from wfb.flows.validation import validate_flow
from wfb.sandbox.numbers import ensure_sandbox_number
from wfb.tenancy import scoped

logger = logging.getLogger(__name__)

ORG_NAME = "Demo Salon"
ADMIN_NAME = "Demo Admin"
CONTACTS = (
    ("+919876543210", "Priya Sharma", ["regular"], {"city": "Mumbai"}),
    ("+919812345678", "Rahul Verma", ["new"], {"city": "Delhi"}),
    ("+919900112233", "Meera Iyer", ["regular", "vip"], {"city": "Chennai"}),
)
PRICE_LIST = (
    "Our prices:\n"
    "• Haircut ₹600\n"
    "• Hair colour from ₹1,800\n"
    "• Facial ₹1,200\n"
    "• Manicure ₹500"
)
FLOW = {
    "name": "Demo Salon welcome",
    "trigger": {"type": "any"},
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 220}},
        {
            "id": "greet",
            "type": "message",
            "position": {"x": 290, "y": 220},
            "data": {"text": "Hi {{contact.name}}! Welcome to Demo Salon."},
        },
        {
            "id": "menu",
            "type": "buttons",
            "position": {"x": 580, "y": 180},
            "data": {
                "text": "What would you like to do?",
                "buttons": [
                    {"id": "book", "title": "Book a visit"},
                    {"id": "prices", "title": "Prices"},
                    {"id": "talk", "title": "Talk to us"},
                ],
            },
        },
        {
            "id": "ask_email",
            "type": "question",
            "position": {"x": 900, "y": 20},
            "data": {
                "text": "What is your email? We will send the confirmation there.",
                "save_as": "email",
                "validate": "email",
            },
        },
        {
            "id": "is_gmail",
            "type": "condition",
            "position": {"x": 1210, "y": 20},
            "data": {
                "variable": "vars.email",
                "operator": "contains",
                "value": "@gmail.com",
            },
        },
        {
            "id": "confirm_gmail",
            "type": "message",
            "position": {"x": 1520, "y": 0},
            "data": {"text": "Thanks! A confirmation is on its way to {{vars.email}}."},
        },
        {
            "id": "confirm_other",
            "type": "message",
            "position": {"x": 1520, "y": 170},
            "data": {"text": "Thanks! We will email {{vars.email}} shortly."},
        },
        {
            "id": "price_list",
            "type": "message",
            "position": {"x": 900, "y": 300},
            "data": {"text": PRICE_LIST},
        },
        {
            "id": "talk_to_us",
            "type": "message",
            "position": {"x": 900, "y": 530},
            "data": {"text": "A stylist will reply here soon."},
        },
        {"id": "end", "type": "end", "position": {"x": 1830, "y": 260}},
    ],
    "edges": [
        {"source": "start", "target": "greet"},
        {"source": "greet", "target": "menu"},
        {"source": "menu", "source_handle": "book", "target": "ask_email"},
        {"source": "menu", "source_handle": "prices", "target": "price_list"},
        {"source": "menu", "source_handle": "talk", "target": "talk_to_us"},
        {"source": "ask_email", "target": "is_gmail"},
        {"source": "is_gmail", "source_handle": "true", "target": "confirm_gmail"},
        {"source": "is_gmail", "source_handle": "false", "target": "confirm_other"},
        {"source": "confirm_gmail", "target": "end"},
        {"source": "confirm_other", "target": "end"},
        {"source": "price_list", "target": "end"},
        {"source": "talk_to_us", "target": "end"},
    ],
}


def seed(email: str = "demo@wfb.local") -> dict:
    """Make sure the demo org exists; answer its login with a fresh password."""
    password = secrets.token_urlsafe(12)
    admin = demo_admin(email, password)
    org_id = admin.org_id

    number = ensure_sandbox_number(org_id)
    ensure_contacts(org_id)
    flow = ensure_flow(org_id)
    if number.flow_id is None and number.bot_id is None:
        number.flow_id = flow.id
    db.session.commit()

    logger.info("demo org %s ready with sandbox number %s", org_id, number.id)
    return {"email": admin.email, "password": password, "org_id": org_id}


def demo_admin(email: str, password: str) -> User:
    """The demo org's admin, made with the org when missing, with a new password."""
    admin = service.find_user(email)
    if admin is None:
        return service.create_org_with_admin(ORG_NAME, ADMIN_NAME, email, password)
    if admin.org_id is None or admin.org.name != ORG_NAME or admin.role != "admin":
        # Never reset the password of a real customer's account by a typo.
        raise RuntimeError(f"{email} is not the admin of a {ORG_NAME} org.")
    admin.set_password(password)
    return admin


def ensure_contacts(org_id: int) -> None:
    known = set(
        db.session.scalars(scoped(Contact, org_id).with_only_columns(Contact.phone))
    )
    for phone, name, tags, attributes in CONTACTS:
        if phone not in known:
            db.session.add(
                Contact(
                    org_id=org_id,
                    phone=phone,
                    name=name,
                    tags=list(tags),
                    attributes=dict(attributes),
                )
            )


def ensure_flow(org_id: int) -> Flow:
    """The demo flow, saved the way POST /flows saves one (checked, version 1)."""
    query = scoped(Flow, org_id).where(Flow.name == FLOW["name"])
    flow = db.session.scalar(query.order_by(Flow.id))
    if flow is not None:
        return flow
    data = FlowSchema().load(FLOW)
    problems = validate_flow(data)
    if problems:
        raise RuntimeError(f"The demo flow is invalid: {problems[0].message}")
    return flows.create_flow(org_id, data)
