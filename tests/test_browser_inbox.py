"""The inbox in a real browser (Debian's chromium driven by Playwright) against
gunicorn: two pages of one org see a customer's message arrive without a reload,
and a reply typed in one appears in the other; a page whose socket cannot connect
keeps up by polling; a closed window offers a template whose values are filled in.

The customer writes through the org's webhook, signed with the app secret the org
saved, as Meta would post it; the org's number is the sandbox's, so replies go out
without a Graph API stand-in."""

import re
import time
from types import SimpleNamespace

import pytest
import requests

from tests.browser import needs_browser, new_page, shot
from tests.processes import embedded_product
from tests.support import post_webhook, text_message

PASSWORD = "correct-horse-battery"
ADMIN_EMAIL = "kiran@bakery.test"
MEMBER_EMAIL = "meera@bakery.test"
APP_SECRET = "bakery-app-secret-0001"
CUSTOMER = "919876543210"

pytestmark = needs_browser


class Product:
    """Posts the way the Flask test client does, over HTTP to the running product,
    so the webhook helpers of tests/support.py sign and send as they do in-process."""

    def __init__(self, base: str):
        self.base = base

    def post(self, path, data, headers, content_type):
        headers = {**headers, "Content-Type": content_type}
        return requests.post(self.base + path, data=data, headers=headers, timeout=10)


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn on a free port, with its own SQLite file."""
    with embedded_product(tmp_path) as url:
        yield url


@pytest.fixture
def org(base):
    """Kiran's bakery: an admin, a marketing member, and WhatsApp credentials whose
    app secret the test knows, so it can sign the customer's webhooks."""
    body = {
        "organization_name": "Kiran Bakery",
        "name": "Kiran",
        "email": ADMIN_EMAIL,
        "password": PASSWORD,
    }
    signed_up = requests.post(f"{base}/auth/signup", json=body, timeout=10).json()
    auth = {"Authorization": f"Bearer {signed_up['access_token']}"}
    credentials = {
        "waba_id": "100000000000077",
        "app_id": "300000000000077",
        "access_token": "EAAG-bakery-token",
        "app_secret": APP_SECRET,
        "verify_token": "bakery-verify",
    }
    saved = requests.post(
        f"{base}/settings/whatsapp", json=credentials, headers=auth, timeout=10
    )
    assert saved.ok, saved.text
    invited = requests.post(
        f"{base}/admin/access-list",
        json={"email": MEMBER_EMAIL, "role": "marketing"},
        headers=auth,
        timeout=10,
    )
    assert invited.ok, invited.text
    body = {**body, "email": MEMBER_EMAIL, "name": "Meera"}
    assert requests.post(f"{base}/auth/signup", json=body, timeout=10).ok
    return SimpleNamespace(
        base=base, auth=auth, org_id=signed_up["user"]["org_id"], number=None
    )


def log_in(browser, base: str, email: str):
    """A page of its own for `email`, logged in; `page.errors` gathers its
    script errors."""
    page = new_page(browser)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{base}/app/login?next=/app/inbox")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/app/inbox")
    return page


def give_sandbox_number(page, org) -> None:
    """The admin creates the org's sandbox number on the sandbox page."""
    page.goto(f"{org.base}/app/sandbox")
    page.click("button:has-text('Create a sandbox number')")
    page.locator(".phone-header").wait_for()
    numbers = requests.get(f"{org.base}/phone-numbers", headers=org.auth, timeout=10)
    org.number = numbers.json()[0]["phone_number_id"]


def customer_writes(org, text: str, wamid: str, hours_ago: float = 0) -> None:
    body = text_message(
        text,
        wamid,
        wa_id=CUSTOMER,
        name="Priya Sharma",
        phone_number_id=org.number,
        timestamp=str(int(time.time() - hours_ago * 3600)),
    )
    response = post_webhook(
        Product(org.base), body, APP_SECRET, f"/webhook/{org.org_id}"
    )
    assert response.status_code == 200, response.text


def open_inbox(page, base: str) -> None:
    page.goto(f"{base}/app/inbox")
    page.locator("#live-status[data-state=live]").wait_for()


def thread_texts(page) -> list[str]:
    return page.locator("#messages .message-text").all_inner_texts()


def test_two_pages_see_a_customers_message_and_each_others_reply_live(org, browser):
    admin = log_in(browser, org.base, ADMIN_EMAIL)
    give_sandbox_number(admin, org)
    member = log_in(browser, org.base, MEMBER_EMAIL)
    for page in (admin, member):
        open_inbox(page, org.base)
        page.evaluate("window.notReloaded = true")
    assert member.locator("#no-conversations").is_visible()

    customer_writes(org, "Hi, is the chocolate cake in stock?", "wamid.BROWSER1")

    for page in (admin, member):
        row = page.locator("#conversation-list .conversation", has_text="Priya Sharma")
        row.locator(".unread", has_text="1").wait_for()
        assert row.locator(".conversation-preview").inner_text() == (
            "Hi, is the chocolate cake in stock?"
        )
        assert page.evaluate("window.notReloaded") is True
    shot(member, "inbox-message-arrived")

    for page in (admin, member):
        page.click("#conversation-list .conversation")
        page.locator("#window-state").wait_for()
        page.evaluate("window.notReloaded = true")
    assert admin.locator("#window-state").inner_text() == "Window open · closes in 23 h"
    assert thread_texts(member) == ["Hi, is the chocolate cake in stock?"]
    admin.locator("#thread-head[data-unread='0']").wait_for()

    admin.fill("#reply-text", "Yes! Two left. Shall we keep one for you?")
    admin.press("#reply-text", "Enter")

    reply = "Yes! Two left. Shall we keep one for you?"
    member.locator("#messages .message-out .message-text", has_text=reply).wait_for()
    assert thread_texts(member) == ["Hi, is the chocolate cake in stock?", reply]
    assert member.locator(".message-out .message-meta span").first.inner_text() == (
        "Kiran"
    )
    assert admin.input_value("#reply-text") == ""
    preview = member.locator("#conversation-list .conversation-preview")
    assert preview.inner_text() == f"Kiran: {reply}"
    assert member.evaluate("window.notReloaded") is True
    shot(admin, "inbox-reply-sent")

    admin.select_option("#assignee", label="Meera")
    chosen = member.locator("#assignee option[selected]", has_text="Meera (you)")
    chosen.wait_for(state="attached")
    badge = member.locator("#conversation-list .badge", has_text="Meera")
    badge.wait_for()
    assert admin.locator("#thread-head .thread-sub").inner_text() == (
        "+919876543210 · automation paused"
    )

    customer_writes(org, "Yes please, for 5pm.", "wamid.BROWSER2")

    for page in (admin, member):
        page.locator(
            "#messages .message-in", has_text="Yes please, for 5pm."
        ).wait_for()
        assert page.evaluate("window.notReloaded") is True
        assert page.errors == []
    shot(member, "inbox-reply-seen")


def test_a_page_whose_socket_cannot_connect_keeps_up_by_polling(org, browser):
    admin = log_in(browser, org.base, ADMIN_EMAIL)
    give_sandbox_number(admin, org)
    cut_off = new_page(browser)
    # This page's browser refuses every WebSocket, as some proxies do.
    cut_off.add_init_script(
        """
        window.WebSocket = function () {
          const socket = new EventTarget();
          setTimeout(function () { socket.dispatchEvent(new Event("close")); }, 10);
          return socket;
        };
        """
    )
    cut_off.goto(f"{org.base}/app/login?next=/app/inbox")
    cut_off.fill("input[name=email]", ADMIN_EMAIL)
    cut_off.fill("input[name=password]", PASSWORD)
    cut_off.click("button:has-text('Log in')")
    cut_off.locator("#live-status[data-state=polling]").wait_for()
    assert cut_off.locator("#live-status").inner_text() == (
        "Reconnecting · checking every 5 s"
    )
    cut_off.evaluate("window.notReloaded = true")

    customer_writes(org, "Are you open on Sunday?", "wamid.POLL1")

    row = cut_off.locator("#conversation-list .conversation", has_text="Priya Sharma")
    row.wait_for(timeout=12000)
    assert row.locator(".unread").inner_text() == "1"
    assert cut_off.evaluate("window.notReloaded") is True
    shot(cut_off, "inbox-polling")


def test_a_page_that_loses_its_socket_reconnects_and_catches_up(org, browser):
    admin = log_in(browser, org.base, ADMIN_EMAIL)
    give_sandbox_number(admin, org)
    # The page's sockets are kept where the test can reach them.
    admin.add_init_script(
        """
        window.sockets = [];
        const Native = window.WebSocket;
        window.WebSocket = function (url) {
          const socket = new Native(url);
          window.sockets.push(socket);
          return socket;
        };
        """
    )
    open_inbox(admin, org.base)
    customer_writes(org, "First question", "wamid.GAP1")
    preview = admin.locator("#conversation-list .conversation-preview")
    preview.filter(has_text="First question").wait_for()
    admin.evaluate("window.notReloaded = true")

    admin.evaluate("window.sockets[0].close()")
    admin.locator("#live-status[data-state=polling]").wait_for()
    customer_writes(org, "Second question, while you were away", "wamid.GAP2")

    admin.locator("#live-status[data-state=live]").wait_for()
    preview.filter(has_text="Second question, while you were away").wait_for()
    urls = admin.evaluate("window.sockets.map(function (s) { return s.url; })")
    assert len(urls) == 2
    assert urls[0].endswith(f"/ws/{org.org_id}")
    assert re.search(rf"/ws/{org.org_id}\?since=\d+-\d+$", urls[1])
    assert admin.locator(".unread").inner_text() == "2"
    assert admin.evaluate("window.notReloaded") is True


def in_view(page, text: str) -> bool:
    """Whether the thread's message with this text shows in the thread's pane."""
    return page.evaluate(
        """(text) => {
          const screen = document.getElementById("screen").getBoundingClientRect();
          const found = [...document.querySelectorAll("#messages .message-text")]
            .find((element) => element.textContent === text);
          const box = found.getBoundingClientRect();
          return box.bottom > screen.top && box.top < screen.bottom;
        }""",
        text,
    )


def test_earlier_messages_load_above_the_reader_without_moving_them(org, browser):
    admin = log_in(browser, org.base, ADMIN_EMAIL)
    give_sandbox_number(admin, org)
    for n in range(100):
        customer_writes(org, f"message {n}", f"wamid.MANY{n}")
    open_inbox(admin, org.base)
    admin.click("#conversation-list .conversation")
    admin.locator("#live-status[data-state=live]").wait_for()
    assert in_view(admin, "message 99")

    admin.locator("#screen").evaluate("(screen) => { screen.scrollTop = 0; }")
    admin.wait_for_function("!document.getElementById('screen').scrollTop")
    assert in_view(admin, "message 50")
    admin.click("button:has-text('Show earlier messages')")

    admin.locator("#messages .message-text", has_text="message 0").wait_for(
        state="attached"
    )
    assert admin.locator("#messages .message-text").count() == 100
    assert in_view(admin, "message 50")
    assert not in_view(admin, "message 0")
    assert admin.locator("text=Show earlier messages").count() == 0

    customer_writes(org, "message 100", "wamid.MANY100")

    admin.locator("#messages .message-text", has_text="message 100").wait_for(
        state="attached"
    )
    assert in_view(admin, "message 50")
    assert admin.locator("#messages .message-text").count() == 100


def test_a_closed_window_offers_a_template_whose_values_are_filled_in(org, browser):
    admin = log_in(browser, org.base, ADMIN_EMAIL)
    give_sandbox_number(admin, org)
    synced = requests.get(f"{org.base}/templates", headers=org.auth, timeout=10)
    assert synced.ok, synced.text
    customer_writes(org, "Can I book for Friday?", "wamid.OLD1", hours_ago=25)
    open_inbox(admin, org.base)
    admin.click("#conversation-list .conversation")

    assert admin.locator("#window-state").inner_text() == (
        "Window closed — send a template"
    )
    assert admin.locator("#reply-text").count() == 0
    admin.select_option("#reply-template", label="appointment_reminder · en_US")
    admin.locator("#template-parameter_1").wait_for()
    admin.fill("#template-parameter_0", "{{contact.name}}")
    admin.fill("#template-parameter_1", "Friday 5 PM")
    shot(admin, "inbox-template-picker")
    admin.click("button:has-text('Send template')")

    sent = admin.locator("#messages .message-out")
    sent.wait_for()
    assert sent.locator(".message-text").inner_text() == (
        "Hi Priya Sharma, this is a reminder of your appointment on Friday 5 PM. "
        "Reply to this message if you need to change it."
    )
    assert admin.locator("#reply-template").input_value() == ""
    shot(admin, "inbox-template-sent")
