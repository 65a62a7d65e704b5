"""The preview panel: a chat with a flow's saved draft on the sandbox number, through
the real signed webhook, as a test customer of the user's own."""

import copy
import html as markup
import json
import re

import pytest
from sqlalchemy import func, select

from tests.browser import needs_browser, new_page, shot
from tests.conftest import signup
from tests.pages import HTMX, html, page_client, post
from tests.processes import embedded_product
from tests.support import run_scheduled
from tests.test_flow_validation import welcome_flow
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.flows.preview import preview_phone
from wfb.phone_numbers.models import PhoneNumber
from wfb.phones import e164

pytestmark = pytest.mark.usefixtures("app")

ENDED = "The preview has ended. Restart it to chat with the flow again."


@pytest.fixture
def admin_page(app, team):
    return page_client(app, "admin@acme.test")


def create(api, flow=None, **changes) -> dict:
    response = api.post("/flows", json={**(flow or welcome_flow()), **changes})
    assert response.status_code == 201, response.json
    return response.json


def start(client, flow_id):
    return post(client, f"/app/flows/{flow_id}/preview", headers=HTMX)


def write(client, flow_id, **fields):
    """What the customer writes or taps, posted as the panel's forms do."""
    return post(
        client, f"/app/flows/{flow_id}/preview/messages", headers=HTMX, **fields
    )


def tap(client, flow_id, reply_id, title, kind="button_reply"):
    wamid = db.session.scalar(
        select(Message.wamid)
        .where(Message.direction == "out")
        .order_by(Message.id.desc())
    )
    return write(
        client, flow_id, kind=kind, reply_id=reply_id, title=title, context=wamid
    )


def panel(client, flow_id, query=""):
    """The panel as the editor loads it."""
    # Requests share the test's database session; a real one starts afresh, so
    # nothing that webhooks changed meanwhile may be read from a stale copy.
    db.session.expire_all()
    return client.get(f"/app/flows/{flow_id}/preview{query}", headers=HTMX)


def state(response) -> tuple[str, str]:
    """The session's node and status, as the editor reads them."""
    match = re.search(
        r'<div id="preview-state" data-node-id="([^"]*)"\s+'
        r'data-status="([^"]*)" hidden>',
        html(response),
    )
    return match[1], match[2]


def bubbles(response) -> list[tuple[str, str]]:
    """The chat as (who, text), oldest first."""
    found = re.findall(
        r'<div class="bubble bubble-(business|customer)" id="message-\d+">.*?'
        r'<p class="bubble-text">(.*?)</p>',
        html(response),
        re.S,
    )
    return [(who, markup.unescape(text)) for who, text in found]


def choices(response) -> list[str]:
    return re.findall(r"<span>([^<]*)</span>\s*</button>", html(response))


def note(response) -> str:
    match = re.search(r'<p id="preview-note"[^>]*>([^<]*)</p>', html(response))
    return markup.unescape(match[1])


def variables(response) -> dict[str, str]:
    found = re.findall(
        r"<tr><td><code>vars\.([^<]*)</code></td><td>([^<]*)</td></tr>", html(response)
    )
    return {name: markup.unescape(value) for name, value in found}


def inbound_count() -> int:
    query = select(func.count(Message.id)).where(Message.direction == "in")
    return db.session.scalar(query)


# Starting


def test_panel_before_a_start_offers_only_the_start_button(admin_page, team):
    flow = create(team.admin)

    response = panel(admin_page, flow["id"])

    assert response.status_code == 200
    assert (
        f'<button id="preview-start" type="button" class="button button-primary"\n'
        f'            data-url="/app/flows/{flow["id"]}/preview">Start</button>'
    ) in html(response)
    assert "Press Start to chat with the saved draft." in html(response)
    assert state(response) == ("", "")
    assert 'class="composer"' not in html(response)
    assert "hx-trigger" not in html(response)
    # Looking creates nothing: no sandbox number, customer or session yet.
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_start_shows_the_flows_first_messages_and_waits_at_the_menu(admin_page, team):
    flow = create(team.admin, publish=False)

    response = start(admin_page, flow["id"])

    assert response.status_code == 200
    assert bubbles(response) == [
        ("business", "Hi Preview!"),
        ("business", "How can we help?"),
    ]
    assert choices(response) == ["Buy", "Talk to us"]
    assert state(response) == ("menu", "waiting")
    assert "Restart</button>" in html(response)
    assert 'hx-trigger="every 1s [chatIsIdle()]"' in html(response)
    assert "None yet: questions and set nodes save them here." in html(response)


def test_start_uses_the_sandbox_number_and_a_preview_customer(admin_page, team):
    flow = create(team.admin, publish=False)

    start(admin_page, flow["id"])

    number = db.session.scalar(select(PhoneNumber))
    contact = db.session.scalar(select(Contact))
    conversation = db.session.scalar(select(Conversation))
    assert number.is_sandbox and number.org_id == team.org_id
    assert (contact.name, contact.phone) == ("Preview", preview_phone(team.admin_id))
    assert (conversation.phone_number_id, conversation.contact_id) == (
        number.id,
        contact.id,
    )


def test_preview_runs_the_saved_draft_not_the_published_version(admin_page, team):
    flow = create(team.admin)
    nodes = copy.deepcopy(welcome_flow()["nodes"])
    nodes[1]["data"]["text"] = "Hello from the draft, {{contact.name}}!"
    team.admin.put(f"/flows/{flow['id']}", json={"nodes": nodes})

    response = start(admin_page, flow["id"])

    assert bubbles(response)[0] == ("business", "Hello from the draft, Preview!")
    stored = db.session.get(Flow, flow["id"])
    current = db.session.get(FlowVersion, stored.current_version_id)
    assert current.number == 1
    assert current.nodes == welcome_flow()["nodes"]
    assert team.admin.get(f"/flows/{flow['id']}/versions").json["total"] == 1
    session = db.session.scalar(select(FlowSession))
    assert db.session.get(FlowVersion, session.flow_version_id).number is None


def test_start_of_a_draft_that_breaks_a_rule_names_the_problem(admin_page):
    post(admin_page, "/app/flows", name="Empty", trigger_type="any")
    flow = db.session.scalar(select(Flow))

    response = start(admin_page, flow.id)

    assert response.status_code == 422
    assert note(response) == (
        "Fix the draft first: Node 'start' has no edge to a next node."
    )
    assert db.session.scalar(select(func.count(FlowSession.id))) == 0


def test_start_without_htmx_goes_back_to_the_editor(admin_page, team):
    flow = create(team.admin)

    response = post(admin_page, f"/app/flows/{flow['id']}/preview")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/flows/{flow['id']}"
    assert db.session.scalar(select(FlowSession)).status == "waiting"


# Chatting


def test_tapping_a_button_moves_the_session_on(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])

    response = tap(admin_page, flow["id"], "buy", "Buy")

    assert response.status_code == 200
    assert state(response) == ("email", "waiting")
    assert bubbles(response)[2:] == [("customer", "Buy"), ("business", "Your email?")]
    tapped = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert tapped.payload["interactive"]["button_reply"] == {
        "id": "buy",
        "title": "Buy",
    }


def test_an_answer_becomes_a_variable_and_the_flow_ends(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    tap(admin_page, flow["id"], "buy", "Buy")

    response = write(admin_page, flow["id"], text="priya@example.com")

    assert state(response) == ("email", "completed")
    assert variables(response) == {"email": "priya@example.com"}
    assert bubbles(response)[-1] == ("customer", "priya@example.com")
    assert "The flow has ended. Press Restart to run it again." in html(response)
    assert 'class="composer"' not in html(response)


def test_a_reply_that_fits_no_button_asks_again(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])

    response = write(admin_page, flow["id"], text="maybe")

    assert state(response) == ("menu", "waiting")
    assert bubbles(response)[2:] == [
        ("customer", "maybe"),
        ("business", "How can we help?"),
    ]


def test_writing_after_the_preview_ended_is_refused(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    tap(admin_page, flow["id"], "talk", "Talk to us")
    before = inbound_count()

    response = write(admin_page, flow["id"], text="hi")

    assert response.status_code == 409
    assert note(response) == ENDED
    assert inbound_count() == before


def test_an_empty_message_is_refused(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])

    response = write(admin_page, flow["id"], text="  ")

    assert response.status_code == 422
    assert note(response) == "Write a message first."
    assert inbound_count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "button_reply", "title": "Buy"},
        {"kind": "list_reply", "reply_id": "buy", "title": " "},
        {"kind": "button_reply", "reply_id": "x" * 257, "title": "Buy"},
    ],
)
def test_a_tap_without_its_reply_id_and_title_is_refused(admin_page, team, fields):
    flow = create(team.admin)
    start(admin_page, flow["id"])

    response = write(admin_page, flow["id"], **fields)

    assert response.status_code == 422
    assert note(response) == "A tap needs its reply's id and title."
    assert inbound_count() == 0


def test_writing_before_a_start_is_refused(admin_page, team):
    flow = create(team.admin)

    response = write(admin_page, flow["id"], text="hi")

    assert response.status_code == 409
    assert note(response) == ENDED
    assert inbound_count() == 0


def test_choosing_a_list_row_follows_its_edge(admin_page, team):
    menu = {
        "id": "menu",
        "type": "list",
        "data": {
            "text": "Pick a service",
            "button": "Services",
            "sections": [
                {
                    "title": "Hair",
                    "rows": [
                        {"id": "cut", "title": "Haircut", "description": "45 min"},
                        {"id": "color", "title": "Colour"},
                    ],
                }
            ],
        },
    }
    flow = create(
        team.admin,
        {
            "name": "Services",
            "trigger": {"type": "any"},
            "nodes": [
                {"id": "start", "type": "start"},
                menu,
                {"id": "booked", "type": "message", "data": {"text": "Booked a cut."}},
                {"id": "later", "type": "message", "data": {"text": "Colour soon."}},
            ],
            "edges": [
                {"source": "start", "target": "menu"},
                {"source": "menu", "source_handle": "cut", "target": "booked"},
                {"source": "menu", "source_handle": "color", "target": "later"},
            ],
        },
    )
    shown = start(admin_page, flow["id"])
    assert '<summary class="reply-button">☰ Services</summary>' in html(shown)
    assert "<span>Haircut</span><small>45 min</small>" in html(shown)

    response = tap(admin_page, flow["id"], "cut", "Haircut", kind="list_reply")

    assert state(response) == ("booked", "completed")
    assert bubbles(response)[-2:] == [
        ("customer", "Haircut"),
        ("business", "Booked a cut."),
    ]


def test_a_delay_runs_after_the_start_is_committed(admin_page, team):
    flow = create(
        team.admin,
        {
            "name": "Slow",
            "trigger": {"type": "manual"},
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "first", "type": "message", "data": {"text": "One moment."}},
                {"id": "wait", "type": "delay", "data": {"seconds": 5}},
                {"id": "then", "type": "message", "data": {"text": "Done."}},
            ],
            "edges": [
                {"source": "start", "target": "first"},
                {"source": "first", "target": "wait"},
                {"source": "wait", "target": "then"},
            ],
        },
    )

    started = start(admin_page, flow["id"])
    run_scheduled()
    later = panel(admin_page, flow["id"])

    assert state(started) == ("wait", "delayed")
    assert bubbles(started) == [("business", "One moment.")]
    assert state(later) == ("then", "completed")
    assert bubbles(later) == [("business", "One moment."), ("business", "Done.")]


def test_the_phone_shows_delivery_then_marks_messages_read(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    run_scheduled()

    shown = panel(admin_page, flow["id"])
    again = panel(admin_page, flow["id"])

    assert html(shown).count('aria-label="Delivered"') == 2
    assert html(again).count('aria-label="Read"') == 2


def test_the_live_part_refreshes_itself_with_the_variables_out_of_band(
    admin_page, team
):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    tap(admin_page, flow["id"], "buy", "Buy")
    write(admin_page, flow["id"], text="priya@example.com")

    response = panel(admin_page, flow["id"], "?part=live")

    body = html(response)
    assert body.startswith('<div id="preview-live" hx-get=')
    assert f'hx-get="/app/flows/{flow["id"]}/preview?part=live"' in body
    assert '<div id="preview-vars" class="preview-vars" hx-swap-oob="true">' in body
    assert variables(response) == {"email": "priya@example.com"}
    assert 'id="preview-start"' not in body
    # The flow has ended, so the composer goes too.
    assert '<div id="preview-composer" hx-swap-oob="true"></div>' in body


def test_the_live_part_leaves_the_composer_alone_while_the_flow_runs(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])

    response = panel(admin_page, flow["id"], "?part=live")

    assert state(response) == ("menu", "waiting")
    assert "preview-composer" not in html(response)
    assert 'class="composer"' not in html(response)


# Restarting


def test_restart_starts_over_and_shows_only_the_new_run(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    tap(admin_page, flow["id"], "buy", "Buy")

    response = start(admin_page, flow["id"])

    assert state(response) == ("menu", "waiting")
    assert bubbles(response) == [
        ("business", "Hi Preview!"),
        ("business", "How can we help?"),
    ]
    assert variables(response) == {}
    # The earlier preview version goes, with its session.
    assert db.session.scalar(select(func.count(FlowSession.id))) == 1
    assert db.session.scalar(select(func.count(FlowVersion.id))) == 2


def test_restart_clears_a_hand_off(admin_page, team):
    flow = create(team.admin)
    start(admin_page, flow["id"])
    db.session.scalar(select(Conversation)).handed_off = True
    db.session.commit()

    response = start(admin_page, flow["id"])
    answered = tap(admin_page, flow["id"], "buy", "Buy")

    assert db.session.scalar(select(Conversation.handed_off)) is False
    assert state(response) == ("menu", "waiting")
    assert state(answered) == ("email", "waiting")


def test_previewing_another_flow_ends_the_first_ones_session(admin_page, team):
    first = create(team.admin)
    second = create(team.admin, name="Other", trigger={"type": "any"})
    start(admin_page, first["id"])

    start(admin_page, second["id"])
    back = panel(admin_page, first["id"])

    statuses = dict(
        db.session.execute(select(FlowSession.flow_id, FlowSession.status)).all()
    )
    assert statuses == {first["id"]: "ended", second["id"]: "waiting"}
    assert state(back) == ("menu", "ended")
    assert len(bubbles(back)) == 2
    assert "The preview has ended. Press Restart to run it again." in html(back)


def test_each_user_previews_as_a_customer_of_their_own(app, admin_page, team):
    flow = create(team.admin)
    marketing = page_client(app, "mia@acme.test")
    start(admin_page, flow["id"])
    tap(admin_page, flow["id"], "buy", "Buy")

    theirs = start(marketing, flow["id"])
    mine = panel(admin_page, flow["id"])

    assert state(theirs) == ("menu", "waiting")
    assert state(mine) == ("email", "waiting")
    phones = set(db.session.scalars(select(Contact.phone)))
    assert phones == {preview_phone(team.admin_id), preview_phone(team.marketing.id)}


@pytest.mark.parametrize("user_id", [1, 99, 100, 4999, 5000, 123456])
def test_preview_phone_is_a_valid_number_set_aside_for_fiction(user_id):
    phone = preview_phone(user_id)

    assert re.fullmatch(r"\+1[2-9]\d\d55501\d\d", phone)
    assert e164(phone, "US") == phone
    assert phone.endswith(f"{user_id % 100:02d}")


# Who may


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", "preview"), ("post", "preview"), ("post", "preview/messages")],
)
def test_another_orgs_flow_is_404(admin_page, client, method, suffix):
    other = signup(client, org="Bravo Gym", email="admin@bravo.test")
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    flow = client.post("/flows", json=welcome_flow(), headers=headers).json

    path = f"/app/flows/{flow['id']}/{suffix}"
    if method == "post":
        response = post(admin_page, path, text="hi")
    else:
        response = admin_page.get(path)

    assert response.status_code == 404
    assert db.session.scalar(select(func.count(FlowSession.id))) == 0


def test_sales_is_refused_the_preview(app, team):
    flow = create(team.admin)
    sales = page_client(app, "sam@acme.test")

    assert sales.get(f"/app/flows/{flow['id']}/preview").status_code == 403
    assert start(sales, flow["id"]).status_code == 403
    assert db.session.scalar(select(func.count(FlowSession.id))) == 0


def test_start_without_the_csrf_token_is_refused(admin_page, team):
    flow = create(team.admin)

    response = admin_page.post(f"/app/flows/{flow['id']}/preview", headers=HTMX)

    assert response.status_code == 403
    assert db.session.scalar(select(func.count(FlowSession.id))) == 0


# Without the sandbox


@pytest.mark.parametrize("settings_overrides", [{"WFB_SANDBOX": False}])
def test_without_the_sandbox_the_panel_says_so_and_offers_nothing(admin_page, team):
    flow = create(team.admin)

    shown = panel(admin_page, flow["id"])
    started = start(admin_page, flow["id"])
    written = write(admin_page, flow["id"], text="hi")

    assert shown.status_code == 200
    assert "the sandbox is off on this server (WFB_SANDBOX)" in " ".join(
        html(shown).split()
    )
    assert 'id="preview-start"' not in html(shown)
    assert "<form" not in html(shown)
    assert (started.status_code, written.status_code) == (409, 409)
    assert db.session.scalar(select(func.count(FlowSession.id))) == 0
    assert db.session.scalar(select(func.count(PhoneNumber.id))) == 0


# In a real browser, inside the editor


@pytest.fixture
def server(tmp_path):
    """The product under gunicorn on a free port, with its own SQLite file."""
    with embedded_product(tmp_path) as url:
        yield url


def browser_test(test):
    for mark in needs_browser:
        test = mark(test)
    return test


def sign_up(page, base):
    page.goto(f"{base}/app/signup")
    page.fill("#email", "asha@salon.test")
    page.fill("#name", "Asha")
    page.fill("#organization_name", "Asha Salon")
    page.fill("#password", "correct-horse-battery")
    page.click("button:has-text('Sign up')")
    page.get_by_text("Welcome, Asha!").wait_for()


@browser_test
def test_a_flow_imported_on_the_list_chats_in_the_editors_preview(
    server, browser, tmp_path
):
    page = new_page(browser)
    sign_up(page, server)
    page.get_by_role("link", name="Flows", exact=True).click()
    page.locator("#no-flows").wait_for()
    export = tmp_path / "welcome.wfb-flow.json"
    export.write_text(
        json.dumps({"format": "wfb-flow", "format_version": 1, **welcome_flow()})
    )
    page.set_input_files("#import-file", str(export))
    page.click("#import-flow button[type=submit]")
    page.wait_for_url(re.compile(r"/app/flows/\d+$"))
    shot(page, "flow-preview-editor")

    page.click("#tab-preview")
    page.click("#preview-start")
    chat = page.locator("#preview-panel #chat")
    chat.get_by_text("How can we help?").wait_for()
    assert page.locator("#preview-state").get_attribute("data-node-id") == "menu"
    shot(page, "flow-preview-started")

    chat.get_by_role("button", name="Buy").click()
    chat.get_by_text("Your email?").wait_for()
    page.fill("#preview-panel .composer-input", "priya@example.com")
    page.press("#preview-panel .composer-input", "Enter")
    page.locator("#preview-vars td", has_text="priya@example.com").wait_for()
    state = page.locator("#preview-state")
    assert state.get_attribute("data-status") == "completed"
    # The chat refreshes itself: the composer goes as the flow ends, and the ticks
    # turn blue once the phone has shown the messages.
    page.locator("#preview-panel .composer").wait_for(state="detached")
    page.locator("#preview-panel .ticks-read").first.wait_for()
    shot(page, "flow-preview-finished")

    # The preview made the org's sandbox number; the editor shows it once reloaded.
    page.reload()
    page.click("#tab-flow")
    page.locator("#numbers-panel label", has_text="+1 555 0100").click()
    page.click("#numbers-panel button:has-text('Save numbers')")
    page.get_by_text("+1 555 0100 answers with this flow.").wait_for()
    assert page.locator("#numbers-panel input[type=checkbox]").is_checked()
    shot(page, "flow-numbers")

    page.goto(f"{server}/app/flows")
    row = page.locator("tr", has_text="Welcome")
    assert row.locator("td").nth(2).inner_text() == "Draft only"
    shot(page, "flow-list")
