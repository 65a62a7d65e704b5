"""Dashboard pages: logging in and out with the JWT cookie, the sandbox phone, and
the demo org that `make run` seeds."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, signup
from tests.support import run_scheduled
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation, Message
from wfb.demo import seed
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.webhooks.models import WebhookEvent


@pytest.fixture
def demo(app):
    """The demo org, seeded as `make run` seeds it."""
    return seed()


def log_in(client, email, password) -> str:
    """Log the client in to the dashboard; answer the CSRF token of its cookie."""
    response = client.post("/app/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.data
    return client.get_cookie("csrf_access_token").value


def sandbox_number(org_id) -> PhoneNumber:
    return db.session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.org_id == org_id, PhoneNumber.is_sandbox.is_(True)
        )
    )


def write(client, csrf, number_id, **fields):
    """Post what the customer writes or taps, as htmx does."""
    data = {"number": number_id, "name": "Priya Sharma", "phone": "+919876543210"}
    data.update(fields)
    headers = {"HX-Request": "true", "X-CSRF-TOKEN": csrf}
    return client.post("/app/sandbox/messages", data=data, headers=headers)


def chat_texts() -> list[tuple[str, str]]:
    messages = db.session.scalars(select(Message).order_by(Message.id))
    return [(message.direction, message.text) for message in messages]


def last_outbound() -> Message:
    query = select(Message).where(Message.direction == "out")
    return db.session.scalar(query.order_by(Message.id.desc()))


def test_login_page_is_a_form(client):
    response = client.get("/app/login")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<form method="post" action="/app/login"' in html
    assert 'name="password"' in html


def test_login_sets_an_http_only_cookie_and_goes_to_the_sandbox(client, demo):
    response = client.post(
        "/app/login", data={"email": demo["email"], "password": demo["password"]}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/sandbox"
    session = client.get_cookie("access_token_cookie")
    assert session.http_only is True
    assert client.get_cookie("csrf_access_token").http_only is False


def test_wrong_password_shows_the_form_again_with_401(client, demo):
    response = client.post(
        "/app/login", data={"email": demo["email"], "password": "not-it"}
    )

    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Wrong email or password." in html
    assert f'value="{demo["email"]}"' in html
    assert client.get_cookie("access_token_cookie") is None


def test_app_root_redirects_to_the_sandbox(client, demo):
    log_in(client, demo["email"], demo["password"])

    response = client.get("/app/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/app/sandbox"


def test_sandbox_without_a_session_redirects_to_login(client):
    response = client.get("/app/sandbox")

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/login?next=/app/sandbox"


def test_htmx_poll_without_a_session_is_told_to_redirect(client):
    response = client.get("/app/sandbox", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/app/login?next=/app/sandbox"


def test_sandbox_page_renders_csrf_protected_forms_served_locally(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    response = client.get("/app/sandbox")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in html
    assert f'<input type="hidden" name="number" value="{number.id}">' in html
    assert 'hx-post="/app/sandbox/messages"' in html
    assert 'hx-trigger="every 1s' in html
    assert "/static/htmx/htmx.min.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "No messages yet." in html


def test_chat_poll_answers_the_fragment_and_varies_on_hx_request(client, demo):
    log_in(client, demo["email"], demo["password"])

    fragment = client.get("/app/sandbox", headers={"HX-Request": "true"})
    page = client.get("/app/sandbox")

    assert fragment.get_data(as_text=True).startswith('<div id="chat"')
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert "HX-Request" in page.headers["Vary"]


def test_post_without_the_csrf_token_is_refused_and_sends_nothing(client, demo):
    log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    response = client.post(
        "/app/sandbox/messages",
        data={"number": number.id, "text": "hi"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 403
    assert response.headers["HX-Refresh"] == "true"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_post_with_a_wrong_csrf_token_is_refused(client, demo):
    log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    response = write(client, "forged-token", number.id, text="hi")

    assert response.status_code == 403
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_empty_message_answers_422_and_sends_nothing(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    response = write(client, csrf, number.id, text="   ")

    assert response.status_code == 422
    assert "Write a message first." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_customer_runs_the_demo_flow_through_buttons_and_email(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    answer = write(client, csrf, number.id, text="hi")

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Hi Priya Sharma! Welcome to Demo Salon." in html
    for title in ("Book a visit", "Prices", "Talk to us"):
        assert f"<span>{title}</span>" in html
    menu = last_outbound()

    write(
        client,
        csrf,
        number.id,
        kind="button_reply",
        reply_id="book",
        title="Book a visit",
        context=menu.wamid,
    )
    write(client, csrf, number.id, text="priya@gmail.com")

    assert chat_texts()[-5:] == [
        ("out", "What would you like to do?"),
        ("in", "Book a visit"),
        ("out", "What is your email? We will send the confirmation there."),
        ("in", "priya@gmail.com"),
        ("out", "Thanks! A confirmation is on its way to priya@gmail.com."),
    ]
    tap = db.session.scalar(select(Message).where(Message.text == "Book a visit"))
    assert tap.payload["interactive"]["button_reply"] == {
        "id": "book",
        "title": "Book a visit",
    }
    assert tap.context_wamid == menu.wamid


def test_other_email_takes_the_false_branch(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])

    write(client, csrf, number.id, text="hi")
    write(client, csrf, number.id, text="Book a visit")
    write(client, csrf, number.id, text="priya@example.com")

    assert chat_texts()[-1] == (
        "out",
        "Thanks! We will email priya@example.com shortly.",
    )


def test_statuses_reach_the_chat_and_showing_it_marks_messages_read(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])
    write(client, csrf, number.id, text="hi")
    assert {
        m.status for m in db.session.scalars(select(Message)) if m.direction == "out"
    } == {"sent"}

    run_scheduled()
    shown = client.get("/app/sandbox", headers={"HX-Request": "true"})
    again = client.get("/app/sandbox", headers={"HX-Request": "true"})

    assert shown.get_data(as_text=True).count('aria-label="Delivered"') == 2
    assert again.get_data(as_text=True).count('aria-label="Read"') == 2
    outbound = db.session.scalars(select(Message).where(Message.direction == "out"))
    assert {message.status for message in outbound} == {"read"}


def test_logout_clears_the_session_cookies(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])

    response = client.post("/app/logout", data={"csrf_token": csrf})

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/login"
    assert client.get_cookie("access_token_cookie") is None
    assert client.get("/app/sandbox").status_code == 303


def test_logout_without_the_csrf_token_is_refused(client, demo):
    log_in(client, demo["email"], demo["password"])

    response = client.post("/app/logout")

    assert response.status_code == 403
    assert client.get_cookie("access_token_cookie") is not None


def test_another_orgs_user_gets_404_for_the_demo_sandbox_number(client, demo):
    number = sandbox_number(demo["org_id"])
    signup(client, org="Bravo Gym", email="admin@bravo.test")
    csrf = log_in(client, "admin@bravo.test", PASSWORD)

    page = client.get(f"/app/sandbox?number={number.id}")
    sent = write(client, csrf, number.id, text="hi")

    assert page.status_code == 404
    assert sent.status_code == 404
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_org_without_a_sandbox_number_sees_how_to_get_one(client, admin):
    log_in(client, "admin@acme.test", PASSWORD)

    response = client.get("/app/sandbox")

    assert response.status_code == 200
    assert "No sandbox number" in response.get_data(as_text=True)


def test_login_returns_to_the_page_asked_for_but_never_off_site(client, demo):
    login = {"email": demo["email"], "password": demo["password"]}

    back = client.post("/app/login?next=/app/sandbox?number=7", data=login)
    away = client.post("/app/login?next=//evil.example/app", data=login)

    assert back.headers["Location"] == "/app/sandbox?number=7"
    assert away.headers["Location"] == "/app/sandbox"


@pytest.mark.parametrize(
    ("settings_overrides", "renewed"),
    [({"ACCESS_TOKEN_MINUTES": 10}, True), ({"ACCESS_TOKEN_MINUTES": 60}, False)],
)
def test_session_close_to_expiry_gets_a_new_cookie(client, demo, renewed):
    log_in(client, demo["email"], demo["password"])

    response = client.get("/app/sandbox")

    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=") for c in cookies) is renewed


def test_docs_and_dashboard_scripts_are_served_from_static(client):
    docs = client.get("/docs")

    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html
    for path in (
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui-standalone-preset.js",
        "/static/swagger-ui/swagger-ui.css",
        "/static/htmx/htmx.min.js",
        "/static/app.css",
        "/static/app.js",
    ):
        assert client.get(path).status_code == 200, path


LIST_PAYLOAD = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+919876543210",
    "type": "interactive",
    "interactive": {
        "type": "list",
        "body": {"text": "Pick a service"},
        "action": {
            "button": "See services",
            "sections": [
                {
                    "title": "Hair",
                    "rows": [
                        {"id": "svc_cut", "title": "Haircut", "description": "45 min"}
                    ],
                },
                {"title": "Skin", "rows": [{"id": "svc_facial", "title": "Facial"}]},
            ],
        },
    },
}


def business_message(org_id, number, payload, status, **fields) -> Message:
    """An outbound message from `number` to Priya, stored as the outbox stores one."""
    contact = db.session.scalar(
        select(Contact).where(
            Contact.org_id == org_id, Contact.phone == "+919876543210"
        )
    )
    conversation = Conversation(
        org_id=org_id, phone_number_id=number.id, contact_id=contact.id
    )
    db.session.add(conversation)
    db.session.flush()
    message = Message(
        org_id=org_id,
        conversation_id=conversation.id,
        direction="out",
        type=payload["type"],
        text="Pick a service",
        payload=payload,
        status=status,
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_list_message_shows_its_rows_and_a_row_posts_a_list_reply(client, demo):
    csrf = log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])
    menu = business_message(
        demo["org_id"], number, LIST_PAYLOAD, "delivered", wamid="wamid.LIST1"
    )

    html = client.get("/app/sandbox").get_data(as_text=True)
    write(
        client,
        csrf,
        number.id,
        kind="list_reply",
        reply_id="svc_cut",
        title="Haircut",
        description="45 min",
        context=menu.wamid,
    )

    assert "☰ See services" in html
    assert html.count('name="kind" value="list_reply"') == 2
    assert "<span>Haircut</span><small>45 min</small>" in html
    inbound = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert inbound.payload["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "svc_cut", "title": "Haircut", "description": "45 min"},
    }
    assert inbound.payload["context"] == {"from": "15550100", "id": "wamid.LIST1"}


def test_failed_message_shows_its_error_and_is_not_marked_read(client, demo):
    log_in(client, demo["email"], demo["password"])
    number = sandbox_number(demo["org_id"])
    failed = business_message(
        demo["org_id"],
        number,
        LIST_PAYLOAD,
        "failed",
        wamid="wamid.FAILED1",
        error_code=131047,
        error_title="The 24-hour window is closed: send a template instead.",
    )

    html = client.get("/app/sandbox").get_data(as_text=True)

    assert (
        'title="Failed: The 24-hour window is closed: send a template instead."' in html
    )
    db.session.refresh(failed)
    assert failed.status == "failed"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_admin_of_a_new_org_creates_a_sandbox_number_from_the_page(app, admin):
    from tests.pages import page_client
    from wfb.phone_numbers.models import PhoneNumber

    page = page_client(app, "admin@acme.test")
    empty = page.get("/app/sandbox")
    csrf = page.get_cookie("csrf_access_token").value

    response = page.post("/app/sandbox/numbers", data={"csrf_token": csrf})

    assert "Create a sandbox number" in empty.get_data(as_text=True)
    number = db.session.scalar(select(PhoneNumber))
    assert (number.is_sandbox, number.org_id) == (
        True,
        admin.get("/auth/me").json["org_id"],
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/app/sandbox?number={number.id}")


def test_a_login_form_posted_from_another_site_is_refused(client, demo):
    login = {"email": demo["email"], "password": demo["password"]}

    foreign = client.post(
        "/app/login", data=login, headers={"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403
    assert "sent from another site" in foreign.get_data(as_text=True)
    assert client.get_cookie("access_token_cookie") is None

    own = client.post("/app/login", data=login, headers={"Origin": "http://localhost"})
    assert own.status_code == 303
    assert client.get_cookie("access_token_cookie") is not None
