"""The inbox page: the list with unread counts, a conversation's thread, replies
inside the 24-hour window and templates outside it, assignment, hand back, close,
read, and who sees which conversation."""

import re
import time
from datetime import UTC, datetime

import pytest

from tests.conftest import Api
from tests.pages import HTMX, html, page_client, post
from tests.support import post_webhook, setup_whatsapp, text_message
from tests.test_campaigns_api import ORDER_UPDATE
from wfb.accounts.models import User
from wfb.accounts.service import issue_tokens
from wfb.extensions import db
from wfb.live import events
from wfb.message_templates.models import MessageTemplate

pytestmark = pytest.mark.usefixtures("app")
CUSTOMER = "15550002222"
OFFER = [
    {"type": "HEADER", "format": "IMAGE"},
    {"type": "BODY", "text": "Get {{1}} off this week."},
    {
        "type": "BUTTONS",
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop promotions"},
            {"type": "URL", "text": "Book", "url": "https://acme.example/b/{{1}}"},
        ],
    },
]
A_DAY = 24 * 3600


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org(admin):
    return setup_whatsapp(admin)


@pytest.fixture
def admin_page(app, admin):
    return page_client(app, "admin@acme.test")


def write(client, org, text, wamid, wa_id=CUSTOMER, seconds_ago=60, name="Priya"):
    """The customer writes, `seconds_ago` by Meta's timestamp."""
    body = text_message(
        text,
        wamid,
        wa_id=wa_id,
        name=name,
        timestamp=str(int(time.time()) - seconds_ago),
    )
    assert post_webhook(client, body, org.secret, org.path).status_code == 200


def member(app, admin, role: str, name: str):
    """A member of org A with a dashboard session; `.id` and `.api` too."""
    me = admin.get("/auth/me").json
    user = User(
        org_id=me["org_id"], name=name, email=f"{name.lower()}@acme.test", role=role
    )
    user.set_password("correct-horse-battery")
    db.session.add(user)
    db.session.commit()
    page = page_client(app, user.email)
    page.id = user.id
    page.api = Api(admin.client, issue_tokens(user)["access_token"])
    return page


def conversation_id(api, wa_id=CUSTOMER) -> int:
    items = api.get("/conversations").json["items"]
    return next(i["id"] for i in items if i["contact"]["wa_id"] == wa_id)


def add_template(
    org_id,
    name="order_update",
    components=None,
    status="APPROVED",
    parameter_format="POSITIONAL",
):
    """A template as a sync from Meta stores it."""
    template = MessageTemplate(
        org_id=org_id,
        name=name,
        language="en_US",
        category="MARKETING",
        status=status,
        parameter_format=parameter_format,
        components=components or ORDER_UPDATE,
        synced_at=datetime.now(UTC),
    )
    db.session.add(template)
    db.session.commit()
    return template.id


def names(page: str) -> list[str]:
    """The names in the list of conversations, in order."""
    return re.findall(r'<strong class="conversation-name">([^<]+)</strong>', page)


def unread(page: str) -> list[str]:
    return re.findall(r'<span class="unread"[^>]*>(\d+)</span>', page)


def texts(page: str) -> list[str]:
    """The thread's messages, oldest first."""
    return re.findall(r'<p class="message-text">([^<]*)</p>', page)


def assignee(page: str) -> str:
    """The member the assignment select shows; "" for nobody."""
    select = re.search(r'<select id="assignee".*?</select>', page, re.S)[0]
    chosen = re.search(r'<option value="(\d+)" selected>', select)
    return chosen[1] if chosen else ""


# The list and the thread


def test_the_list_shows_each_conversation_with_its_unread_count(
    client, admin_page, org
):
    write(client, org, "hi", "wamid.L1", wa_id="15550001001", name="Asha")
    write(client, org, "one", "wamid.L2", wa_id="15550001002", name="Bala")
    write(client, org, "two", "wamid.L3", wa_id="15550001002", name="Bala")

    response = admin_page.get("/app/inbox")

    page = html(response)
    assert response.status_code == 200
    assert names(page) == ["Bala", "Asha"]
    assert unread(page) == ["2", "1"]
    assert re.findall(r'class="conversation-preview">([^<]*)<', page) == ["two", "hi"]
    assert re.search(r'<a href="/app/inbox"\s+aria-current="page">Inbox</a>', page)
    assert f'data-socket="/ws/{org.org_id}"' in page
    assert '<link rel="stylesheet" href="/static/inbox.css">' in page
    assert '<script src="/static/inbox.js" defer></script>' in page
    assert "Choose a conversation" in page


def test_an_open_conversation_shows_its_messages_oldest_first_with_the_window(
    client, admin_page, admin, org
):
    write(client, org, "hello", "wamid.T1", seconds_ago=120)
    write(client, org, "anyone there?", "wamid.T2", seconds_ago=60)
    opened = conversation_id(admin)

    page = html(admin_page.get(f"/app/inbox/{opened}"))

    assert texts(page) == ["hello", "anyone there?"]
    assert '<p id="window-state" class="window window-open">' in page
    assert "Window open · closes in 23 h</p>" in page
    assert 'id="reply-text"' in page
    assert 'id="reply-template"' not in page
    assert (
        f'id="conversation-{opened}"\n         class="conversation conversation-open'
        in (page)
    )
    assert 'data-unread="2"' in page


def test_a_customers_markup_shows_as_text(client, admin_page, admin, org):
    write(client, org, "<script>alert(1)</script>", "wamid.X1", name="<b>Eve</b>")

    listed = html(admin_page.get("/app/inbox"))
    opened = html(admin_page.get(f"/app/inbox/{conversation_id(admin)}"))

    assert "<script>alert(1)</script>" not in listed + opened
    assert "<b>Eve</b>" not in listed + opened
    assert texts(opened) == ["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert names(listed) == ["&lt;b&gt;Eve&lt;/b&gt;"]


def test_opening_a_conversation_does_not_mark_it_read(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.G1")

    admin_page.get(f"/app/inbox/{conversation_id(admin)}")

    assert admin.get("/conversations").json["items"][0]["unread_count"] == 1


def test_the_list_fragment_marks_the_open_conversation(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.F1")
    opened = conversation_id(admin)

    response = admin_page.get(f"/app/inbox/list?open={opened}&show=unread")

    page = html(response)
    assert page.startswith('<div id="conversation-list"')
    assert f'data-url="/app/inbox/list?open={opened}&amp;show=unread"' in page
    assert 'aria-current="true"' in page
    assert f'href="/app/inbox/{opened}?show=unread"' in page


def test_the_thread_fragment_carries_the_head_out_of_band(
    client, admin_page, admin, org
):
    write(client, org, "hello", "wamid.F2")
    opened = conversation_id(admin)

    page = html(admin_page.get(f"/app/inbox/{opened}/thread", headers=HTMX))

    assert page.startswith(
        f'<div id="messages" class="messages" data-url="/app/inbox/{opened}/thread">'
    )
    assert '<div id="thread-head" class="thread-head"' in page
    assert ' hx-swap-oob="true">' in page
    assert texts(page) == ["hello"]


def test_earlier_messages_load_fifty_at_a_time(client, admin_page, admin, org):
    for n in range(55):
        write(client, org, f"message {n}", f"wamid.E{n}")
    opened = conversation_id(admin)

    first = html(admin_page.get(f"/app/inbox/{opened}"))
    more = html(admin_page.get(f"/app/inbox/{opened}/thread?limit=100"))
    capped = admin_page.get(f"/app/inbox/{opened}/thread?limit=99999999999")

    assert texts(first) == [f"message {n}" for n in range(5, 55)]
    assert f'hx-get="/app/inbox/{opened}/thread?limit=100"' in first
    assert texts(more) == [f"message {n}" for n in range(55)]
    assert "Show earlier messages" not in more
    assert f'data-url="/app/inbox/{opened}/thread?limit=100"' in more
    assert capped.status_code == 200
    assert len(texts(html(capped))) == 55


def test_filters_and_search_narrow_the_list(client, admin_page, admin, org):
    write(client, org, "hi", "wamid.Q1", wa_id="15550001001", name="Asha")
    write(client, org, "hi", "wamid.Q2", wa_id="15550001002", name="Bala")
    write(client, org, "hi", "wamid.Q3", wa_id="15550001003", name="Chitra")
    me = admin.get("/auth/me").json["id"]
    admin.post("/conversations/15550001002/assign", json={"user_id": me})
    admin.post("/conversations/15550001003/read")
    admin.post("/conversations/15550001001/close")

    def listed(query):
        return sorted(names(html(admin_page.get(f"/app/inbox?{query}"))))

    assert listed("") == ["Asha", "Bala", "Chitra"]
    assert listed("show=unread") == ["Asha", "Bala"]
    assert listed("show=mine") == ["Bala"]
    assert listed("show=unassigned") == ["Asha", "Chitra"]
    assert listed("show=open") == ["Bala", "Chitra"]
    assert listed("show=closed") == ["Asha"]
    assert listed("q=cHIt") == ["Chitra"]
    assert listed("q=1001") == ["Asha"]
    assert "No conversation matches." in html(admin_page.get("/app/inbox?q=zed"))


def test_malformed_list_arguments_fall_back_to_the_whole_list(client, admin_page, org):
    write(client, org, "hi", "wamid.M1")

    response = admin_page.get("/app/inbox?show=everything&page=-3&number=abc&q=")

    assert response.status_code == 200
    assert names(html(response)) == ["Priya"]
    assert (
        html(admin_page.get("/app/inbox?page=99999999999")).count("conversation-name")
        == 0
    )


def test_a_new_org_without_numbers_is_told_where_to_add_one(admin_page):
    page = html(admin_page.get("/app/inbox"))

    assert "No WhatsApp number yet" in page
    assert 'href="/app/phone-numbers"' in page
    assert 'id="no-conversations"' in page


# Replies


def test_a_reply_is_sent_and_answers_a_fresh_box_with_the_thread(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.R1")
    opened = conversation_id(admin)

    response = post(
        admin_page,
        f"/app/inbox/{opened}/reply",
        HTMX,
        text="  Hi Priya!\nHow can we help?  ",
    )

    page = html(response)
    assert response.status_code == 200, page
    [sent] = graph.sent()
    assert sent["to"] == "+" + CUSTOMER
    assert sent["text"]["body"] == "Hi Priya!\nHow can we help?"
    assert page.startswith('<div id="composer"')
    assert "></textarea>" in page
    assert texts(page) == ["hello", "Hi Priya!\nHow can we help?"]
    assert "<span>Asha Admin</span>" in page
    assert '<span class="ticks" title="Sent">✓</span>' in page
    assert 'data-unread="0"' in page
    history = admin.get(f"/conversations/{CUSTOMER}/messages").json["items"]
    assert history[0]["sent_by"]["name"] == "Asha Admin"


def test_a_reply_from_a_plain_form_goes_back_to_the_conversation(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.R2")
    opened = conversation_id(admin)

    response = post(admin_page, f"/app/inbox/{opened}/reply", text="Hi!")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/inbox/{opened}"
    assert len(graph.sent()) == 1


def test_a_reply_is_an_event_for_the_orgs_other_pages(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.R3")
    opened = conversation_id(admin)

    with events.broker().subscribe(org.org_id) as subscription:
        post(admin_page, f"/app/inbox/{opened}/reply", HTMX, text="Hi!")
        kinds = []
        while (event := subscription.get(0.2)) is not None:
            kinds.append(
                (event.type, event.data.get("conversation_id", event.data.get("id")))
            )

    assert ("message.created", opened) in kinds
    assert ("conversation.updated", opened) in kinds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write a message first."),
        ("x" * 4097, "A message holds at most 4096 characters."),
    ],
)
def test_an_empty_or_too_long_reply_is_refused_and_nothing_sent(
    client, admin_page, admin, org, graph, text, message
):
    write(client, org, "hello", "wamid.R4")
    opened = conversation_id(admin)

    response = post(admin_page, f"/app/inbox/{opened}/reply", HTMX, text=text)

    assert response.status_code == 422
    assert (
        f'<p class="alert alert-error" role="alert" id="composer-error">{message}</p>'
        in html(response)
    )
    assert graph.messages() == []


def test_a_reply_without_the_csrf_token_is_refused(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.R5")
    opened = conversation_id(admin)

    response = admin_page.post(f"/app/inbox/{opened}/reply", data={"text": "Hi"})

    assert response.status_code == 403
    assert graph.messages() == []


# The 24-hour window and templates


def test_a_closed_window_offers_only_approved_templates(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.W1", seconds_ago=A_DAY + 60)
    add_template(org.org_id, "order_update")
    add_template(org.org_id, "awaiting_review", status="PENDING")
    gone = add_template(org.org_id, "retired")
    db.session.get(MessageTemplate, gone).gone = True
    db.session.commit()
    opened = conversation_id(admin)

    page = html(admin_page.get(f"/app/inbox/{opened}"))

    assert "Window closed — send a template</p>" in page
    assert 'data-window="closed"' in page
    assert 'id="reply-text"' not in page
    picker = re.search(r'<select id="reply-template".*?</select>', page, re.S)[0]
    options = re.findall(r'<option value="\d+" >([^<]+)</option>', picker)
    assert options == ["order_update · en_US"]


def test_a_free_form_reply_after_the_window_closed_switches_to_the_picker(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W2", seconds_ago=A_DAY + 60)
    add_template(org.org_id)
    opened = conversation_id(admin)

    response = post(admin_page, f"/app/inbox/{opened}/reply", HTMX, text="Hi!")

    page = html(response)
    assert response.status_code == 422
    assert "The 24-hour window is closed: send a template instead." in page
    assert 'id="reply-template"' in page
    assert "Window closed — send a template</p>" in page
    assert graph.messages() == []


def test_choosing_a_template_asks_for_its_values(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.W3", seconds_ago=A_DAY + 60)
    chosen = add_template(org.org_id)
    opened = conversation_id(admin)

    page = html(
        admin_page.get(f"/app/inbox/{opened}/composer?template={chosen}", headers=HTMX)
    )

    assert page.startswith('<div id="composer"')
    assert f'<option value="{chosen}" selected>order_update · en_US</option>' in page
    assert "Hi {{1}}, your order {{2}} has shipped." in page
    labels = re.findall(r'<label for="template-(\w+)">([^\n<]+)', page)
    assert labels == [("parameter_0", "Body {{1}}"), ("parameter_1", "Body {{2}}")]
    assert (
        '<div id="thread-head" class="thread-head"\n     data-window="closed"' in page
    )


def test_a_template_reply_is_sent_with_its_values_filled(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W4", seconds_ago=A_DAY + 60)
    chosen = add_template(org.org_id)
    opened = conversation_id(admin)

    response = post(
        admin_page,
        f"/app/inbox/{opened}/reply",
        HTMX,
        template=str(chosen),
        parameter_0="{{contact.name}}",
        parameter_1="A-1001",
    )

    assert response.status_code == 200, html(response)
    assert texts(html(response)) == [
        "hello",
        "Hi Priya, your order A-1001 has shipped.",
    ]
    [sent] = graph.sent()
    assert sent["template"] == {
        "name": "order_update",
        "language": {"code": "en_US", "policy": "deterministic"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Priya"},
                    {"type": "text", "text": "A-1001"},
                ],
            }
        ],
    }


def test_a_template_value_left_empty_is_named_and_nothing_sent(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W5", seconds_ago=A_DAY + 60)
    chosen = add_template(org.org_id)
    opened = conversation_id(admin)

    response = post(
        admin_page,
        f"/app/inbox/{opened}/reply",
        HTMX,
        template=str(chosen),
        parameter_0="Priya",
        parameter_1=" ",
    )

    page = html(response)
    assert response.status_code == 422
    assert (
        'id="template-parameter_1-error" class="field-error">The value is empty.</span>'
        in page
    )
    assert 'value="Priya"' in page
    assert 'id="composer-error"' not in page
    assert graph.messages() == []


def test_a_template_with_a_media_header_and_a_url_button_asks_for_both(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W6", seconds_ago=A_DAY + 60)
    chosen = add_template(org.org_id, "offer", OFFER)
    opened = conversation_id(admin)
    composer = html(admin_page.get(f"/app/inbox/{opened}/composer?template={chosen}"))

    response = post(
        admin_page,
        f"/app/inbox/{opened}/reply",
        HTMX,
        template=str(chosen),
        header_link="https://acme.example/diwali.jpg",
        parameter_0="20%",
        button_0="diwali",
    )

    labels = re.findall(r'<label for="template-(\w+)">([^\n<]+)', composer)
    assert labels == [
        ("header_link", "Header image link"),
        ("parameter_0", "Body {{1}}"),
        ("button_0", "Link of “Book”"),
    ]
    assert response.status_code == 200, html(response)
    [sent] = graph.sent()
    assert sent["template"]["components"] == [
        {
            "type": "header",
            "parameters": [
                {"type": "image", "image": {"link": "https://acme.example/diwali.jpg"}}
            ],
        },
        {"type": "body", "parameters": [{"type": "text", "text": "20%"}]},
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "diwali"}],
        },
    ]


def test_a_template_with_named_variables_is_sent_with_their_names(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W9", seconds_ago=A_DAY + 60)
    body = [{"type": "BODY", "text": "Hi {{first_name}}, see you at {{time}}."}]
    chosen = add_template(org.org_id, "visit", body, parameter_format="NAMED")
    opened = conversation_id(admin)
    composer = html(admin_page.get(f"/app/inbox/{opened}/composer?template={chosen}"))

    response = post(
        admin_page,
        f"/app/inbox/{opened}/reply",
        HTMX,
        template=str(chosen),
        parameter_0="Priya",
        parameter_1="5 PM",
    )

    labels = re.findall(r'<label for="template-(\w+)">([^\n<]+)', composer)
    assert labels == [
        ("parameter_0", "Body {{first_name}}"),
        ("parameter_1", "Body {{time}}"),
    ]
    assert response.status_code == 200, html(response)
    assert texts(html(response))[-1] == "Hi Priya, see you at 5 PM."
    [sent] = graph.sent()
    assert sent["template"]["components"][0]["parameters"] == [
        {"type": "text", "parameter_name": "first_name", "text": "Priya"},
        {"type": "text", "parameter_name": "time", "text": "5 PM"},
    ]


def test_a_template_that_is_not_approved_is_refused(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.W7", seconds_ago=A_DAY + 60)
    add_template(org.org_id)
    pending = add_template(org.org_id, "awaiting_review", status="PENDING")
    opened = conversation_id(admin)

    response = post(
        admin_page, f"/app/inbox/{opened}/reply", HTMX, template=str(pending)
    )

    assert response.status_code == 422
    assert (
        'id="reply-template-error" class="field-error">Choose an approved template.'
        in html(response)
    )
    assert graph.messages() == []


def test_without_approved_templates_the_picker_says_where_to_get_them(
    client, admin_page, admin, org
):
    write(client, org, "hello", "wamid.W8", seconds_ago=A_DAY + 60)

    page = html(admin_page.get(f"/app/inbox/{conversation_id(admin)}"))

    assert 'id="no-templates"' in page
    assert 'href="/app/templates"' in page


# Assignment, hand back, close and read


def test_assigning_a_member_shows_them_and_hand_back_clears_it(
    app, client, admin_page, admin, org
):
    write(client, org, "hello", "wamid.A1")
    sales = member(app, admin, "sales", "Sam")
    opened = conversation_id(admin)

    assigned = post(
        admin_page, f"/app/inbox/{opened}/assign", HTMX, user_id=str(sales.id)
    )
    listed = html(admin_page.get("/app/inbox"))
    handed_back = post(admin_page, f"/app/inbox/{opened}/hand-back", HTMX)

    assert assigned.status_code == 200
    assert html(assigned).startswith('<div id="thread-head"')
    assert assignee(html(assigned)) == str(sales.id)
    assert "automation paused" in html(assigned)
    assert '<span class="badge">Sam</span>' in listed
    assert handed_back.status_code == 200
    assert assignee(html(handed_back)) == ""
    body = admin.get("/conversations").json["items"][0]
    assert (body["assigned_user"], body["handed_off"]) == (None, False)


def test_assigning_without_htmx_goes_back_to_the_conversation(
    app, client, admin_page, admin, org
):
    write(client, org, "hello", "wamid.A2")
    opened = conversation_id(admin)
    me = admin.get("/auth/me").json["id"]

    response = post(admin_page, f"/app/inbox/{opened}/assign", user_id=str(me))

    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/inbox/{opened}"
    assert admin.get("/conversations").json["items"][0]["assigned_user"]["id"] == me


@pytest.mark.parametrize(
    "user_id", ["999999", "abc", "-1", "²", "12345678901234567890"]
)
def test_assigning_to_no_member_of_the_org_is_refused(
    client, admin_page, admin, other_admin, org, user_id
):
    write(client, org, "hello", "wamid.A3")
    opened = conversation_id(admin)
    stranger = str(other_admin.get("/auth/me").json["id"])

    for chosen in (user_id, stranger):
        response = post(admin_page, f"/app/inbox/{opened}/assign", HTMX, user_id=chosen)
        assert response.status_code == 422
        assert "Choose a member of your organization." in html(response)
    assert admin.get("/conversations").json["items"][0]["assigned_user"] is None


def test_closing_shows_the_conversation_closed(client, admin_page, admin, org):
    write(client, org, "hello", "wamid.C1")
    opened = conversation_id(admin)

    response = post(admin_page, f"/app/inbox/{opened}/close", HTMX)

    assert '<span class="badge" id="closed-badge">Closed</span>' in html(response)
    assert names(html(admin_page.get("/app/inbox?show=closed"))) == ["Priya"]
    assert names(html(admin_page.get("/app/inbox?show=open"))) == []


def test_marking_read_clears_the_count_and_tells_meta(
    client, admin_page, admin, org, graph
):
    write(client, org, "hello", "wamid.D1")
    write(client, org, "again", "wamid.D2")
    opened = conversation_id(admin)

    response = post(admin_page, f"/app/inbox/{opened}/read", HTMX)

    assert response.status_code == 200
    assert 'data-unread="0"' in html(response)
    assert "Mark read" not in html(response)
    assert unread(html(admin_page.get("/app/inbox"))) == []
    reads = [r.body for r in graph.requests if (r.body or {}).get("status") == "read"]
    assert reads == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.D2"}
    ]


# Who sees what


def test_every_role_has_the_inbox_in_the_nav(app, admin, admin_page):
    for role in ("marketing", "sales"):
        page = member(app, admin, role, role.title())
        response = page.get("/app/inbox")
        assert response.status_code == 200
        assert re.search(r'<a href="/app/inbox"\s+aria-current', html(response))
    assert admin_page.get("/app/inbox").status_code == 200


def test_sales_see_only_the_conversations_assigned_to_them(
    app, client, admin, org, graph
):
    write(client, org, "hi", "wamid.S1", wa_id="15550001001", name="Asha")
    write(client, org, "hi", "wamid.S2", wa_id="15550001002", name="Bala")
    sales = member(app, admin, "sales", "Sam")
    theirs = conversation_id(admin, "15550001002")
    others = conversation_id(admin, "15550001001")
    admin.post("/conversations/15550001002/assign", json={"user_id": sales.id})

    listed = html(sales.get("/app/inbox"))

    assert names(listed) == ["Bala"]
    assert sales.get(f"/app/inbox/{theirs}").status_code == 200
    assert sales.get(f"/app/inbox/{others}").status_code == 404
    assert post(sales, f"/app/inbox/{others}/reply", text="mine now").status_code == 404
    assert (
        post(sales, f"/app/inbox/{others}/assign", user_id=str(sales.id)).status_code
        == 404
    )
    assert graph.messages() == []


def test_a_live_page_of_a_conversation_taken_away_goes_back_to_the_inbox(
    app, client, admin, org
):
    write(client, org, "hi", "wamid.S3")
    sales = member(app, admin, "sales", "Sam")
    opened = conversation_id(admin)
    admin.post(f"/conversations/{CUSTOMER}/assign", json={"user_id": sales.id})
    admin.post(f"/conversations/{CUSTOMER}/assign", json={"user_id": None})

    response = sales.get(f"/app/inbox/{opened}/thread", headers=HTMX)

    assert response.status_code == 404
    assert response.headers["HX-Redirect"] == "/app/inbox"
    assert "That conversation is not in your inbox any more." in html(
        sales.get("/app/inbox")
    )


def test_a_salesperson_who_gives_a_conversation_away_goes_back_to_the_inbox(
    app, client, admin, org
):
    write(client, org, "hi", "wamid.S4")
    sales = member(app, admin, "sales", "Sam")
    opened = conversation_id(admin)
    admin.post(f"/conversations/{CUSTOMER}/assign", json={"user_id": sales.id})
    me = admin.get("/auth/me").json["id"]

    response = post(sales, f"/app/inbox/{opened}/assign", HTMX, user_id=str(me))

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/app/inbox"
    assert names(html(sales.get("/app/inbox"))) == []


def test_another_org_gets_404_for_every_inbox_address(
    app, client, admin, other_admin, org, graph
):
    write(client, org, "hi", "wamid.O1")
    opened = conversation_id(admin)
    stranger = page_client(app, "admin@bravo.test")

    gets = ["", "/thread", "/composer"]
    posts = ["/reply", "/assign", "/hand-back", "/close", "/read"]
    answers = [stranger.get(f"/app/inbox/{opened}{path}").status_code for path in gets]
    answers += [
        post(stranger, f"/app/inbox/{opened}{path}", text="x", user_id="").status_code
        for path in posts
    ]

    assert answers == [404] * 8
    assert names(html(stranger.get("/app/inbox"))) == []
    assert graph.messages() == []
    body = admin.get("/conversations").json["items"][0]
    assert (body["status"], body["unread_count"]) == ("open", 1)


def test_a_visitor_without_a_session_is_sent_to_log_in(client):
    response = client.get("/app/inbox")

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/login?next=/app/inbox"
