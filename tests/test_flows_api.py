"""/flows: checked drafts, published as immutable versions, per org."""

import copy
import json

import pytest
from sqlalchemy import select

from tests.conftest import Api
from tests.support import give_credentials
from tests.test_flow_validation import welcome_flow
from wfb.accounts.models import User
from wfb.accounts.service import issue_tokens
from wfb.contacts.models import Contact
from wfb.conversations.models import Conversation
from wfb.extensions import db
from wfb.flows.models import Flow, FlowSession, FlowVersion
from wfb.phone_numbers.models import PhoneNumber

pytestmark = pytest.mark.usefixtures("app")


def create(api, flow=None, **changes) -> dict:
    body = {**(flow or welcome_flow()), **changes}
    response = api.post("/flows", json=body)
    assert response.status_code == 201, response.json
    return response.json


def org_id(api) -> int:
    return api.get("/auth/me").json["org_id"]


def versions(flow_id: int) -> list[FlowVersion]:
    query = select(FlowVersion).where(FlowVersion.flow_id == flow_id)
    return db.session.scalars(query.order_by(FlowVersion.number)).all()


def teammate(client, admin, role: str) -> Api:
    """An API client for a user of the admin's org with another role."""
    user = User(org_id=org_id(admin), name=role, email=f"{role}@acme.test", role=role)
    user.set_password("correct-horse-battery")
    db.session.add(user)
    db.session.commit()
    return Api(client, issue_tokens(user)["access_token"])


def test_marketing_can_create_and_list_flows(client, admin):
    marketing = teammate(client, admin, "marketing")

    created = marketing.post("/flows", json=welcome_flow())

    assert created.status_code == 201
    assert admin.get("/flows").json["total"] == 1


def test_sales_cannot_see_flows(client, admin):
    flow = create(admin)
    sales = teammate(client, admin, "sales")

    assert sales.get("/flows").status_code == 403
    assert sales.get(f"/flows/{flow['id']}").status_code == 403


def test_design_example_saves_as_version_one(admin):
    response = admin.post("/flows", json=welcome_flow())

    assert response.status_code == 201
    body = response.json
    assert {key: body[key] for key in ("name", "trigger", "nodes", "edges")} == (
        welcome_flow()
    )
    assert body["active"] is True
    assert body["version"] == 1
    assert body["phone_number_ids"] == []
    assert body["created_at"] and body["updated_at"]
    flow = db.session.get(Flow, body["id"])
    [version] = versions(flow.id)
    assert flow.current_version_id == version.id
    assert version.org_id == flow.org_id == org_id(admin)
    assert (version.trigger, version.nodes, version.edges) == (
        welcome_flow()["trigger"],
        welcome_flow()["nodes"],
        welcome_flow()["edges"],
    )


def test_node_positions_are_kept_as_given(admin):
    flow = welcome_flow()
    flow["nodes"][1]["position"] = {"x": 120.5, "y": -40}

    body = create(admin, flow)

    assert admin.get(f"/flows/{body['id']}").json["nodes"][1]["position"] == {
        "x": 120.5,
        "y": -40,
    }


def test_flow_can_be_saved_inactive(admin):
    assert create(admin, active=False)["active"] is False


def broken(change) -> dict:
    flow = welcome_flow()
    change(flow)
    return flow


def menu(flow) -> dict:
    return flow["nodes"][2]["data"]


def add_fourth_button(flow):
    menu(flow)["buttons"] += [
        {"id": "book", "title": "Book"},
        {"id": "x", "title": "X"},
    ]
    flow["edges"] += [
        {"source": "menu", "source_handle": h, "target": "bye"} for h in ("book", "x")
    ]


def add_second_start(flow):
    flow["nodes"].append({"id": "again", "type": "start"})
    flow["edges"].append({"source": "again", "target": "greet"})


def add_loop(flow):
    flow["nodes"].append({"id": "count", "type": "set", "data": {"vars": {"n": 1}}})
    flow["edges"][1]["target"] = "count"
    flow["edges"].append({"source": "count", "target": "greet"})


def add_eleven_rows(flow):
    rows = [{"id": f"r{n}", "title": f"Row {n}"} for n in range(11)]
    data = {"text": "Pick", "button": "Options", "sections": [{"rows": rows}]}
    flow["nodes"].append({"id": "pick", "type": "list", "data": data})
    flow["edges"][1]["target"] = "pick"
    flow["edges"] += [
        {"source": "pick", "source_handle": row["id"], "target": "bye"} for row in rows
    ]


def set_regex_keyword(flow):
    flow["trigger"] = {"type": "keyword", "keywords": ["hi("], "match": "regex"}


REFUSED = {
    "fourth_button": (
        add_fourth_button,
        "menu",
        "The node 'menu' has 4 buttons; it needs 1 to 3.",
    ),
    "title_of_21_characters": (
        lambda flow: menu(flow)["buttons"][0].update(title="A" * 21),
        "menu",
        "The title of button 'buy' of node 'menu' has 21 characters; "
        "at most 20 allowed.",
    ),
    "edge_to_nowhere": (
        lambda flow: flow["edges"][2].update(target="nowhere"),
        "menu",
        "Node 'menu' has an edge to 'nowhere', which does not exist.",
    ),
    "button_without_edge": (
        lambda flow: flow["edges"].pop(3),
        "menu",
        "Button 'talk' of node 'menu' has no edge.",
    ),
    "two_starts": (
        add_second_start,
        "again",
        "Nodes 'start' and 'again' are all start nodes; a flow has exactly one.",
    ),
    "no_start": (
        lambda flow: (flow["nodes"].pop(0), flow["edges"].pop(0)),
        None,
        "The flow has no start node; it needs one.",
    ),
    "loop_without_wait": (
        add_loop,
        "greet",
        "Nodes 'greet' -> 'count' -> 'greet' form a loop that never waits for the "
        "customer; add a question, buttons or list on the way.",
    ),
    "eleven_list_rows": (
        add_eleven_rows,
        "pick",
        "The node 'pick' has 11 rows; at most 10 are allowed.",
    ),
    "bad_regex": (
        set_regex_keyword,
        None,
        "The trigger's keyword 'hi(' is not a valid regex.",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_save_that_breaks_a_rule_answers_422_naming_the_node(admin, case):
    change, node, message = REFUSED[case]

    response = admin.post("/flows", json=broken(change))

    assert response.status_code == 422
    assert response.json["message"] == message
    assert response.json["errors"]["flow"][0] == {
        "node": node,
        "rule": response.json["errors"]["flow"][0]["rule"],
        "message": message,
    }
    assert db.session.scalar(select(Flow.id)) is None


def test_body_without_nodes_points_at_the_field(admin):
    flow = welcome_flow()
    del flow["nodes"]

    response = admin.post("/flows", json=flow)

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "nodes": ["Missing data for required field."]
    }


def test_put_saves_the_draft_and_the_published_version_runs_on(admin):
    flow = create(admin)
    edited = copy.deepcopy(welcome_flow())
    edited["nodes"][1]["data"]["text"] = "Welcome back!"

    response = admin.put(f"/flows/{flow['id']}", json=edited)

    assert response.status_code == 200
    assert (response.json["version"], response.json["draft_changed"]) == (1, True)
    assert response.json["nodes"][1]["data"] == {"text": "Welcome back!"}
    db.session.expire_all()
    [first] = versions(flow["id"])
    assert first.nodes == welcome_flow()["nodes"]
    assert db.session.get(Flow, flow["id"]).current_version_id == first.id


def test_publish_makes_version_two_and_keeps_version_one(admin):
    flow = create(admin)
    edited = copy.deepcopy(welcome_flow())
    edited["nodes"][1]["data"]["text"] = "Welcome back!"
    admin.put(f"/flows/{flow['id']}", json=edited)

    response = admin.post(f"/flows/{flow['id']}/publish", json={"note": "Warmer"})

    assert response.status_code == 201
    assert response.json["number"] == 2
    assert response.json["note"] == "Warmer"
    assert response.json["current"] is True
    assert response.json["published_by"]["email"] == "admin@acme.test"
    db.session.expire_all()
    first, second = versions(flow["id"])
    assert (first.number, second.number) == (1, 2)
    assert first.nodes == welcome_flow()["nodes"]
    assert second.nodes == edited["nodes"]
    assert db.session.get(Flow, flow["id"]).current_version_id == second.id
    read = admin.get(f"/flows/{flow['id']}").json
    assert (read["version"], read["draft_changed"]) == (2, False)


def test_publish_leaves_running_sessions_on_their_version(admin):
    flow = create(admin)
    [first] = versions(flow["id"])
    session_id = start_session(first)

    changed = {"nodes": welcome_flow()["nodes"][:1] + welcome_flow()["nodes"][2:]}
    changed["edges"] = welcome_flow()["edges"][2:] + [
        {"source": "start", "target": "menu"}
    ]
    assert admin.put(f"/flows/{flow['id']}", json=changed).status_code == 200
    assert admin.post(f"/flows/{flow['id']}/publish", json={}).status_code == 201

    db.session.expire_all()
    session = db.session.get(FlowSession, session_id)
    assert session.flow_version_id == first.id
    assert session.version.nodes == welcome_flow()["nodes"]


def start_session(version: FlowVersion) -> int:
    """A running session of this version, as the engine would have made it."""
    number = PhoneNumber(
        org_id=version.org_id,
        phone_number_id="200000000000001",
        display_phone_number="+1",
    )
    contact = Contact(org_id=version.org_id, phone="+15550002222")
    db.session.add_all([number, contact])
    db.session.flush()
    conversation = Conversation(
        org_id=version.org_id, phone_number_id=number.id, contact_id=contact.id
    )
    db.session.add(conversation)
    db.session.flush()
    session = FlowSession(
        org_id=version.org_id,
        conversation_id=conversation.id,
        flow_id=version.flow_id,
        flow_version_id=version.id,
        node_id="menu",
        status="waiting",
    )
    db.session.add(session)
    db.session.commit()
    return session.id


def test_put_of_name_or_active_alone_makes_no_new_version(admin):
    flow = create(admin)

    response = admin.put(
        f"/flows/{flow['id']}", json={"name": "Hello flow", "active": False}
    )

    assert response.status_code == 200
    assert (response.json["name"], response.json["active"]) == ("Hello flow", False)
    assert response.json["version"] == 1
    assert len(versions(flow["id"])) == 1


def test_flow_read_with_get_can_be_put_back_unchanged(admin):
    flow = create(admin)
    read = admin.get(f"/flows/{flow['id']}").json

    response = admin.put(f"/flows/{flow['id']}", json=read)

    assert response.status_code == 200
    assert response.json["version"] == 1


def test_partial_put_is_checked_with_the_stored_rest(admin):
    flow = create(admin)
    edges = [e for e in welcome_flow()["edges"] if e.get("source_handle") != "buy"]

    response = admin.put(f"/flows/{flow['id']}", json={"edges": edges})

    assert response.status_code == 422
    assert response.json["message"] == "Button 'buy' of node 'menu' has no edge."
    db.session.expire_all()
    assert db.session.get(Flow, flow["id"]).edges == welcome_flow()["edges"]
    assert len(versions(flow["id"])) == 1


def test_delete_removes_the_flow_and_frees_its_phone_numbers(admin):
    give_credentials(admin)
    flow = create(admin)
    number = admin.post(
        "/phone-numbers",
        json={
            "phone_number_id": "200000000000001",
            "display_phone_number": "+15550001111",
            "flow_id": flow["id"],
        },
    ).json
    assert admin.get(f"/flows/{flow['id']}").json["phone_number_ids"] == [number["id"]]

    response = admin.delete(f"/flows/{flow['id']}")

    assert response.status_code == 204
    assert admin.get(f"/flows/{flow['id']}").status_code == 404
    assert db.session.get(PhoneNumber, number["id"]).flow_id is None
    assert versions(flow["id"]) == []


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_returns_404_if_admin_from_another_org(admin, other_admin, method):
    flow = create(admin)

    response = getattr(other_admin, method)(f"/flows/{flow['id']}", json={})

    assert response.status_code == 404
    assert response.json["message"] == f"No flow with id {flow['id']}."
    assert admin.get(f"/flows/{flow['id']}").json["version"] == 1


def test_list_pages_in_id_order_with_the_total(admin, other_admin):
    ids = [create(admin, name=f"Flow {n}")["id"] for n in range(3)]
    create(other_admin, name="Bravo's own")

    first = admin.get("/flows?page=1&page_size=2").json
    second = admin.get("/flows?page=2&page_size=2").json

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert [item["id"] for item in second["items"]] == ids[2:]
    assert (first["total"], first["page"], first["page_size"]) == (3, 1, 2)
    assert (second["total"], second["page"]) == (3, 2)
    assert set(first["items"][0]) == {
        "id",
        "name",
        "trigger",
        "active",
        "version",
        "draft_changed",
        "created_at",
        "updated_at",
        "phone_number_ids",
    }


def test_list_defaults_to_twenty_a_page_and_refuses_more_than_100(admin):
    create(admin)

    default = admin.get("/flows").json
    too_big = admin.get("/flows?page_size=101")

    assert (default["page"], default["page_size"], default["total"]) == (1, 20, 1)
    assert too_big.status_code == 422
    assert list(too_big.json["errors"]["query"]) == ["page_size"]


@pytest.mark.parametrize(
    "bad", ["NaN", "-Infinity", '"a\\ud800b"', '"nul\\u0000name"'], ids=str
)
def test_texts_no_database_stores_are_refused_as_bad_json(admin, bad):
    raw = json.dumps(welcome_flow()).replace('"Welcome"', bad, 1)

    response = admin.client.post(
        "/flows",
        data=raw,
        headers={"Authorization": f"Bearer {admin.token}"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert admin.get("/flows").json["total"] == 0
