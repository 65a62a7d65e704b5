"""Contacts in a real browser (Debian's chromium driven by Playwright) against
gunicorn: an admin imports a CSV file on the contacts page, reads the report of the
rows left out, finds the imported contacts in the table and searches them."""

import pytest
import requests

from tests.browser import needs_browser, new_page, shot
from tests.processes import embedded_product

PASSWORD = "correct-horse-battery"
EMAIL = "kiran@bakery.test"
CSV = (
    "\ufeffphone;name;tags;city\r\n"
    '098765 43210;Priya Sharma;"vip;gold";Pune\r\n'
    "9.19877E+11;Rahul Verma;;Mumbai\r\n"
    "+91 98765 43211;Asha Rao;new;Delhi\r\n"
    "098765 43210;Priya again;;\r\n"
)

pytestmark = needs_browser


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn on a free port, with its own SQLite file, and an
    org signed up through the API."""
    with embedded_product(tmp_path) as url:
        body = {
            "organization_name": "Kiran Bakery",
            "name": "Kiran",
            "email": EMAIL,
            "password": PASSWORD,
        }
        assert requests.post(f"{url}/auth/signup", json=body, timeout=10).ok
        yield url


def test_an_imported_csv_reports_its_bad_rows_and_fills_the_table(
    base, browser, tmp_path
):
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV.encode("utf-8"))
    page = new_page(browser)
    page.goto(f"{base}/app/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.locator("#no-contacts").wait_for()

    page.set_input_files("#import-file", str(path))
    page.click("#import-form button:has-text('Import')")

    summary = page.locator("#import-summary")
    summary.wait_for()
    assert summary.inner_text() == "2 created, 0 updated, 2 not imported."
    errors = page.locator("#import-errors tbody tr")
    assert errors.all_inner_texts() == [
        "3\t“9.19877E+11” is a number in scientific notation, which has lost its "
        "last digits: format the phone column as text in your spreadsheet.",
        "5\tDuplicate: +919876543210 is already on row 2 of this file.",
    ]
    table = page.locator("#contacts tbody tr")
    table.first.wait_for()
    assert table.count() == 2
    assert page.locator("#import-status").is_hidden()
    shot(page, "contacts-imported")

    page.fill("#search", "priya")
    page.locator("#contacts-count", has_text="matching “priya”").wait_for()
    assert table.all_inner_texts() == [
        "+919876543210\tPriya Sharma\tvip gold\tcity: Pune\tsubscribed"
    ]
    assert page.url.endswith("/app/contacts?q=priya&tag=")
    shot(page, "contacts-search")
