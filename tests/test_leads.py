"""The assign node: new leads go to the sales team in turn, each member is told, and
each salesperson sees only their own."""

import pytest

from tests.support import post_webhook, setup_whatsapp, text_message
from tests.test_conversations_api import member
from wfb.live import events

pytestmark = pytest.mark.usefixtures("app")

LEADS = {
    "name": "Leads",
    "trigger": {"type": "keyword", "keywords": ["price"], "match": "contains"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "hello", "type": "message",
         "data": {"text": "Thanks! Someone from our team will write to you."}},
        {"id": "hand", "type": "assign", "data": {"strategy": "round_robin"}},
    ],
    "edges": [
        {"source": "start", "target": "hello"},
        {"source": "hello", "target": "hand"},
    ],
}  # fmt: skip


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


def join_team(admin, api, phone: str) -> None:
    body = {"name": api.name, "email": api.email, "phone": phone, "user_id": api.id}
    response = admin.post("/sales-team", json=body)
    assert response.status_code == 201, response.json


def salesperson(client, admin, name: str, phone: str):
    api = member(client, admin, "sales", name)
    api.name, api.email = name, f"{name.lower()}@acme.test"
    join_team(admin, api, phone)
    return api


def test_five_leads_go_to_two_members_as_three_and_two(client, admin, graph):
    org = setup_whatsapp(admin)
    assert admin.post("/flows", json=LEADS).status_code == 201
    asha = salesperson(client, admin, "Asha", "+919876500001")
    bala = salesperson(client, admin, "Bala", "+919876500002")
    org_id = admin.get("/auth/me").json["org_id"]

    with events.broker().subscribe(org_id) as subscription:
        for n in range(5):
            body = text_message("price?", f"wamid.LEAD{n}", wa_id=f"1555000200{n}")
            assert post_webhook(client, body, org.secret, org.path).status_code == 200
        heard = []
        while (event := subscription.get(0.2)) is not None:
            heard.append(event)

    def leads(api):
        items = api.get("/conversations").json["items"]
        return sorted(item["contact"]["wa_id"] for item in items)

    assert leads(asha) == ["15550002000", "15550002002", "15550002004"]
    assert leads(bala) == ["15550002001", "15550002003"]
    assert len(leads(admin)) == 5
    told = [
        m for m in graph.messages() if m["to"] in ("+919876500001", "+919876500002")
    ]
    assert [m["to"] for m in told] == ["+919876500001", "+919876500002"] * 2 + [
        "+919876500001"
    ]
    assert told[0]["text"]["body"] == (
        "New lead for you: Priya Sharma (+15550002000). "
        "Reply to them from the WFB inbox."
    )
    # What a salesperson's socket would carry: only their own conversations.
    updates = [e for e in heard if e.type == "conversation.updated"]
    assert {e.audience for e in updates} == {asha.id, bala.id}
    texts = [m["text"]["body"] for m in graph.messages() if m["to"].startswith("+1555")]
    assert texts == ["Thanks! Someone from our team will write to you."] * 5


def test_a_paused_member_gets_no_leads_until_resumed(client, admin, graph):
    org = setup_whatsapp(admin)
    admin.post("/flows", json=LEADS)
    asha = salesperson(client, admin, "Asha", "+919876500001")
    bala = salesperson(client, admin, "Bala", "+919876500002")
    asha_member = admin.get("/sales-team").json["items"][0]
    path = f"/sales-team/{asha_member['id']}"

    paused = admin.put(path, json={"active": False})
    for n in range(2):
        body = text_message("price?", f"wamid.IN{n}", wa_id=f"1555000300{n}")
        post_webhook(client, body, org.secret, org.path)
    resumed = admin.put(path, json={"active": True})
    body = text_message("price?", "wamid.IN9", wa_id="15550003009")
    post_webhook(client, body, org.secret, org.path)

    assert (paused.status_code, paused.json["active"]) == (200, False)
    assert resumed.json["active"] is True
    assert bala.get("/conversations").json["total"] == 2
    assert asha.get("/conversations").json["total"] == 1


def test_only_an_admin_pauses_a_member_of_their_own_org(client, admin, other_admin):
    salesperson(client, admin, "Asha", "+919876500001")
    member_id = admin.get("/sales-team").json["items"][0]["id"]
    marketing = member(client, admin, "marketing", "Mona")

    assert (
        marketing.put(f"/sales-team/{member_id}", json={"active": False}).status_code
        == 403
    )
    assert (
        other_admin.put(f"/sales-team/{member_id}", json={"active": False}).status_code
        == 404
    )
    assert admin.put(f"/sales-team/{member_id}", json={}).status_code == 422
    assert admin.get("/sales-team").json["items"][0]["active"] is True
