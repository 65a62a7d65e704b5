"""The campaigns pages: the list, the form with its check, and a campaign's
progress, chart, controls and recipient log."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.pages import HTMX, field_error, html, page_client, post
from tests.test_campaigns_api import (
    OFFER,
    add_contacts,
    add_template,
    body,
    make_org,
    phone,
)
from wfb.campaigns.models import Campaign
from wfb.contacts.models import Contact
from wfb.extensions import db
from wfb.message_templates.models import MessageTemplate

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


@pytest.fixture
def org(admin):
    return make_org(admin)


@pytest.fixture
def browser(app, org):
    return page_client(app, "admin@acme.test")


def template_id(name="order_update") -> int:
    return db.session.scalar(
        select(MessageTemplate.id).where(MessageTemplate.name == name)
    )


def form(org, **values) -> dict:
    filled = {
        "name": "Diwali orders",
        "phone_number_id": str(org.number["id"]),
        "template": str(template_id()),
        "param_1": "{{contact.name}}",
        "param_2": "ORD-42",
        "audience": "tags",
        "tags": "vip",
        "when": "now",
    }
    filled.update(values)
    return filled


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    return re.sub(r"\s+", " ", match[1]).strip() if match else ""


def test_the_list_shows_each_campaign_with_its_status_and_progress(
    admin, org, browser, graph
):
    add_contacts(org.org_id, 3)
    graph.fail_for(phone(2), 131026)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    page = html(browser.get("/app/campaigns"))

    row = re.search(rf'<tr id="campaign-{campaign["id"]}">(.*?)</tr>', page, re.S)[1]
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
        for c in row.split("<td>")[1:]
    ]
    assert cells[0] == "Diwali orders order_update (en_US)"
    assert cells[1] == "completed"
    assert cells[2] == "3 / 3"
    assert cells[3:7] == ["2", "0", "0", "1"]
    assert 'hx-trigger="every 3s"' not in page


def test_the_list_refreshes_itself_while_a_campaign_is_scheduled(org, browser, admin):
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    admin.post("/campaigns/send", json=body(org, schedule_at=later))

    page = html(browser.get("/app/campaigns"))

    assert 'hx-trigger="every 3s"' in page
    assert "starts " in page


def test_the_sales_role_cannot_open_the_campaigns_pages(app, team, org):
    sales = page_client(app, "sam@acme.test")

    assert sales.get("/app/campaigns").status_code == 403
    assert sales.get("/app/campaigns/new").status_code == 403


def test_the_form_offers_approved_templates_only(org, browser):
    add_template(org.org_id, "festive", status="PAUSED")

    page = html(browser.get("/app/campaigns/new"))

    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert (str(template_id()), "order_update (en_US)") in options
    assert "festive (en_US)" not in [text for _, text in options]


def test_choosing_a_template_shows_an_input_for_each_value(org, browser):
    add_template(org.org_id, "offer", components=OFFER)

    fragment = html(
        browser.get(
            f"/app/campaigns/template-fields?template={template_id('offer')}",
            headers=HTMX,
        )
    )

    assert "Get {{1}} off this week, {{2}}." in fragment
    names = re.findall(r'<input id="[^"]+" name="([^"]+)"', fragment)
    assert names == ["header_link", "header_id", "param_1", "param_2", "button_1"]
    assert "Button Book: https://acme.example/b/{{1}}" in fragment


def test_the_check_counts_the_audience_before_sending(org, browser, graph):
    add_contacts(org.org_id, 4)
    add_contacts(org.org_id, 1, start=9, opted_out=True)

    fragment = html(post(browser, "/app/campaigns/check", headers=HTMX, **form(org)))

    assert text_of(fragment, "check-audience") == "5"
    assert text_of(fragment, "check-sendable") == "4"
    assert text_of(fragment, "check-opted-out") == "1"
    assert text_of(fragment, "check-unfit") == "0"
    assert text_of(fragment, "check-ok") == "Ready to send."
    assert graph.messages() == []
    assert db.session.scalar(select(Campaign.id)) is None


def test_the_check_names_values_meta_would_refuse(org, browser):
    add_contacts(org.org_id, 1)

    fragment = html(
        post(
            browser,
            "/app/campaigns/check",
            headers=HTMX,
            **form(org, param_2="two\nlines"),
        )
    )

    problems = re.search(r'id="check-problems">(.*?)</ul>', fragment, re.S)[1]
    assert re.findall(r"<li>(.*?)</li>", problems) == [
        "The value has a new line or a tab."
    ]


def test_sending_the_form_sends_and_opens_the_campaigns_page(org, browser, graph):
    add_contacts(org.org_id, 2)

    response = post(browser, "/app/campaigns", **form(org))

    assert response.status_code == 303
    campaign = db.session.scalar(select(Campaign))
    assert response.headers["Location"] == f"/app/campaigns/{campaign.id}"
    assert (campaign.name, campaign.audience) == ("Diwali orders", {"tags": ["vip"]})
    assert sorted(m["to"] for m in graph.sent()) == [phone(0), phone(1)]
    page = html(browser.get(response.headers["Location"]))
    assert "Diwali orders is on its way." in page
    assert text_of(page, "count-sent") == "2"


def test_a_form_with_a_bad_value_is_shown_again_with_the_error_at_the_field(
    org, browser, graph
):
    add_contacts(org.org_id, 1)

    response = post(browser, "/app/campaigns", **form(org, param_2=" "))

    assert response.status_code == 422
    assert field_error(response, "value-2") == "The value is empty."
    assert 'value="Diwali orders"' in html(response)
    assert graph.messages() == []


def test_a_scheduled_form_waits_for_its_time(org, browser, graph):
    add_contacts(org.org_id, 1)
    at = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = post(
        browser, "/app/campaigns", **form(org, when="later", schedule_at=at)
    )

    assert response.status_code == 303
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == "scheduled"
    assert campaign.schedule_at.strftime("%Y-%m-%dT%H:%M") == at
    assert graph.messages() == []


def test_the_campaign_page_draws_the_chart_and_explains_failures(
    client, admin, org, browser, graph
):
    add_contacts(org.org_id, 4)
    graph.fail_for(phone(3), 131050)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    page = html(browser.get(f"/app/campaigns/{campaign['id']}"))

    values = re.findall(r'data-value="(\d+)" class="bar-(\w+)"', page)
    assert values == [("3", "sent"), ("0", "delivered"), ("0", "read"), ("1", "failed")]
    assert "Of 4 recipients: sent 3, delivered 0, read 0, failed 1." in page
    row = re.search(
        r'<tr id="recipient-\d+">((?:(?!</tr>).)*131050.*?)</tr>', page, re.S
    )
    assert "This person stopped marketing messages from your business." in row[1]


def test_the_log_filters_by_status_in_place(admin, org, browser, graph):
    add_contacts(org.org_id, 3)
    graph.fail_for(phone(1), 131026)
    campaign = admin.post("/campaigns/send", json=body(org)).json

    fragment = html(
        browser.get(f"/app/campaigns/{campaign['id']}?status=failed", headers=HTMX)
    )

    assert fragment.strip().startswith('<div id="log">')
    assert re.findall(r"<td>(\+\d+)</td>", fragment) == [phone(1)]


def test_progress_refreshes_while_the_campaign_runs_only(admin, org, browser):
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    campaign = admin.post("/campaigns/send", json=body(org, schedule_at=later)).json
    url = f"/app/campaigns/{campaign['id']}/progress"

    scheduled = html(browser.get(url, headers=HTMX))
    admin.post(f"/campaigns/{campaign['id']}/cancel")
    cancelled = html(browser.get(url, headers=HTMX))

    assert 'hx-trigger="every 2s"' in scheduled
    assert "hx-trigger" not in cancelled
    assert text_of(cancelled, "campaign-status") == "cancelled"


def test_pause_resume_and_cancel_buttons_steer_the_campaign(admin, org, browser):
    add_contacts(org.org_id, 1)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    campaign = admin.post("/campaigns/send", json=body(org, schedule_at=later)).json
    base = f"/app/campaigns/{campaign['id']}"

    paused = post(browser, f"{base}/pause")
    page = html(browser.get(base))
    resumed = post(browser, f"{base}/resume")
    cancelled = post(browser, f"{base}/cancel")
    again = post(browser, f"{base}/cancel")

    assert paused.status_code == 303
    assert "Diwali orders paused." in page
    assert 'id="resume-campaign"' in page and 'id="pause-campaign"' not in page
    assert resumed.status_code == cancelled.status_code == 303
    assert again.status_code == 409
    assert text_of(html(again), "campaign-alert") == (
        "This campaign is cancelled: only a scheduled, running or paused campaign "
        "can be cancelled."
    )


def test_another_orgs_campaign_page_is_not_found(app, admin, other_admin, org):
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    campaign = admin.post("/campaigns/send", json=body(org, schedule_at=later)).json
    theirs = page_client(app, "admin@bravo.test")

    assert theirs.get(f"/app/campaigns/{campaign['id']}").status_code == 404
    assert post(theirs, f"/app/campaigns/{campaign['id']}/cancel").status_code == 404
    assert db.session.get(Campaign, campaign["id"]).status == "scheduled"
    assert db.session.scalar(select(Contact.id)) is None
