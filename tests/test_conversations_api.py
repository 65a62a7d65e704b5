"""/conversations: the shared inbox, the 24-hour window, assignment, who sees what."""

import time

import pytest

from tests.conftest import Api
from tests.support import post_webhook, setup_whatsapp, text_message
from wfb.accounts.models import User
from wfb.accounts.service import issue_tokens
from wfb.extensions import db
from wfb.live import events

pytestmark = pytest.mark.usefixtures("app")
CUSTOMER = "15550002222"


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def org(admin):
    return setup_whatsapp(admin)


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


def member(client, api, role: str, name: str) -> Api:
    me = api.get("/auth/me").json
    user = User(
        org_id=me["org_id"], name=name, email=f"{name.lower()}@acme.test", role=role
    )
    user.set_password("correct-horse-battery")
    db.session.add(user)
    db.session.commit()
    api = Api(client, issue_tokens(user)["access_token"])
    api.id = user.id
    return api


def reply(api, org, text="Hello!", to=CUSTOMER):
    body = {"phone_number_id": org.number["id"], "to": to, "text": text}
    return api.post("/conversations/send", json=body)


def test_a_reply_inside_the_window_is_sent_with_its_wamid(client, admin, org, graph):
    minute = 60
    write(client, org, "hi", "wamid.W1", seconds_ago=23 * 3600 + 59 * minute)

    response = reply(admin, org, "Still here!")

    assert response.status_code == 201, response.json
    assert response.json["status"] == "sent"
    assert response.json["wamid"].startswith("wamid.")
    [sent] = graph.sent()
    assert sent["to"] == "+" + CUSTOMER
    assert sent["text"]["body"] == "Still here!"
    assert response.json["sent_by"]["name"] == "Asha Admin"


def test_a_free_form_reply_after_the_window_is_refused_and_nothing_sent(
    client, admin, org, graph
):
    write(client, org, "hi", "wamid.W2", seconds_ago=24 * 3600 + 60)

    response = reply(admin, org)

    assert response.status_code == 422
    assert response.json["message"] == (
        "The 24-hour window is closed: send a template instead."
    )
    assert graph.messages() == []
    history = admin.get(f"/conversations/{CUSTOMER}/messages").json
    assert [m["direction"] for m in history["items"]] == ["in"]


def test_a_new_customer_without_a_window_can_only_get_a_template(admin, org, graph):
    response = reply(admin, org, to="+15550009999")

    assert response.status_code == 422
    assert graph.messages() == []


def test_history_pages_newest_first_with_a_cursor(client, admin, org):
    for n in range(5):
        write(client, org, f"message {n}", f"wamid.H{n}")

    first = admin.get(f"/conversations/{CUSTOMER}/messages?limit=2").json
    texts = [m["text"] for m in first["items"]]
    second = admin.get(
        f"/conversations/+{CUSTOMER}/messages?limit=2&before={first['next_cursor']}"
    ).json
    third = admin.get(
        f"/conversations/{CUSTOMER}/messages?limit=2&before={second['next_cursor']}"
    ).json

    assert texts == ["message 4", "message 3"]
    assert [m["text"] for m in second["items"]] == ["message 2", "message 1"]
    assert [m["text"] for m in third["items"]] == ["message 0"]
    assert third["next_cursor"] is None
    assert first["conversation"]["unread_count"] == 5
    assert first["conversation"]["window_open"] is True


def test_list_filters_and_sales_see_only_their_own(client, admin, org):
    write(client, org, "hi", "wamid.L1", wa_id="15550001001", name="Asha")
    write(client, org, "hi", "wamid.L2", wa_id="15550001002", name="Bala")
    write(client, org, "hi", "wamid.L3", wa_id="15550001003", name="Chitra")
    sales = member(client, admin, "sales", "Sam")
    assigned = admin.post(
        "/conversations/15550001002/assign", json={"user_id": sales.id}
    )
    assert assigned.status_code == 200
    assert assigned.json["assigned_user"] == {"id": sales.id, "name": "Sam"}
    assert assigned.json["handed_off"] is True
    admin.post("/conversations/15550001003/read")
    admin.post("/conversations/15550001001/close")

    def names(api, query=""):
        items = api.get(f"/conversations{query}").json["items"]
        return sorted(item["contact"]["name"] for item in items)

    assert names(admin) == ["Asha", "Bala", "Chitra"]
    assert names(admin, "?assigned=none") == ["Asha", "Chitra"]
    assert names(admin, "?unread=true") == ["Asha", "Bala"]
    assert names(admin, "?status=closed") == ["Asha"]
    assert names(admin, "?q=cHit") == ["Chitra"]
    assert names(sales) == ["Bala"]
    assert names(sales, "?assigned=me") == ["Bala"]
    assert sales.get("/conversations/15550001001/messages").status_code == 404
    assert sales.post("/conversations/15550001001/close").status_code == 404


def test_hand_back_lets_automation_answer_again(client, admin, org):
    write(client, org, "hi", "wamid.B1")
    sales = member(client, admin, "sales", "Sam")
    admin.post(f"/conversations/{CUSTOMER}/assign", json={"user_id": sales.id})

    response = sales.post(f"/conversations/{CUSTOMER}/hand-back")

    assert response.status_code == 200
    assert (response.json["handed_off"], response.json["assigned_user"]) == (
        False,
        None,
    )


def test_assigning_to_someone_of_another_org_is_refused(
    client, admin, other_admin, org
):
    write(client, org, "hi", "wamid.A1")
    stranger = other_admin.get("/auth/me").json["id"]

    response = admin.post(
        f"/conversations/{CUSTOMER}/assign", json={"user_id": stranger}
    )

    assert response.status_code == 422
    listed = admin.get("/conversations").json["items"][0]
    assert listed["assigned_user"] is None


def test_another_org_sees_none_of_it(client, admin, other_admin, org):
    write(client, org, "hi", "wamid.O1")

    assert other_admin.get("/conversations").json["total"] == 0
    assert other_admin.get(f"/conversations/{CUSTOMER}/messages").status_code == 404
    response = other_admin.post(
        "/conversations/send",
        json={"phone_number_id": org.number["id"], "to": CUSTOMER, "text": "x"},
    )
    assert response.status_code == 404


def test_marking_read_clears_the_count_and_tells_meta(client, admin, org, graph):
    write(client, org, "hi", "wamid.R1")

    response = admin.post(f"/conversations/{CUSTOMER}/read")

    assert response.json["unread_count"] == 0
    reads = [r.body for r in graph.requests if (r.body or {}).get("status") == "read"]
    assert reads == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.R1"}
    ]


def test_a_change_is_an_event_for_the_org(client, admin, org, app):
    write(client, org, "hi", "wamid.E1")
    org_id = admin.get("/auth/me").json["org_id"]
    with events.broker().subscribe(org_id) as subscription:
        admin.post(f"/conversations/{CUSTOMER}/close")

        event = subscription.get(1)

    assert event.type == "conversation.updated"
    assert event.data["status"] == "closed"


def test_bad_input_is_named(admin, org):
    both = {"phone_number_id": org.number["id"], "to": CUSTOMER, "text": "a"}
    both["media"] = {"type": "image", "link": "https://example.com/a.jpg"}
    response = admin.post("/conversations/send", json=both)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "text": ["Give exactly one of text, media or template."]
    }
    bad_number = admin.post(
        "/conversations/send",
        json={"phone_number_id": org.number["id"], "to": "12", "text": "a"},
    )
    assert bad_number.status_code == 422
    assert admin.get("/conversations/not-a-number/messages").status_code == 404


def test_messages_and_their_statuses_are_events_for_the_org(client, admin, org, app):
    org_id = admin.get("/auth/me").json["org_id"]
    with events.broker().subscribe(org_id) as subscription:
        write(client, org, "hi", "wamid.EV1")
        inbound = subscription.get(1)
        reply(admin, org, "Hello!")
        outbound, updated, sent = [subscription.get(1) for _ in range(3)]

    conversation_id = inbound.data["conversation_id"]
    assert (inbound.type, inbound.data["direction"]) == ("message.created", "in")
    assert (outbound.type, outbound.data["direction"]) == ("message.created", "out")
    assert outbound.data["conversation_id"] == conversation_id
    assert (updated.type, updated.data["id"]) == (
        "conversation.updated",
        conversation_id,
    )
    assert (sent.type, sent.data["status"]) == ("message.status", "sent")
    assert sent.data["message_id"] == outbound.data["message_id"]
