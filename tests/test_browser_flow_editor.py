"""The flow editor in a real browser (Debian's chromium driven by Playwright) against
gunicorn: an admin builds a flow by dragging nodes from the palette and connecting
them with the mouse, sees a broken rule on the node, saves, publishes, chats with it
in the preview and the sandbox, publishes a change, reads the drop-off of the first
version on the canvas, and restores that version as the draft."""

import pytest

from tests.browser import needs_browser, new_page, shot
from tests.processes import embedded_product

PASSWORD = "correct-horse-battery"
ORG = "Kiran Bakery"
EMAIL = "kiran@bakery.test"
WELCOME = "Hi! Welcome to Kiran Bakery."
ASK = "How can we help?"
QUESTION = "What should the cake say?"
BUTTONS = ("Order a cake", "Opening hours", "Talk to us")

pytestmark = needs_browser


@pytest.fixture
def base(tmp_path):
    """The product under gunicorn on a free port, with its own SQLite file and the
    sandbox on, for the preview."""
    with embedded_product(tmp_path, WFB_SANDBOX="true") as url:
        yield url


def node(page, node_id):
    return page.locator(f'.drawflow-node[data-node-id="{node_id}"]')


def center(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_mouse(page, start, end) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def drop(page, kind: str, x: int, y: int, node_id: str) -> None:
    """Drag a node type from the palette onto the canvas at (x, y) of the canvas."""
    page.drag_and_drop(
        f".fe-palette-item[data-kind={kind}]",
        "#canvas",
        target_position={"x": x, "y": y},
    )
    page.locator(f'#node-form[data-node-id="{node_id}"]').wait_for()


def connect(page, source: str, target: str, output: int = 1) -> None:
    """Drag from an output dot of `source` onto the head of `target`."""
    dot = node(page, source).locator(f".output_{output}")
    drag_mouse(page, center(dot), center(node(page, target).locator(".fe-node-head")))


def wait_checked(page) -> None:
    """Wait until the editor has no form request or check on its way."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)
    page.wait_for_load_state("networkidle")


def problems_of(page, node_id) -> list[str]:
    return node(page, node_id).locator(".fe-node-problems li").all_inner_texts()


def sign_up(page, base) -> None:
    page.goto(f"{base}/app/signup")
    page.fill("#email", EMAIL)
    page.fill("#name", "Kiran")
    page.fill("#organization_name", ORG)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign up')")
    page.get_by_text(f"Welcome, Kiran! {ORG} is ready").wait_for()


def build_flow(page) -> None:
    """Keyword trigger "hi"; start -> message -> buttons (three) -> question."""
    page.click("#tab-flow")
    page.select_option("#trigger-type", "keyword")
    page.fill("#trigger-keywords", "hi")
    node(page, "start").get_by_text("Starts on “hi”.").wait_for()

    # The start node moves to the top left, out of the way.
    head = center(node(page, "start").locator(".fe-node-head"))
    canvas = page.locator("#canvas").bounding_box()
    drag_mouse(page, head, (canvas["x"] + 150, canvas["y"] + 110))

    drop(page, "message", 360, 110, "message_1")
    page.fill("#node-text", WELCOME)
    node(page, "message_1").get_by_text(WELCOME).wait_for()
    connect(page, "start", "message_1")

    drop(page, "buttons", 360, 290, "buttons_1")
    page.fill("#node-text", ASK)
    page.fill("#node-buttons-0-title", BUTTONS[0])
    for number, title in enumerate(BUTTONS[1:], start=1):
        page.click("#add-button")
        page.locator(f"#node-buttons-{number}-title").wait_for()
        page.fill(f"#node-buttons-{number}-title", title)
    node(page, "buttons_1").get_by_text(BUTTONS[2]).wait_for()
    connect(page, "message_1", "buttons_1")

    drop(page, "question", 680, 300, "question_1")
    page.fill("#node-text", QUESTION)
    page.fill("#node-save-as", "cake_text")
    node(page, "question_1").get_by_text(QUESTION).wait_for()
    for output in (1, 2, 3):
        connect(page, "buttons_1", "question_1", output)
    wait_checked(page)


def test_a_flow_is_built_published_previewed_and_restored(base, browser):
    page = new_page(browser)
    page.set_viewport_size({"width": 1500, "height": 920})
    sign_up(page, base)
    page.goto(f"{base}/app/flows")
    page.fill("#new-name", "Cakes")
    page.select_option("#new-trigger", "manual")
    page.click("button:has-text('Create and edit')")
    node(page, "start").wait_for()

    build_flow(page)
    assert page.locator("#problems").is_hidden()
    assert problems_of(page, "buttons_1") == []

    # A fourth button breaks Meta's limit: the node says so, and saving is refused.
    node(page, "buttons_1").locator(".fe-node-head").click()
    page.click("#add-button")
    page.fill("#node-buttons-3-title", "Custom order")
    node(page, "buttons_1").get_by_text("has 4 buttons").wait_for()
    wait_checked(page)
    assert problems_of(page, "buttons_1") == [
        "The node 'buttons_1' has 4 buttons; it needs 1 to 3.",
        "Button 'button_4' of node 'buttons_1' has no edge.",
    ]
    assert "fe-has-problem" in node(page, "buttons_1").get_attribute("class")
    page.click("#save-button")
    page.get_by_text("Not saved: fix the problems marked in red first.").wait_for()
    shot(page, "flow-editor-problem")

    page.click("[aria-label='Remove button 4']")
    page.locator("#node-buttons-3-title").wait_for(state="detached")
    # A reply id typed anew keeps its button's edge.
    page.fill("#node-buttons-1-id", "hours")
    node(page, "buttons_1").locator(".output_2[data-handle=hours]").wait_for()
    wait_checked(page)
    assert problems_of(page, "buttons_1") == []
    assert page.locator("#problems").is_hidden()
    page.click("#save-button")
    page.get_by_text("Draft saved").wait_for()
    flow_id = page.url.rsplit("/", 1)[1]
    saved = page.request.get(f"{base}/flows/{flow_id}").json()
    assert [e for e in saved["edges"] if e["source"] == "buttons_1"] == [
        {"source": "buttons_1", "source_handle": handle, "target": "question_1"}
        for handle in ("button_1", "hours", "button_3")
    ]

    page.click("#publish-button")
    page.fill("#publish-note", "First cakes")
    page.click("#publish-form button[value=publish]")
    page.get_by_text("Published as version 1").wait_for()
    assert page.inner_text("#flow-status") == "Version 1 runs"

    # The preview runs the saved draft; the node it waits at lights up.
    page.click("#tab-preview")
    page.click("#preview-start")
    chat = page.locator("#preview-panel #chat")
    chat.get_by_text(WELCOME).wait_for()
    chat.get_by_text(ASK).wait_for()
    replies = page.locator("#preview-panel .reply-button")
    assert replies.all_inner_texts() == list(BUTTONS)
    replies.filter(has_text=BUTTONS[0]).click()
    chat.get_by_text(QUESTION).wait_for()
    page.wait_for_selector('.drawflow-node.fe-live[data-node-id="question_1"]')
    shot(page, "flow-editor-preview")

    # A customer on the sandbox writes the keyword and runs version 1.
    phone = page.context.new_page()
    phone.goto(f"{base}/app/sandbox")
    phone.fill("input[name=phone]", "+919800000001")
    phone.click("button:has-text('Open this chat')")
    phone.fill(".composer-input", "hi")
    phone.click(".composer-send")
    phone.locator("#chat").get_by_text(ASK).wait_for()
    phone.locator("button.reply-button", has_text=BUTTONS[0]).last.click()
    phone.locator("#chat").get_by_text(QUESTION).wait_for()
    phone.close()

    # Opening a node's form changes nothing by itself.
    node(page, "message_1").locator(".fe-node-head").click()
    page.locator('#node-form[data-node-id="message_1"]').wait_for()
    wait_checked(page)
    assert page.inner_text("#save-state") == "Published as version 1"
    assert page.is_disabled("#save-button")

    # Version 2: a new welcome and an end after the question.
    page.fill("#node-text", "Hello again!")
    node(page, "message_1").get_by_text("Hello again!").wait_for()
    drop(page, "end", 680, 560, "end_1")
    connect(page, "question_1", "end_1")
    wait_checked(page)
    page.click("#publish-button")
    page.fill("#publish-note", "Friendlier hello")
    page.click("#publish-form button[value=publish]")
    page.get_by_text("Published as version 2").wait_for()

    page.click("#tab-versions")
    versions = page.locator("#versions-panel .fe-version")
    versions.nth(1).wait_for()
    assert versions.locator("strong").all_inner_texts() == ["Version 2", "Version 1"]
    assert versions.locator(".fe-version-note").all_inner_texts() == [
        "Friendlier hello",
        "First cakes",
    ]
    assert versions.nth(0).locator(".badge").inner_text() == "running"
    assert "Kiran" in versions.nth(1).locator(".fe-version-meta").inner_text()
    shot(page, "flow-editor-versions")

    # The drop-off of version 1: the sandbox customer waits at the question.
    page.select_option("#dropoff-version", "1")
    page.get_by_text("Version 1: 1 session, 0 completed").wait_for()
    stats = node(page, "question_1").locator(".fe-node-stats")
    assert stats.locator("[data-stat=reached] b").inner_text() == "1"
    assert stats.locator("[data-stat=waiting] b").inner_text() == "1"
    assert node(page, "message_1").locator("[data-stat=stopped] b").inner_text() == "0"
    assert node(page, "end_1").locator(".fe-node-stats").inner_text() == (
        "Not in version 1"
    )
    shot(page, "flow-editor-dropoff")

    # Restoring version 1 puts its canvas back: no end node, the first welcome.
    versions.nth(1).get_by_role("button", name="Restore as draft").click()
    page.get_by_text("Version 1 is the draft now").wait_for()
    node(page, "end_1").wait_for(state="detached")
    assert node(page, "message_1").locator(".fe-node-text").inner_text() == WELCOME
    assert page.inner_text("#flow-status") == "Version 2 runs · the draft differs"
    page.reload()
    assert node(page, "message_1").locator(".fe-node-text").inner_text() == WELCOME
    assert node(page, "end_1").count() == 0

    # Each node is saved where it was drawn.
    saved = page.request.get(f"{base}/flows/{flow_id}").json()
    drawn = {
        node_id: {
            "x": round(float(style["left"].removesuffix("px"))),
            "y": round(float(style["top"].removesuffix("px"))),
        }
        for node_id, style in page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll(
                ".drawflow-node")].map((n) => [n.dataset.nodeId,
                {left: n.style.left, top: n.style.top}]))"""
        ).items()
    }
    assert {n["id"]: n["position"] for n in saved["nodes"]} == drawn
    assert len(drawn) == 4
