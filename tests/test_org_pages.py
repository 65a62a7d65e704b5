"""The org admin's pages: settings (secrets shown only masked), phone numbers and
the sales team, which marketing and sales may read."""

import re

import pytest
from sqlalchemy import func, select

from tests.pages import HTMX, field_error, html, page_client, post
from tests.support import give_credentials
from tests.test_flow_validation import welcome_flow
from wfb.audit.models import AuditEvent
from wfb.credentials.models import OpenAIKey, WhatsAppAccount
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.sales_team.models import SalesMember

pytestmark = pytest.mark.usefixtures("app")

WHATSAPP = {
    "waba_id": "100000000000001",
    "app_id": "300000000000001",
    "access_token": "EAAG-secret-access-token-9876",
    "app_secret": "app-secret-value-5432",
    "verify_token": "verify-me-please-1357",
}
OPENAI_KEY = "sk-live-secret-key-2468"
SECRETS = tuple(WHATSAPP[k] for k in ("access_token", "app_secret", "verify_token"))
MEMBER = {"name": "Nia", "email": "nia@acme.test", "phone": "+919876543210"}
NUMBER = {
    "display_phone_number": "+91 98765 43210",
    "phone_number_id": "200000000000001",
    "label": "Front desk",
    "messages_per_second": "40",
}


@pytest.fixture
def admin_page(app, admin):
    return page_client(app, "admin@acme.test")


@pytest.fixture
def numbers_page(admin, admin_page):
    """The admin's pages, in an org whose credentials let Meta confirm numbers."""
    give_credentials(admin)
    return admin_page


@pytest.fixture
def org_id(admin):
    return admin.get("/auth/me").json["org_id"]


def test_saved_secrets_show_only_their_last_four(admin_page, org_id):
    saved = post(admin_page, "/app/settings/whatsapp", **WHATSAPP)
    keyed = post(admin_page, "/app/settings/openai", api_key=OPENAI_KEY)

    page = html(admin_page.get("/app/settings"))

    assert (saved.status_code, keyed.status_code) == (303, 303)
    for last4 in ("9876", "5432", "1357", "2468"):
        assert f"ends in <code>{last4}</code>" in page
    for secret in (*SECRETS, OPENAI_KEY):
        assert secret not in page
        assert secret[:-4] not in page
    assert 'value="100000000000001"' in page
    assert f'value="http://localhost/webhook/{org_id}" readonly' in page


def test_whatsapp_credentials_are_saved_encrypted_and_audited(admin_page, org_id):
    post(admin_page, "/app/settings/whatsapp", **WHATSAPP)

    account = db.session.scalar(select(WhatsAppAccount))
    assert (account.org_id, account.waba_id) == (org_id, "100000000000001")
    assert account.access_token == WHATSAPP["access_token"]
    assert WHATSAPP["access_token"] not in account.access_token_enc
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action == "credentials.whatsapp_saved"
    assert not any(secret in str(event.details) for secret in SECRETS)


def test_a_refused_form_never_echoes_a_secret(admin_page):
    form = {**WHATSAPP, "waba_id": "", "access_token": "abc"}

    response = post(admin_page, "/app/settings/whatsapp", **form)

    assert response.status_code == 422
    assert field_error(response, "waba-id") == "Digits only, as Meta shows it."
    assert field_error(response, "access-token") == (
        "4 to 1000 printable characters, without spaces."
    )
    for secret in SECRETS:
        assert secret not in html(response)
    assert db.session.scalar(select(func.count(WhatsAppAccount.id))) == 0


def test_a_short_openai_key_is_refused_next_to_the_field(admin_page):
    response = post(admin_page, "/app/settings/openai", api_key="sk-1")

    assert response.status_code == 422
    assert field_error(response, "openai-key") == "Length must be between 8 and 500."
    assert db.session.scalar(select(func.count(OpenAIKey.id))) == 0


def test_deleting_the_credentials_leaves_none(admin_page):
    post(admin_page, "/app/settings/whatsapp", **WHATSAPP)
    post(admin_page, "/app/settings/openai", api_key=OPENAI_KEY)

    whatsapp = post(admin_page, "/app/settings/whatsapp/delete")
    openai = post(admin_page, "/app/settings/openai/delete")

    assert (whatsapp.status_code, openai.status_code) == (303, 303)
    assert db.session.scalar(select(func.count(WhatsAppAccount.id))) == 0
    assert db.session.scalar(select(func.count(OpenAIKey.id))) == 0
    assert html(admin_page.get("/app/settings")).count("not set") == 4


def test_a_number_is_added_with_a_flow_and_listed(admin, numbers_page):
    admin_page = numbers_page
    flow = admin.post("/flows", json=welcome_flow()).json

    response = post(admin_page, "/app/phone-numbers", flow_id=flow["id"], **NUMBER)
    page = html(admin_page.get("/app/phone-numbers"))

    assert response.status_code == 303
    number = db.session.scalar(select(PhoneNumber))
    assert (number.label, number.messages_per_second) == ("Front desk", 40)
    assert number.flow_id == flow["id"]
    assert "+91 98765 43210 added." in page
    assert re.search(rf'<tr id="number-{number.id}">.*?<td>Welcome</td>', page, re.S)


def test_a_refused_number_shows_each_error_next_to_its_field(admin_page):
    form = {**NUMBER, "phone_number_id": "12ab", "messages_per_second": "5000"}

    response = post(admin_page, "/app/phone-numbers", **form)

    assert response.status_code == 422
    assert field_error(response, "new-phone-id") == "Digits only."
    assert field_error(response, "new-rate") == (
        "Must be greater than or equal to 1 and less than or equal to 1000."
    )
    assert 'value="12ab"' in html(response)
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 0


def test_a_number_of_another_org_or_its_flow_is_refused(numbers_page, other_admin):
    admin_page = numbers_page
    give_credentials(other_admin, waba_id="100000000000002")
    other_flow = other_admin.post("/flows", json=welcome_flow()).json
    other_admin.post("/phone-numbers", json={**NUMBER, "messages_per_second": 40})

    taken = post(admin_page, "/app/phone-numbers", **NUMBER)
    foreign = post(
        admin_page,
        "/app/phone-numbers",
        **{**NUMBER, "phone_number_id": "2001"},
        flow_id=other_flow["id"],
    )

    assert field_error(taken, "new-phone-id") == (
        "This phone_number_id is already registered."
    )
    assert field_error(foreign, "new-flow") == "Choose one of your flows."
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 1


def test_editing_a_number_by_htmx_swaps_its_row(numbers_page):
    admin_page = numbers_page
    post(admin_page, "/app/phone-numbers", **NUMBER)
    number = db.session.scalar(select(PhoneNumber))
    path = f"/app/phone-numbers/{number.id}"

    form = admin_page.get(f"{path}/edit", headers=HTMX)
    saved = post(
        admin_page, path, headers=HTMX, label="Sales", messages_per_second="20"
    )

    assert html(form).startswith(f'<tr id="number-{number.id}" class="editing">')
    assert html(saved).startswith(f'<tr id="number-{number.id}">')
    assert "<td>Sales</td>" in html(saved)
    assert "HX-Request" in saved.headers["Vary"]
    db.session.refresh(number)
    assert (number.label, number.messages_per_second, number.flow_id) == (
        "Sales",
        20,
        None,
    )


def test_a_refused_edit_keeps_the_form_with_the_error(numbers_page):
    admin_page = numbers_page
    post(admin_page, "/app/phone-numbers", **NUMBER)
    number = db.session.scalar(select(PhoneNumber))

    response = post(
        admin_page,
        f"/app/phone-numbers/{number.id}",
        headers=HTMX,
        label="Sales",
        messages_per_second="0",
    )

    assert response.status_code == 422
    assert 'class="editing"' in html(response)
    assert field_error(response, f"rate-{number.id}") == (
        "Must be greater than or equal to 1 and less than or equal to 1000."
    )
    db.session.refresh(number)
    assert number.label == "Front desk"


def test_deleting_a_number_removes_it(numbers_page):
    admin_page = numbers_page
    post(admin_page, "/app/phone-numbers", **NUMBER)
    number = db.session.scalar(select(PhoneNumber))

    response = post(admin_page, f"/app/phone-numbers/{number.id}/delete")

    assert response.headers["Location"] == "/app/phone-numbers"
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 0


def test_another_orgs_number_is_not_found(admin_page, other_admin):
    give_credentials(other_admin, waba_id="100000000000002")
    other_admin.post("/phone-numbers", json={**NUMBER, "messages_per_second": 40})
    number = db.session.scalar(select(PhoneNumber))
    path = f"/app/phone-numbers/{number.id}"

    answers = [
        admin_page.get(f"{path}/edit").status_code,
        post(admin_page, path, label="Mine").status_code,
        post(admin_page, f"{path}/delete").status_code,
    ]

    assert answers == [404, 404, 404]
    db.session.refresh(number)
    assert number.label == "Front desk"


def test_admin_adds_a_member_linked_to_a_sales_user(app, team):
    page = page_client(app, "admin@acme.test")
    member = {"name": "Sam", "email": "sam.s@acme.test", "phone": "098765 43210"}

    response = post(page, "/app/sales-team", user_id=team.sales.id, **member)
    listed = html(page.get("/app/sales-team"))

    assert response.status_code == 303
    stored = db.session.scalar(select(SalesMember))
    assert (stored.phone, stored.user_id) == ("+919876543210", team.sales.id)
    assert "<td>Asha Admin (sam@acme.test)</td>" in listed


def test_a_refused_member_shows_why(admin_page):
    member = {"name": "Sam", "email": "sam.s@acme.test", "phone": "12345"}
    post(admin_page, "/app/sales-team", **{**member, "phone": "+919876543210"})

    bad_phone = post(admin_page, "/app/sales-team", **member)
    taken = post(admin_page, "/app/sales-team", **{**member, "phone": "9876543210"})

    assert bad_phone.status_code == 422
    assert field_error(bad_phone, "member-phone") == "Not a valid phone number."
    assert taken.status_code == 409
    assert "already on the sales team" in html(taken)
    assert db.session.scalar(select(func.count(SalesMember.id))) == 1


def test_marketing_reads_the_sales_team_without_the_forms(app, team):
    post(page_client(app, "admin@acme.test"), "/app/sales-team", **MEMBER)
    marketing = page_client(app, "mia@acme.test")

    page = html(marketing.get("/app/sales-team"))
    added = post(marketing, "/app/sales-team", **{**MEMBER, "email": "x@acme.test"})

    assert "<td>Nia</td>" in page
    assert "Add a member" not in page and "Remove…" not in page
    assert added.status_code == 403
    assert db.session.scalar(select(func.count(SalesMember.id))) == 1


def test_a_sales_user_sees_only_the_members_linked_to_them(app, team):
    admin = page_client(app, "admin@acme.test")
    post(admin, "/app/sales-team", **MEMBER)
    linked = {"name": "Sam", "email": "s@acme.test", "phone": "+919876500000"}
    post(admin, "/app/sales-team", user_id=team.sales.id, **linked)

    page = html(page_client(app, "sam@acme.test").get("/app/sales-team"))

    assert "<td>Sam</td>" in page
    assert "<td>Nia</td>" not in page


def test_removing_a_member_takes_them_off(admin_page, other_admin):
    post(admin_page, "/app/sales-team", **MEMBER)
    other_admin.post("/sales-team", json={**MEMBER, "email": "o@bravo.test"})
    mine, theirs = db.session.scalars(select(SalesMember).order_by(SalesMember.id))

    removed = post(admin_page, f"/app/sales-team/{mine.id}/remove")
    foreign = post(admin_page, f"/app/sales-team/{theirs.id}/remove")

    assert removed.status_code == 303
    assert foreign.status_code == 404
    assert db.session.scalars(select(SalesMember.id)).all() == [theirs.id]


def test_an_admin_pauses_and_resumes_a_members_leads(admin_page, other_admin):
    post(admin_page, "/app/sales-team", **MEMBER)
    other_admin.post("/sales-team", json={**MEMBER, "email": "o@bravo.test"})
    mine, theirs = db.session.scalars(select(SalesMember).order_by(SalesMember.id))

    paused = post(admin_page, f"/app/sales-team/{mine.id}/active", active="false")
    page = html(admin_page.get("/app/sales-team"))
    foreign = post(admin_page, f"/app/sales-team/{theirs.id}/active", active="false")

    assert paused.status_code == 303
    assert "<td>Paused</td>" in page
    assert "Resume leads" in page
    assert foreign.status_code == 404
    db.session.expire_all()
    assert (mine.active, theirs.active) == (False, True)
    post(admin_page, f"/app/sales-team/{mine.id}/active", active="true")
    db.session.expire_all()
    assert mine.active is True
