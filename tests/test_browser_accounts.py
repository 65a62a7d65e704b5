"""A team forms in a real browser (Debian's chromium driven by Playwright) against
gunicorn: an admin signs up, invites a marketing user on the team page, the invitee
signs up through the invitation's link, and the admin sees the role."""

import pytest

from tests.browser import needs_browser, new_page, shot
from tests.processes import embedded_product

PASSWORD = "correct-horse-battery"
ORG = "Kiran Bakery"
ADMIN_EMAIL = "kiran@bakery.test"
INVITEE_EMAIL = "meera@bakery.test"

pytestmark = needs_browser


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn on a free port, with its own SQLite file."""
    with embedded_product(tmp_path) as url:
        yield url


def test_an_invited_marketing_user_signs_up_and_shows_on_the_team_page(base, browser):
    admin = new_page(browser)
    admin.goto(f"{base}/app/login")
    admin.click("text=New here? Sign up")
    admin.fill("#email", ADMIN_EMAIL)
    admin.fill("#name", "Kiran")
    admin.fill("#organization_name", ORG)
    admin.fill("#password", PASSWORD)
    admin.press("#password", "Enter")
    admin.get_by_text(f"Welcome, Kiran! {ORG} is ready").wait_for()
    shot(admin, "accounts-signed-up")

    admin.get_by_role("link", name="Team", exact=True).click()
    admin.fill("#invite-email", INVITEE_EMAIL)
    admin.select_option("#invite-role", "marketing")
    admin.click("button:has-text('Invite')")
    invitation = admin.locator("#pending-invitations tr", has_text=INVITEE_EMAIL)
    invitation.wait_for()
    assert invitation.locator("td").nth(1).inner_text() == "marketing"
    link = invitation.locator("input.link-field").input_value()
    assert link == f"{base}/app/signup?email={INVITEE_EMAIL}"
    shot(admin, "accounts-invited")

    invitee = new_page(browser)
    invitee.goto(link)
    assert invitee.input_value("#email") == INVITEE_EMAIL
    invitee.fill("#name", "Meera")
    invitee.fill("#password", PASSWORD)
    invitee.click("button:has-text('Sign up')")
    invitee.get_by_text(f"Welcome, Meera! You joined {ORG} as marketing.").wait_for()
    assert invitee.get_by_role("link", name="Team", exact=True).count() == 0
    shot(invitee, "accounts-joined")

    admin.reload()
    row = admin.locator("#members tr", has_text=INVITEE_EMAIL)
    assert row.locator("select[name=role]").input_value() == "marketing"
    assert admin.get_by_text("No pending invitations.").is_visible()
    shot(admin, "accounts-team")


def test_the_last_admin_is_told_plainly_that_they_must_stay_admin(base, browser):
    admin = new_page(browser)
    admin.goto(f"{base}/app/signup")
    admin.fill("#email", ADMIN_EMAIL)
    admin.fill("#name", "Kiran")
    admin.fill("#organization_name", ORG)
    admin.fill("#password", PASSWORD)
    admin.click("button:has-text('Sign up')")
    admin.get_by_text(f"Welcome, Kiran! {ORG} is ready").wait_for()

    admin.goto(f"{base}/app/team")
    admin.select_option("#members select[name=role]", "sales")

    row = admin.locator("#members tr", has_text=ADMIN_EMAIL)
    row.get_by_role("alert").wait_for()
    assert row.get_by_role("alert").inner_text() == (
        "The organization must keep at least one admin."
    )
    assert row.locator("select[name=role]").input_value() == "admin"
    shot(admin, "accounts-last-admin")
