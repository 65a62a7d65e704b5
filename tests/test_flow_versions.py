"""Drafts and published versions, drop-off counts, checking without saving, and
flows carried from one org to another."""

import copy
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.support import post_webhook, setup_whatsapp, text_message
from tests.test_flow_validation import welcome_flow
from tests.test_flows_api import create, teammate
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation
from wfb.extensions import db
from wfb.flows.models import FlowSession, FlowVersion
from wfb.flows.service import find_keyword_flow
from wfb.models_base import utcnow

pytestmark = pytest.mark.usefixtures("app")

SUPPORT = {
    "name": "Support",
    "trigger": {"type": "keyword", "keywords": ["slot"], "match": "exact"},
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}},
        {"id": "menu", "type": "buttons", "data": {
            "text": "Shall we book it?",
            "buttons": [
                {"id": "confirm", "title": "Confirm"},
                {"id": "move", "title": "Reschedule"},
                {"id": "cancel", "title": "Cancel"},
            ],
        }},
        {"id": "confirmed", "type": "message", "data": {"text": "Booked!"}},
        {"id": "ask", "type": "question",
         "data": {"text": "Which day suits you?", "save_as": "day"}},
        {"id": "cancelled", "type": "message", "data": {"text": "Cancelled."}},
        {"id": "end", "type": "end"},
    ],
    "edges": [
        {"source": "start", "target": "menu"},
        {"source": "menu", "source_handle": "confirm", "target": "confirmed"},
        {"source": "menu", "source_handle": "move", "target": "ask"},
        {"source": "menu", "source_handle": "cancel", "target": "cancelled"},
        {"source": "confirmed", "target": "end"},
        {"source": "ask", "target": "end"},
    ],
}  # fmt: skip


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


class Phone:
    """Customers writing to one org's number through Meta's signed webhook."""

    def __init__(self, client, org, phone_number_id="200000000000001"):
        self.client, self.org, self.phone_number_id = client, org, phone_number_id
        self.sent = 0

    def say(self, wa_id: str, *texts: str) -> None:
        for text in texts:
            self.sent += 1
            body = text_message(
                text,
                f"wamid.{self.phone_number_id}.{self.sent}",
                wa_id=wa_id,
                phone_number_id=self.phone_number_id,
            )
            response = post_webhook(self.client, body, self.org.secret, self.org.path)
            assert response.status_code == 200


def texts_to(graph, phone_number_id: str) -> list[str]:
    """The texts or interactive bodies sent from one number, in order."""
    out = []
    for request in graph.requests:
        if request.path != f"/v25.0/{phone_number_id}/messages":
            continue
        body = request.body
        if body.get("type") == "text":
            out.append(body["text"]["body"])
        elif body.get("type") == "interactive":
            out.append(body["interactive"]["body"]["text"])
    return out


def counts(analytics: dict) -> dict:
    return {
        node["id"]: (node["reached"], node["waiting"], node["stopped"])
        for node in analytics["nodes"]
    }


def test_drop_off_counts_exactly_what_scripted_conversations_did(client, admin):
    org = setup_whatsapp(admin)
    flow = create(admin, copy.deepcopy(SUPPORT))
    phone = Phone(client, org)

    phone.say("15550001001", "slot", "Confirm")  # finishes at end
    phone.say("15550001002", "slot", "Reschedule")  # goes silent at ask
    phone.say("15550001003", "slot", "Cancel")  # finishes at cancelled
    phone.say("15550001004", "slot", "stop")  # opts out at menu
    phone.say("15550001005", "slot", *["maybe"] * 4)  # re-asked thrice, then ended
    phone.say("15550001006", "slot", "Reschedule", "Tuesday")  # finishes at end
    phone.say("15550001008", "slot", "Reschedule")  # still waiting at ask
    silent = db.session.scalar(
        select(FlowSession.id)
        .join(Conversation, Conversation.id == FlowSession.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.phone == "+15550001002")
    )
    db.session.execute(
        update(FlowSession)
        .where(FlowSession.id == silent)
        .values(last_activity_at=utcnow() - timedelta(hours=25))
    )
    db.session.commit()

    # A new version counts apart: this session is version 2's alone.
    admin.put(f"/flows/{flow['id']}", json={"name": "Support v2"})
    assert admin.post(f"/flows/{flow['id']}/publish", json={}).status_code == 201
    phone.say("15550001007", "slot")

    first = admin.get(f"/flows/{flow['id']}/analytics?version=1")
    assert first.status_code == 200
    assert first.json["version"] == 1
    assert first.json["sessions"] == 7
    assert first.json["completed"] == 3
    assert first.json["statuses"] == {
        "completed": 3, "ended": 2, "expired": 1, "waiting": 1,
    }  # fmt: skip
    assert counts(first.json) == {
        # node: (reached, waiting, stopped)
        "start": (7, 0, 0),
        "menu": (7, 0, 2),
        "confirmed": (1, 0, 0),
        "ask": (3, 1, 1),
        "cancelled": (1, 0, 1),
        "end": (2, 0, 2),
    }
    current = admin.get(f"/flows/{flow['id']}/analytics").json
    assert (current["version"], current["sessions"]) == (2, 1)
    assert counts(current)["menu"] == (1, 1, 0)
    assert counts(current)["start"] == (1, 0, 0)


def test_analytics_of_a_missing_or_unpublished_version_is_404(admin):
    flow = create(admin, publish=False)

    assert admin.get(f"/flows/{flow['id']}/analytics").status_code == 404
    assert admin.get(f"/flows/{flow['id']}/analytics?version=1").status_code == 404
    response = admin.get(f"/flows/{flow['id']}/analytics?version=0")
    assert response.status_code == 422
    assert "version" in response.json["errors"]["query"]


def test_an_unpublished_flow_is_a_draft_that_nothing_runs(admin):
    flow = create(admin, publish=False)

    assert (flow["version"], flow["draft_changed"]) == (None, True)
    assert find_keyword_flow(flow_org(admin), "hi") is None
    assert admin.get(f"/flows/{flow['id']}/versions").json["total"] == 0

    published = admin.post(f"/flows/{flow['id']}/publish", json={})
    assert published.status_code == 201
    assert published.json["number"] == 1
    assert find_keyword_flow(flow_org(admin), "hi").number == 1


def flow_org(api) -> int:
    return api.get("/auth/me").json["org_id"]


def test_versions_list_newest_first_with_who_published_and_why(client, admin):
    flow = create(admin)
    marketing = teammate(client, admin, "marketing")
    marketing.put(f"/flows/{flow['id']}", json={"trigger": keyword("hey")})
    marketing.post(f"/flows/{flow['id']}/publish", json={"note": "Say hey"})

    listed = admin.get(f"/flows/{flow['id']}/versions?page_size=1")

    assert listed.status_code == 200
    assert listed.json["total"] == 2
    [newest] = listed.json["items"]
    assert newest["number"] == 2
    assert newest["note"] == "Say hey"
    assert newest["current"] is True
    assert newest["published_by"]["name"] == "marketing"
    second_page = admin.get(f"/flows/{flow['id']}/versions?page=2&page_size=1")
    [oldest] = second_page.json["items"]
    assert (oldest["number"], oldest["note"], oldest["current"]) == (1, None, False)
    assert oldest["published_by"]["email"] == "admin@acme.test"
    one = admin.get(f"/flows/{flow['id']}/versions/1").json
    assert one["trigger"] == welcome_flow()["trigger"]
    assert one["nodes"] == welcome_flow()["nodes"]


def keyword(word: str) -> dict:
    return {"type": "keyword", "keywords": [word], "match": "exact"}


def test_restore_makes_an_old_version_the_draft_and_runs_nothing_new(admin):
    flow = create(admin)
    admin.put(f"/flows/{flow['id']}", json={"trigger": keyword("hey")})
    admin.post(f"/flows/{flow['id']}/publish", json={})

    restored = admin.post(f"/flows/{flow['id']}/versions/1/restore")

    assert restored.status_code == 200
    assert restored.json["trigger"] == welcome_flow()["trigger"]
    assert (restored.json["version"], restored.json["draft_changed"]) == (2, True)
    assert find_keyword_flow(flow_org(admin), "hey").number == 2
    assert find_keyword_flow(flow_org(admin), "hi") is None
    missing = admin.post(f"/flows/{flow['id']}/versions/3/restore")
    assert missing.status_code == 404
    assert missing.json["message"] == f"Flow {flow['id']} has no version 3."


def test_previews_are_never_listed_nor_counted(admin):
    from wfb.accounts.models import User
    from wfb.flows.models import Flow
    from wfb.flows.service import preview_version

    flow = create(admin)
    row = db.session.get(Flow, flow["id"])
    user = db.session.scalar(select(User).where(User.email == "admin@acme.test"))
    preview_version(row, user)
    latest = preview_version(row, user)
    db.session.commit()

    assert admin.get(f"/flows/{flow['id']}/versions").json["total"] == 1
    previews = db.session.scalars(
        select(FlowVersion).where(FlowVersion.number.is_(None))
    ).all()
    assert [version.id for version in previews] == [latest.id]
    second = admin.post(f"/flows/{flow['id']}/publish", json={})
    assert second.json["number"] == 2


def test_validate_names_every_problem_and_stores_nothing(admin):
    flow = copy.deepcopy(SUPPORT)
    menu = flow["nodes"][1]["data"]
    menu["buttons"].append({"id": "later", "title": "Maybe another day"})
    menu["buttons"][0]["title"] = "Confirm the booking now"  # 23 characters
    flow["edges"].append({"source": "cancelled", "target": "nowhere"})

    response = admin.post("/flows/validate", json=flow)

    assert response.status_code == 200
    assert response.json["valid"] is False
    found = {(p["node"], p["rule"]) for p in response.json["problems"]}
    assert found == {
        ("menu", "count"),  # a fourth button
        ("menu", "length"),  # a title over 20 characters
        ("menu", "edge_missing"),  # the fourth button leads nowhere
        ("cancelled", "edge_target"),  # an edge to a node that does not exist
    }
    assert admin.get("/flows").json["total"] == 0
    good = admin.post("/flows/validate", json=SUPPORT)
    assert good.json == {"valid": True, "problems": []}


def test_validate_finds_a_loop_that_never_waits(admin):
    flow = {
        "trigger": keyword("hi"),
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "hello", "type": "message", "data": {"text": "Hello"}},
            {"id": "count", "type": "set", "data": {"vars": {"seen": "yes"}}},
        ],
        "edges": [
            {"source": "start", "target": "hello"},
            {"source": "hello", "target": "count"},
            {"source": "count", "target": "hello"},
        ],
    }

    response = admin.post("/flows/validate", json=flow)

    [problem] = response.json["problems"]
    assert (problem["node"], problem["rule"]) == ("hello", "loop")


def test_validate_refuses_a_body_without_nodes(admin):
    response = admin.post("/flows/validate", json={"trigger": keyword("hi")})

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "nodes": ["Missing data for required field."],
        "edges": ["Missing data for required field."],
    }


def test_an_exported_flow_imported_into_another_org_runs_the_same(
    client, admin, other_admin, graph
):
    home = setup_whatsapp(admin)
    away = setup_whatsapp(
        other_admin,
        waba_id="100000000000002",
        phone_number_id="200000000000002",
        display="15550002222",
        app_secret="test_app_secret_0002",
    )
    flow = create(admin, copy.deepcopy(SUPPORT))

    exported = admin.get(f"/flows/{flow['id']}/export")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == (
        'attachment; filename="support.wfb-flow.json"'
    )
    document = exported.json
    assert document == {"format": "wfb-flow", "format_version": 1, **SUPPORT}
    imported = other_admin.post("/flows", json=document)
    assert imported.status_code == 201, imported.json
    assigned = other_admin.put(
        f"/flows/{imported.json['id']}/phone-numbers",
        json={"phone_number_ids": [away.number["id"]]},
    )
    assert assigned.json["phone_number_ids"] == [away.number["id"]]

    Phone(client, home).say("15550003001", "slot", "Reschedule", "Friday")
    Phone(client, away, "200000000000002").say(
        "15550003001", "slot", "Reschedule", "Friday"
    )

    expected = ["Shall we book it?", "Which day suits you?"]
    assert texts_to(graph, "200000000000001") == expected
    assert texts_to(graph, "200000000000002") == expected


def test_an_import_naming_another_orgs_member_is_refused(admin, other_admin):
    member = admin.get("/auth/me").json["id"]
    flow = copy.deepcopy(welcome_flow())
    flow["nodes"].append(
        {"id": "human", "type": "assign", "data": {"member_id": member}}
    )
    flow["edges"].append({"source": "email", "target": "human"})
    assert admin.post("/flows", json=flow).status_code == 201

    response = other_admin.post("/flows", json=flow)

    assert response.status_code == 422
    assert response.json["errors"]["flow"] == [
        {
            "node": "human",
            "rule": "member",
            "message": f"Node 'human' hands over to member {member}, "
            "who is not in this organization.",
        }
    ]
    assert other_admin.get("/flows").json["total"] == 0


def test_export_names_the_file_safely(admin):
    flow = create(admin, name='Diwali "offers" / 2026')

    exported = admin.get(f"/flows/{flow['id']}/export")

    assert exported.headers["Content-Disposition"] == (
        'attachment; filename="diwali-offers-2026.wfb-flow.json"'
    )


def test_duplicate_is_an_inactive_unpublished_copy(admin):
    flow = create(admin)

    response = admin.post(f"/flows/{flow['id']}/duplicate")

    assert response.status_code == 201
    copied = response.json
    assert copied["id"] != flow["id"]
    assert (copied["name"], copied["active"]) == ("Welcome (copy)", False)
    assert (copied["version"], copied["draft_changed"]) == (None, True)
    assert (copied["nodes"], copied["edges"]) == (flow["nodes"], flow["edges"])
    assert find_keyword_flow(flow_org(admin), "hi").flow_id == flow["id"]


def test_phone_numbers_answer_with_exactly_the_flows_given(client, admin, other_admin):
    org = setup_whatsapp(admin)
    first, second = create(admin), create(admin, name="Second")
    path = f"/flows/{first['id']}/phone-numbers"
    number = org.number["id"]

    assert admin.put(path, json={"phone_number_ids": [number]}).status_code == 200
    moved = admin.put(
        f"/flows/{second['id']}/phone-numbers", json={"phone_number_ids": [number]}
    )
    assert moved.json["phone_number_ids"] == [number]
    assert admin.get(f"/flows/{first['id']}").json["phone_number_ids"] == []
    cleared = admin.put(
        f"/flows/{second['id']}/phone-numbers", json={"phone_number_ids": []}
    )
    assert cleared.json["phone_number_ids"] == []


def test_another_orgs_number_cannot_be_given_a_flow(admin, other_admin):
    mine = setup_whatsapp(admin)
    theirs = setup_whatsapp(
        other_admin,
        waba_id="100000000000002",
        phone_number_id="200000000000002",
        display="15550002222",
        app_secret="test_app_secret_0002",
    )
    flow = create(admin)
    path = f"/flows/{flow['id']}/phone-numbers"
    ids = [mine.number["id"], theirs.number["id"]]

    response = admin.put(path, json={"phone_number_ids": ids})

    assert response.status_code == 422
    assert response.json["message"] == (
        f"No phone number with id {theirs.number['id']} in this organization."
    )
    assert admin.get(f"/flows/{flow['id']}").json["phone_number_ids"] == []
    other = other_admin.get(f"/phone-numbers/{theirs.number['id']}").json
    assert other["flow_id"] is None


def test_marketing_edits_flows_but_cannot_give_them_numbers(client, admin):
    flow = create(admin)
    marketing = teammate(client, admin, "marketing")

    response = marketing.put(
        f"/flows/{flow['id']}/phone-numbers", json={"phone_number_ids": []}
    )

    assert response.status_code == 403
    assert marketing.post(f"/flows/{flow['id']}/publish", json={}).status_code == 201
