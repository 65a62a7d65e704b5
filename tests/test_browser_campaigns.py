"""A campaign in a real browser (Debian's chromium driven by Playwright) against
gunicorn and the built-in sandbox: an admin gets a sandbox number, syncs the sample
templates, imports contacts from a CSV file, fills in the campaign form (whose check
counts the audience before anything is sent), sends it, and watches its counts
reach `delivered` from the sandbox's status webhooks."""

import pytest
import requests

from tests.browser import needs_browser, new_page, shot
from tests.processes import embedded_product

PASSWORD = "correct-horse-battery"
EMAIL = "meera@bakery.test"
CSV = (
    "phone,name,tags,city\r\n"
    "+91 98765 43210,Priya Sharma,diwali,Pune\r\n"
    "+91 98765 43211,Rahul Verma,diwali;vip,Mumbai\r\n"
    "+91 98765 43212,Asha Rao,diwali,Delhi\r\n"
    "+91 98765 43213,Kabir Das,other,Goa\r\n"
)

pytestmark = needs_browser


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn with its embedded queue, and an org."""
    with embedded_product(tmp_path) as url:
        body = {
            "organization_name": "Meera Bakery",
            "name": "Meera",
            "email": EMAIL,
            "password": PASSWORD,
        }
        assert requests.post(f"{url}/auth/signup", json=body, timeout=10).ok
        yield url


def test_a_campaign_to_imported_contacts_reaches_delivered(base, browser, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV.encode("utf-8"))
    page = new_page(browser)
    page.goto(f"{base}/app/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.click("button:has-text('Create a sandbox number')")

    page.get_by_role("link", name="Templates", exact=True).click()
    page.click("#sync-form button")
    page.get_by_text("appointment_reminder").first.wait_for()

    page.get_by_role("link", name="Contacts", exact=True).click()
    page.set_input_files("#import-file", str(path))
    page.click("#import-form button:has-text('Import')")
    page.locator("#import-summary").wait_for()
    assert page.locator("#import-summary").inner_text().startswith("4 created")

    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.locator("#no-campaigns").wait_for()
    # The form checks itself once htmx has set it up; only then does it react.
    with page.expect_response(lambda answer: "/app/campaigns/check" in answer.url):
        page.click("#new-campaign")
    page.fill("#campaign-name", "Diwali reminder")
    page.select_option("#campaign-template", label="appointment_reminder (en_US)")
    page.locator("#value-2").wait_for()
    assert "Hi {{1}}, this is a reminder" in page.locator("#template-text").inner_text()
    page.fill("#value-1", "{{contact.name}}")
    page.fill("#value-2", "5 Sep, 5 PM")
    page.check("#audience-tags")
    page.fill("#audience-tags-field", "diwali")
    page.locator("#check-ok").wait_for()
    assert page.locator("#check-audience").inner_text() == "3"
    assert page.locator("#check-sendable").inner_text() == "3"
    shot(page, "campaigns-form-checked")

    page.click("#send-campaign")
    page.get_by_text("Diwali reminder is on its way.").wait_for()
    page.wait_for_function(
        "document.getElementById('count-delivered')"
        " && document.getElementById('count-delivered').textContent.trim() === '3'",
        timeout=30000,
    )
    assert page.locator("#campaign-status").inner_text() == "completed"
    page.reload()
    log = page.locator("#log-table tbody tr")
    assert log.count() == 3
    assert log.first.locator("td").nth(2).inner_text() == "Delivered to the phone."
    shot(page, "campaigns-delivered")

    page.get_by_role("link", name="Campaigns", exact=True).click()
    row = page.locator("#campaigns tbody tr", has_text="Diwali reminder")
    assert row.locator("td").nth(1).inner_text() == "completed"
    assert row.locator("td").nth(4).inner_text() == "3"
    shot(page, "campaigns-list")
