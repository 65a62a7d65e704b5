"""The demo org that `make run` seeds."""

import re

import pytest
from sqlalchemy import func, select

from wfb.accounts.models import Org, User
from wfb.contacts.models import Contact
from wfb.demo import seed
from wfb.extensions import db
from wfb.flows.models import Flow, FlowVersion
from wfb.flows.validation import validate_flow
from wfb.phone_numbers.models import PhoneNumber


def test_seed_twice_makes_one_org_number_and_flow_with_a_new_password(client):
    first = seed()
    second = seed()

    assert first["org_id"] == second["org_id"]
    assert first["password"] != second["password"]
    assert db.session.scalar(select(func.count(Org.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 1
    assert db.session.scalar(select(func.count(Flow.id))) == 1
    assert db.session.scalar(select(func.count(FlowVersion.id))) == 1
    assert db.session.scalar(select(func.count(Contact.id))) == 3
    old = {"email": second["email"], "password": first["password"]}
    new = {"email": second["email"], "password": second["password"]}
    assert client.post("/app/login", data=old).status_code == 401
    assert client.post("/app/login", data=new).status_code == 303


def test_seeded_flow_is_valid_version_1_on_the_sandbox_number(app):
    demo = seed()
    flow = db.session.scalar(select(Flow))
    number = db.session.scalar(
        select(PhoneNumber).where(PhoneNumber.org_id == demo["org_id"])
    )
    version = db.session.get(FlowVersion, flow.current_version_id)

    assert validate_flow(flow.structure) == []
    assert version.number == 1
    assert flow.trigger == {"type": "any"}
    assert number.flow_id == flow.id
    assert number.label == "Sandbox"
    assert number.display_phone_number == "+1 555 0100"
    assert re.fullmatch(r"[1-9]\d{14}", number.phone_number_id)


def test_seed_command_prints_a_login_that_works(app, client):
    result = app.test_cli_runner().invoke(args=["wfb", "seed-demo"])

    assert result.exit_code == 0, result.output
    email, password = re.search(r"Demo login: (\S+) / (\S+)", result.output).groups()
    assert email == "demo@wfb.local"
    login = client.post("/app/login", data={"email": email, "password": password})
    assert login.headers["Location"] == "/app/sandbox"


def test_seed_refuses_to_take_over_a_customers_account(app, admin):
    from wfb.accounts.service import find_user

    before = find_user("admin@acme.test").password_hash

    with pytest.raises(RuntimeError, match="is not the admin of a Demo Salon org"):
        seed("admin@acme.test")

    assert find_user("admin@acme.test").password_hash == before
