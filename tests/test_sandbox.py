"""The sandbox: Meta's send endpoint stand-in, its in-process session, and the
customer's signed webhooks."""

import json
import re
import threading
from types import SimpleNamespace

import gevent
import pytest
from flask import has_app_context
from sqlalchemy import select

from tests.conftest import APP_SECRET, make_settings
from tests.support import payload_json, run_scheduled
from wfb import create_app
from wfb.conversations.models import Message
from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.sandbox import webhooks
from wfb.sandbox.transport import GRAPH_BASE_URL, INTERNAL, sandbox_session
from wfb.webhooks.models import WebhookEvent
from wfb.webhooks.signature import sign

WABA_ID = "100000000000001"
PHONE_NUMBER_ID = "200000000000001"
WAMID = re.compile(r"^wamid\.[A-Za-z0-9_-]{40}$")
BEARER = {"Authorization": "Bearer sandbox"}


@pytest.fixture
def client(app):
    """A client whose calls come in as the in-process sandbox transport's do."""
    client = app.test_client()
    client.environ_base[INTERNAL] = True
    return client


@pytest.fixture
def sandbox(admin):
    """Org A with WhatsApp credentials and one sandbox number."""
    org_id = admin.get("/auth/me").json["org_id"]
    account = WhatsAppAccount(org_id=org_id, waba_id=WABA_ID, app_id="300000000000001")
    account.set_secrets("sandbox-access-token", APP_SECRET, "sandbox-verify-token")
    number = PhoneNumber(
        org_id=org_id,
        phone_number_id=PHONE_NUMBER_ID,
        display_phone_number="+1 555 000 1111",
        label="Sandbox",
        is_sandbox=True,
    )
    db.session.add_all([account, number])
    db.session.commit()
    return SimpleNamespace(org_id=org_id, number=number)


def send_url(phone_number_id=PHONE_NUMBER_ID) -> str:
    return f"/sandbox/graph/v25.0/{phone_number_id}/messages"


def text_body(body="Your booking is confirmed", to="+919876543210") -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def buttons_body(count: int) -> dict:
    buttons = [
        {"type": "reply", "reply": {"id": f"b{i}", "title": f"Option {i}"}}
        for i in range(count)
    ]
    return {
        "messaging_product": "whatsapp",
        "to": "+919876543210",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick one"},
            "action": {"buttons": buttons},
        },
    }


def list_body(rows: int) -> dict:
    section = {
        "title": "Hair",
        "rows": [{"id": f"r{i}", "title": f"Row {i}"} for i in range(rows)],
    }
    return {
        "messaging_product": "whatsapp",
        "to": "+919876543210",
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pick a service"},
            "action": {"button": "See services", "sections": [section]},
        },
    }


def error_of(response) -> dict:
    error = dict(response.json["error"])
    assert error.pop("fbtrace_id").startswith("A")
    return error


def shape(value):
    """The keys of a JSON value, in order, with every leaf replaced by its type."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def stored_bodies() -> list[dict]:
    events = db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))
    return [json.loads(event.body) for event in events]


def test_send_answers_like_meta_with_a_fresh_wamid(client, sandbox):
    first = client.post(send_url(), json=text_body(), headers=BEARER)
    second = client.post(send_url(), json=text_body(), headers=BEARER)

    assert first.status_code == 200
    wamid = first.json["messages"][0]["id"]
    assert first.json == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+919876543210", "wa_id": "919876543210"}],
        "messages": [{"id": wamid}],
    }
    assert WAMID.match(wamid)
    assert second.json["messages"][0]["id"] != wamid


def test_fourth_button_answers_400_with_metas_invalid_parameter_error(client, sandbox):
    response = client.post(send_url(), json=buttons_body(4), headers=BEARER)

    assert response.status_code == 400
    assert error_of(response) == {
        "message": "(#131009) Parameter value is not valid",
        "type": "OAuthException",
        "code": 131009,
        "error_data": {
            "messaging_product": "whatsapp",
            "details": "Invalid buttons count. Min allowed buttons: 1, "
            "Max allowed buttons: 3",
        },
    }


def test_button_title_over_20_characters_answers_131009(client, sandbox):
    body = buttons_body(1)
    body["interactive"]["action"]["buttons"][0]["reply"]["title"] = "x" * 21

    response = client.post(send_url(), json=body, headers=BEARER)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 131009
    assert response.json["error"]["error_data"]["details"] == (
        "Button title length invalid. Min length: 1, Max length: 20"
    )


def test_eleven_list_rows_answer_131009(client, sandbox):
    ten = client.post(send_url(), json=list_body(10), headers=BEARER)
    eleven = client.post(send_url(), json=list_body(11), headers=BEARER)

    assert ten.status_code == 200
    assert eleven.status_code == 400
    assert eleven.json["error"]["error_data"]["details"] == (
        "Total row count exceed max allowed count: 10"
    )


def test_text_over_4096_characters_answers_code_100(client, sandbox):
    response = client.post(send_url(), json=text_body("x" * 4097), headers=BEARER)

    assert response.status_code == 400
    assert error_of(response) == {
        "message": "(#100) Param text['body'] must be at most 4096 characters long.",
        "type": "OAuthException",
        "code": 100,
    }


def test_unknown_message_type_answers_code_100(client, sandbox):
    body = {"messaging_product": "whatsapp", "to": "+919876543210", "type": "poll"}

    response = client.post(send_url(), json=body, headers=BEARER)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
    assert response.json["error"]["message"].startswith("(#100) Param type must be")


def test_missing_bearer_answers_401_with_code_190(client, sandbox):
    response = client.post(send_url(), json=text_body())

    assert response.status_code == 401
    assert error_of(response) == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
    }
    assert response.headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform"')


@pytest.mark.parametrize("phone_number_id", ["999999999999999", "200000000000777"])
def test_unknown_or_real_number_answers_400_with_code_100(
    client, sandbox, phone_number_id
):
    real = PhoneNumber(
        org_id=sandbox.org_id,
        phone_number_id="200000000000777",
        display_phone_number="+15550007777",
        is_sandbox=False,
    )
    db.session.add(real)
    db.session.commit()

    response = client.post(send_url(phone_number_id), json=text_body(), headers=BEARER)

    assert response.status_code == 400
    assert error_of(response) == {
        "message": f"Unsupported post request. Object with ID '{phone_number_id}' "
        "does not exist, cannot be loaded due to missing permissions, or does not "
        "support this operation.",
        "type": "OAuthException",
        "code": 100,
        "error_subcode": 33,
    }


def test_mark_read_answers_success_and_schedules_nothing(client, sandbox):
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.HBgLMTU1NTAwMDIyMjIVAgASGBQzRUIwQTEwMDAwMDEwMDAwMDAwMAA=",
        "typing_indicator": {"type": "text"},
    }

    response = client.post(send_url(), json=body, headers=BEARER)

    assert response.status_code == 200
    assert response.json == {"success": True}
    assert run_scheduled() == 0


def test_sandbox_session_serves_the_graph_api_in_process(sandbox):
    url = f"{GRAPH_BASE_URL}/v25.0/{PHONE_NUMBER_ID}/messages"

    with sandbox_session() as session:
        response = session.post(url, json=text_body(), headers=BEARER)
        refused = session.post(url, json=buttons_body(4), headers=BEARER)

    assert response.status_code == 200
    assert response.url == url
    assert response.request.method == "POST"
    assert response.headers["Content-Type"] == "application/json"
    assert WAMID.match(response.json()["messages"][0]["id"])
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 131009


def test_sandbox_session_refuses_paths_it_does_not_serve(sandbox):
    with sandbox_session() as session, pytest.raises(Exception) as raised:
        session.get("http://sandbox.wfb.internal/admin")

    assert "no route for /admin" in str(raised.value)


@pytest.mark.parametrize("runner", ["thread", "greenlet"])
def test_sandbox_session_works_outside_the_app_context(sandbox, runner):
    session = sandbox_session()
    url = f"{GRAPH_BASE_URL}/v25.0/{PHONE_NUMBER_ID}/messages"
    seen = {}

    def call():
        seen["context"] = has_app_context()
        seen["status"] = session.post(url, json=text_body(), headers=BEARER).status_code

    if runner == "thread":
        thread = threading.Thread(target=call)
        thread.start()
        thread.join(10)
    else:
        gevent.spawn(call).join(10)

    assert seen == {"context": False, "status": 200}


def test_send_posts_signed_sent_then_delivered_webhooks(client, sandbox):
    response = client.post(send_url(), json=text_body(), headers=BEARER)
    wamid = response.json["messages"][0]["id"]

    assert stored_bodies() == []
    assert run_scheduled() == 1

    bodies = stored_bodies()
    statuses = [body["entry"][0]["changes"][0]["value"]["statuses"] for body in bodies]
    assert [s[0]["status"] for s in statuses] == ["sent", "delivered"]
    delivered = bodies[1]
    assert delivered["entry"][0]["id"] == WABA_ID
    assert delivered["entry"][0]["changes"][0]["value"]["metadata"] == {
        "display_phone_number": "15550001111",
        "phone_number_id": PHONE_NUMBER_ID,
    }
    status = statuses[1][0]
    assert (status["id"], status["recipient_id"]) == (wamid, "919876543210")
    assert status["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }
    assert shape(delivered) == shape(payload_json("webhook_status_delivered.json"))


def test_inbound_text_is_metas_shape_and_signed_over_its_exact_bytes(sandbox):
    body = webhooks.inbound_body(
        db.session.scalar(select(WhatsAppAccount)),
        sandbox.number,
        "15550002222",
        "Priya Sharma",
        webhooks.text("Hi, do you have a slot tomorrow at 5pm?"),
    )
    raw = json.dumps(body, separators=(",", ":")).encode()

    assert shape(body) == shape(payload_json("webhook_text.json"))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    assert WAMID.match(message["id"])
    assert message["timestamp"].isdigit()
    assert webhooks.sign(APP_SECRET, raw) == sign(raw, APP_SECRET)


def test_button_and_list_replies_have_metas_shape(sandbox):
    account = db.session.scalar(select(WhatsAppAccount))
    context = webhooks.reply_context(sandbox.number, "wamid.ABC")
    button = webhooks.button_reply("confirm_booking_42", "Confirm", context)
    choice = webhooks.list_reply("svc_haircut", "Haircut (women)", "45 min", context)

    button_body = webhooks.inbound_body(
        account, sandbox.number, "15550002222", "Priya", button
    )
    list_body_ = webhooks.inbound_body(
        account, sandbox.number, "15550003333", "Rahul", choice
    )

    assert shape(button_body) == shape(payload_json("webhook_button_reply.json"))
    assert shape(list_body_) == shape(payload_json("webhook_list_reply.json"))
    message = button_body["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["context"] == {"from": "15550001111", "id": "wamid.ABC"}


def test_post_inbound_reaches_the_webhook_route_and_is_stored(sandbox):
    code = webhooks.post_inbound(
        sandbox.number, "919876543210", "Priya Sharma", webhooks.text("hello there")
    )

    assert code == 200
    [body] = stored_bodies()
    assert body["entry"][0]["changes"][0]["value"]["contacts"] == [
        {"profile": {"name": "Priya Sharma"}, "wa_id": "919876543210"}
    ]
    message = db.session.scalar(select(Message).where(Message.direction == "in"))
    assert (message.text, message.type) == ("hello there", "text")


def test_post_inbound_with_a_changed_secret_is_refused(sandbox):
    account = db.session.scalar(select(WhatsAppAccount))
    refused = webhooks.inbound_body(
        account, sandbox.number, "919876543210", "Priya", webhooks.text("hi")
    )
    raw = json.dumps(refused).encode()
    headers = {
        "X-Hub-Signature-256": webhooks.sign("not-the-app-secret", raw),
        "Content-Type": "application/json",
    }

    with sandbox_session() as session:
        response = session.post(
            f"http://sandbox.wfb.internal/webhook/{sandbox.org_id}",
            data=raw,
            headers=headers,
        )

    assert response.status_code == 401
    assert stored_bodies() == []


def test_graph_route_is_absent_when_the_sandbox_is_off(tmp_path, migrated_url):
    settings = make_settings(tmp_path, DATABASE_URL=migrated_url, WFB_SANDBOX=False)
    app = create_app(settings)

    response = app.test_client().post(send_url(), json=text_body(), headers=BEARER)

    assert response.status_code == 404


def test_calls_other_than_sending_answer_metas_unsupported_error(client, sandbox):
    response = client.get(f"/sandbox/graph/v25.0/{PHONE_NUMBER_ID}", headers=BEARER)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
    assert response.json["error"]["message"].startswith("Unsupported get request.")


def test_sandbox_graph_api_is_not_reachable_over_the_network(app, sandbox):
    outside = app.test_client()

    response = outside.post(send_url(), json=text_body(), headers=BEARER)

    assert response.status_code == 404
