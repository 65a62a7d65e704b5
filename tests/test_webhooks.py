import threading

import pytest
from sqlalchemy import func, select

from tests.support import (
    payload,
    payload_json,
    post_webhook,
    setup_whatsapp,
    text_message,
)
from wfb.conversations.models import Conversation, Message
from wfb.extensions import db
from wfb.webhooks.models import WebhookEvent

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org_a(admin):
    return setup_whatsapp(admin)


@pytest.fixture
def org_b(other_admin):
    return setup_whatsapp(
        other_admin,
        waba_id="100000000000002",
        phone_number_id="200000000000002",
        display="15550004444",
    )


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_verification_answers_the_raw_challenge(client, org_a):
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-100000000000001",
        "hub.challenge": "1158201444",
    }

    response = client.get(org_a.path, query_string=query)

    assert response.status_code == 200
    assert response.data == b"1158201444"
    assert response.mimetype == "text/plain"


def test_verification_with_wrong_token_answers_403(client, org_a):
    query = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}

    assert client.get(org_a.path, query_string=query).status_code == 403
    assert client.get(org_a.path).status_code == 403


def test_global_verification_uses_the_global_token(client):
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "global-verify-token",
        "hub.challenge": "42",
    }

    response = client.get("/webhook", query_string=query)

    assert response.status_code == 200
    assert response.data == b"42"


def test_phone_route_verifies_only_the_orgs_own_number(client, org_a, org_b):
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-100000000000001",
        "hub.challenge": "7",
    }

    own = client.get(f"{org_a.path}/phone/200000000000001", query_string=query)
    other = client.get(f"{org_a.path}/phone/200000000000002", query_string=query)

    assert own.data == b"7"
    assert other.status_code == 403


def test_inbound_text_is_stored_with_contact_and_conversation(client, org_a):
    response = post_webhook(
        client, payload("webhook_text.json"), org_a.secret, org_a.path
    )

    assert response.status_code == 200
    message = db.session.scalar(select(Message))
    assert message.direction == "in"
    assert message.type == "text"
    assert message.text == "Hi, do you have a slot tomorrow at 5pm?"
    assert message.wamid.startswith("wamid.HBgLMTU1NTAwMDIyMjIVAgASGBQzRUIwQTEw")
    conversation = db.session.get(Conversation, message.conversation_id)
    assert conversation.contact.phone == "+15550002222"
    assert conversation.contact.name == "Priya Sharma"
    assert conversation.unread_count == 1
    assert conversation.last_inbound_at.timestamp() == 1788500000
    event = db.session.scalar(select(WebhookEvent))
    assert event.processed_at is not None
    assert event.body == payload("webhook_text.json")


def test_wrong_signature_answers_401_and_stores_nothing(client, org_a):
    response = post_webhook(client, payload("webhook_text.json"), "wrong", org_a.path)
    unsigned = client.post(org_a.path, data=payload("webhook_text.json"))

    assert response.status_code == 401
    assert unsigned.status_code == 401
    assert count(WebhookEvent) == 0
    assert count(Message) == 0


def test_body_that_is_not_json_answers_400(client, org_a):
    response = post_webhook(client, b"{not json", org_a.secret, org_a.path)

    assert response.status_code == 400
    assert response.json["message"] == "The webhook body is not JSON."
    assert count(WebhookEvent) == 0


def test_body_over_three_mebibytes_answers_413(client, org_a):
    body = b"{" + b" " * (3 * 1024 * 1024) + b"}"

    response = post_webhook(client, body, org_a.secret, org_a.path)

    assert response.status_code == 413
    assert count(WebhookEvent) == 0


def test_webhook_for_unknown_org_answers_like_a_forged_one(client, org_a):
    body = payload("webhook_text.json")

    unknown = post_webhook(client, body, org_a.secret, "/webhook/999999")
    other_phone = post_webhook(
        client, body, org_a.secret, f"{org_a.path}/phone/200000000000777"
    )
    query = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}

    assert (unknown.status_code, other_phone.status_code) == (401, 401)
    assert client.get("/webhook/999999", query_string=query).status_code == 403
    assert count(WebhookEvent) == 0


def test_same_message_twice_is_stored_once(client, org_a):
    for _ in range(2):
        body = payload("webhook_text.json")
        assert post_webhook(client, body, org_a.secret, org_a.path).status_code == 200

    assert count(Message) == 1
    assert count(WebhookEvent) == 2
    assert db.session.scalar(select(Conversation.unread_count)) == 1


def test_two_copies_at_once_are_stored_once(app, org_a):
    barrier = threading.Barrier(4)
    statuses = []

    def deliver():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            body = payload("webhook_text.json")
            statuses.append(
                post_webhook(client, body, org_a.secret, org_a.path).status_code
            )

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    db.session.expire_all()
    assert statuses == [200, 200, 200, 200]
    assert count(Message) == 1
    assert count(WebhookEvent, WebhookEvent.processed_at.is_(None)) == 0


def test_global_batch_lands_each_part_in_its_org(client, org_a, org_b):
    body = payload("webhook_multi_entry_batch.json")

    response = post_webhook(client, body, "test_app_secret_0001", "/webhook")

    assert response.status_code == 200
    texts_a = db.session.scalars(
        select(Message.text).where(Message.org_id == org_a.org_id).order_by(Message.id)
    ).all()
    texts_b = db.session.scalars(
        select(Message.text).where(Message.org_id == org_b.org_id)
    ).all()
    assert texts_a == [
        "Also, can I bring a friend?",
        "What are your opening hours on Sunday?",
    ]
    assert texts_b == ["Monthly ₹499"]


def test_org_route_ignores_parts_for_another_orgs_number(client, org_a, org_b):
    body = payload("webhook_multi_entry_batch.json")

    post_webhook(client, body, org_a.secret, org_a.path)

    assert count(Message, Message.org_id == org_a.org_id) == 2
    assert count(Message, Message.org_id == org_b.org_id) == 0


def test_unknown_message_type_is_kept_as_unsupported(client, org_a):
    data = payload_json("webhook_text.json")
    message = data["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(type="poll_update", poll_update={"x": 1})
    del message["text"]

    post_webhook(client, data, org_a.secret, org_a.path)

    stored = db.session.scalar(select(Message))
    assert stored.type == "unsupported"
    assert stored.payload["poll_update"] == {"x": 1}


def test_every_payload_file_is_accepted_and_processed(client, org_a):
    names = [
        "webhook_image.json", "webhook_document.json", "webhook_location.json",
        "webhook_reaction.json", "webhook_contacts.json", "webhook_order.json",
        "webhook_unsupported.json", "webhook_reply_with_context.json",
        "webhook_referral_ctwa.json", "webhook_system_number_change.json",
        "webhook_value_errors.json", "webhook_template_status_update.json",
        "webhook_template_button.json",
    ]  # fmt: skip

    for name in names:
        response = post_webhook(client, payload(name), org_a.secret, org_a.path)
        assert response.status_code == 200, name

    assert count(WebhookEvent, WebhookEvent.error.is_not(None)) == 0
    kinds = set(db.session.scalars(select(Message.type)))
    assert {"image", "document", "location", "reaction", "contacts", "order"} <= kinds
    assert "unsupported" in kinds


def test_suspended_orgs_webhooks_are_acknowledged_and_dropped(client, org_a):
    from wfb.accounts.models import Org

    db.session.get(Org, org_a.org_id).status = "suspended"
    db.session.commit()

    response = post_webhook(
        client, payload("webhook_text.json"), org_a.secret, org_a.path
    )

    assert response.status_code == 200
    assert count(WebhookEvent) == 0


def test_text_with_its_own_wamid_creates_a_second_message(client, org_a):
    post_webhook(client, text_message("one", "wamid.A1"), org_a.secret, org_a.path)
    post_webhook(client, text_message("two", "wamid.A2"), org_a.secret, org_a.path)

    assert count(Message) == 2


def test_deeply_nested_json_answers_400_not_500(client, org_a):
    body = b"[" * 100_000 + b"]" * 100_000

    response = post_webhook(client, body, org_a.secret, org_a.path)

    assert response.status_code == 400
    assert count(WebhookEvent) == 0
