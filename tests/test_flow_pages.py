"""The flows page: the org's flows, new, import, duplicate and delete, and the numbers
panel that the editor loads."""

import copy
import html as markup
import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import signup
from tests.pages import HTMX, html, page_client, post
from tests.test_flow_validation import welcome_flow
from wfb.extensions import db
from wfb.flows.models import Flow, FlowVersion
from wfb.phone_numbers.models import PhoneNumber

pytestmark = pytest.mark.usefixtures("app")

START = {"id": "start", "type": "start", "position": {"x": 0, "y": 0}}


@pytest.fixture
def admin_page(app, team):
    return page_client(app, "admin@acme.test")


@pytest.fixture
def marketing_page(app, team):
    return page_client(app, "mia@acme.test")


def create(api, **changes) -> dict:
    response = api.post("/flows", json={**welcome_flow(), **changes})
    assert response.status_code == 201, response.json
    return response.json


def add_number(org_id, display, label="", phone_number_id=None, flow_id=None):
    number = PhoneNumber(
        org_id=org_id,
        phone_number_id=phone_number_id or "2000" + display[-11:].replace(" ", ""),
        display_phone_number=display,
        label=label,
        flow_id=flow_id,
    )
    db.session.add(number)
    db.session.commit()
    return number


def text_of(fragment: str) -> str:
    """A piece of HTML as a reader sees it: no tags, spaces collapsed."""
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(response) -> dict[int, list[str]]:
    """Each flow's row: name, trigger, status, numbers."""
    found = {}
    for flow_id, row in re.findall(
        r'<tr id="flow-(\d+)">(.*?)</tr>', html(response), re.S
    ):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found[int(flow_id)] = [text_of(cell) for cell in cells[:4]]
    return found


def flow_count() -> int:
    return db.session.scalar(select(func.count(Flow.id)))


def notice(response) -> str:
    match = re.search(
        r'<p class="alert alert-ok" role="status">([^<]*)</p>', html(response)
    )
    return markup.unescape(match[1]) if match else ""


def problems(response) -> list[str]:
    block = re.search(
        r'<div[^>]*id="import-problems">(.*?)</div>', html(response), re.S
    )
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", block[1], re.S)]


def upload(client, content: bytes, filename="welcome.wfb-flow.json"):
    data = {"csrf_token": client.csrf, "file": (io.BytesIO(content), filename)}
    return client.post(
        "/app/flows/import", data=data, content_type="multipart/form-data"
    )


def export_document(flow=None) -> dict:
    flow = flow or welcome_flow()
    return {"format": "wfb-flow", "format_version": 1, **flow}


# The list


def test_list_shows_each_flows_trigger_status_and_numbers(admin_page, team):
    published = create(team.admin)
    changed = create(team.admin, name="Menu", trigger={"type": "any"})
    nodes = copy.deepcopy(welcome_flow()["nodes"])
    nodes[1]["data"]["text"] = "Hello again!"
    assert (
        team.admin.put(f"/flows/{changed['id']}", json={"nodes": nodes}).status_code
        == 200
    )
    draft = create(
        team.admin, name="Campaign reply", trigger={"type": "manual"}, publish=False
    )
    off = create(team.admin, name="Old promo", active=False)
    front = add_number(
        team.org_id, "+1 555 000 1111", "Front desk", flow_id=published["id"]
    )
    add_number(team.org_id, "+1 555 000 2222", flow_id=published["id"])
    assert front.id

    response = admin_page.get("/app/flows")

    assert response.status_code == 200
    assert rows(response) == {
        published["id"]: [
            "Welcome",
            "keyword “hi”, “hello” · exact",
            "Published v1",
            "+1 555 000 1111 (Front desk), +1 555 000 2222",
        ],
        changed["id"]: [
            "Menu",
            "any message",
            "Published v1 + unpublished changes",
            "—",
        ],
        draft["id"]: ["Campaign reply", "manual", "Draft only", "—"],
        off["id"]: [
            "Old promo",
            "keyword “hi”, “hello” · exact",
            "Published v1 inactive",
            "—",
        ],
    }
    # Rows come in name order.
    assert re.findall(r'<tr id="flow-(\d+)">', html(response)) == [
        str(draft["id"]),
        str(changed["id"]),
        str(off["id"]),
        str(published["id"]),
    ]


def test_list_links_each_flow_to_its_editor_export_and_actions(admin_page, team):
    flow = create(team.admin)

    page = html(admin_page.get("/app/flows"))

    assert f'<a href="/app/flows/{flow["id"]}">Welcome</a>' in page
    assert f'href="/flows/{flow["id"]}/export" download' in page
    assert f'action="/app/flows/{flow["id"]}/duplicate"' in page
    assert f'action="/app/flows/{flow["id"]}/delete"' in page


def test_a_long_keyword_list_is_cut_to_five(admin_page, team):
    words = [f"w{n}" for n in range(8)]
    create(
        team.admin, trigger={"type": "keyword", "keywords": words, "match": "contains"}
    )

    [row] = rows(admin_page.get("/app/flows")).values()

    assert row[1] == "keyword “w0”, “w1”, “w2”, “w3”, “w4” and 3 more · contains"


def test_empty_list_tells_a_newcomer_what_to_do(admin_page):
    response = admin_page.get("/app/flows")

    text = text_of(
        re.search(
            r'<div class="empty" id="no-flows">(.*?)</div>', html(response), re.S
        )[1]
    )
    assert text.startswith(
        "No flows yet. Make your first one below: name it and choose"
    )
    assert "A flow someone exported can be imported below instead." in text
    assert "<table" not in html(response)


def test_list_shows_twenty_flows_a_page(admin_page, team):
    for n in range(21):
        create(team.admin, name=f"Flow {n:02d}")

    first = admin_page.get("/app/flows")
    second = admin_page.get("/app/flows?page=2", headers=HTMX)
    beyond = admin_page.get("/app/flows?page=9")

    assert [row[0] for row in rows(first).values()] == [
        f"Flow {n:02d}" for n in range(20)
    ]
    assert [row[0] for row in rows(second).values()] == ["Flow 20"]
    assert "Page 1 of 2 · 21 flows" in html(first)
    assert html(second).startswith('<div id="flows">')
    assert "<html" not in html(second)
    assert rows(beyond) == {}
    assert "No flows on this page." in html(beyond)


def test_list_shows_only_the_orgs_own_flows(admin_page, team, client):
    other = signup(client, org="Bravo Gym", email="admin@bravo.test")
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    client.post("/flows", json={**welcome_flow(), "name": "Bravo's"}, headers=headers)
    own = create(team.admin)

    assert list(rows(admin_page.get("/app/flows"))) == [own["id"]]


def test_marketing_opens_the_list_and_sales_is_refused(app, team, marketing_page):
    sales = page_client(app, "sam@acme.test")

    assert marketing_page.get("/app/flows").status_code == 200
    refused = sales.get("/app/flows")
    assert refused.status_code == 403
    assert "Your role does not allow this page." in html(refused)
    assert post(sales, "/app/flows", name="X", trigger_type="any").status_code == 403
    assert flow_count() == 0


def test_nav_shows_flows_to_admin_and_marketing_only(
    app, team, admin_page, marketing_page
):
    sales = page_client(app, "sam@acme.test")
    link = '<a href="/app/flows"'

    assert link in html(admin_page.get("/app/sandbox"))
    assert link in html(marketing_page.get("/app/sandbox"))
    assert link not in html(sales.get("/app/sandbox"))


# New flow


def test_new_flow_is_an_unpublished_start_node_and_opens_in_the_editor(admin_page):
    response = post(
        admin_page,
        "/app/flows",
        name="Welcome",
        trigger_type="keyword",
        keywords="hi, Hello ,",
    )

    flow = db.session.scalar(select(Flow))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/flows/{flow.id}"
    assert flow.name == "Welcome"
    assert flow.trigger == {
        "type": "keyword",
        "keywords": ["hi", "Hello"],
        "match": "exact",
    }
    assert (flow.nodes, flow.edges) == ([START], [])
    assert (flow.active, flow.current_version_id) == (True, None)
    assert db.session.scalar(select(func.count(FlowVersion.id))) == 0


@pytest.mark.parametrize(
    ("kind", "trigger"), [("any", {"type": "any"}), ("manual", {"type": "manual"})]
)
def test_new_flow_of_any_message_or_manual_needs_no_keywords(admin_page, kind, trigger):
    response = post(admin_page, "/app/flows", name="Catch all", trigger_type=kind)

    assert response.status_code == 303
    assert db.session.scalar(select(Flow)).trigger == trigger


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": " ", "trigger_type": "any"}, "new-name", "Give the flow a name."),
        (
            {"name": "x" * 201, "trigger_type": "any"},
            "new-name",
            "A name has at most 200 characters.",
        ),
        (
            {"name": "Hi", "trigger_type": "keyword", "keywords": " , "},
            "new-keywords",
            "A keyword trigger needs a word, such as hi.",
        ),
        (
            {"name": "Hi", "trigger_type": "cron"},
            "new-trigger",
            "Choose what starts the flow.",
        ),
    ],
)
def test_new_flow_with_a_bad_field_answers_422_and_stores_nothing(
    admin_page, form, field, message
):
    response = post(admin_page, "/app/flows", **form)

    assert response.status_code == 422
    assert (
        re.search(rf'<p id="{field}-error"[^>]*>([^<]*)</p>', html(response))[1]
        == message
    )
    assert flow_count() == 0


def test_new_flow_without_the_csrf_token_is_refused(admin_page):
    response = admin_page.post("/app/flows", data={"name": "Hi", "trigger_type": "any"})

    assert response.status_code == 403
    assert flow_count() == 0


# Export and import


def test_export_link_downloads_the_draft_with_the_page_cookie(admin_page, team):
    flow = create(team.admin)

    response = admin_page.get(f"/flows/{flow['id']}/export")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="welcome.wfb-flow.json"'
    )
    assert response.json == export_document()


def test_import_of_an_export_makes_a_draft_and_opens_it(admin_page, team):
    flow = create(team.admin)
    exported = admin_page.get(f"/flows/{flow['id']}/export").data

    response = upload(admin_page, exported)

    imported = db.session.scalar(select(Flow).where(Flow.id != flow["id"]))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/flows/{imported.id}"
    assert imported.structure == welcome_flow()
    assert (imported.active, imported.current_version_id) == (True, None)
    assert imported.org_id == team.org_id
    landing = admin_page.get("/app/flows")
    assert notice(landing) == "“Welcome” is imported as a draft. Publish it to run it."


def test_import_ignores_keys_it_does_not_know(admin_page):
    document = {**export_document(), "publish": True, "active": False, "id": 7}

    response = upload(admin_page, json.dumps(document).encode())

    flow = db.session.scalar(select(Flow))
    assert response.status_code == 303
    assert (flow.active, flow.current_version_id) == (True, None)


def broken_flow() -> dict:
    flow = welcome_flow()
    flow["edges"] = [e for e in flow["edges"] if e.get("source_handle") != "talk"]
    flow["nodes"][3]["data"]["validate"] = "shoe size"
    return flow


NOT_EXPORTS = [
    (b"", "The file is not valid JSON: Expecting value at line 1, column 1."),
    (
        b'{"format": "wfb-flow",',
        "The file is not valid JSON: Expecting property name enclosed in double "
        "quotes at line 1, column 23.",
    ),
    (b"\xff\xfe\x00", "The file is not text: an exported flow is a JSON file."),
    (
        b'{"format": "wfb-flow", "nodes": [{"position": {"x": NaN}}]}',
        "The file is not valid JSON: NaN is not a JSON value.",
    ),
    (
        b"[1, 2]",
        "The file is not a flow exported from WFB: its format is None, not 'wfb-flow'.",
    ),
    (
        json.dumps({**welcome_flow(), "format": "n8n"}).encode(),
        "The file is not a flow exported from WFB: its format is 'n8n', "
        "not 'wfb-flow'.",
    ),
    (
        json.dumps({**export_document(), "format_version": 2}).encode(),
        "The file is format version 2; this WFB reads version 1.",
    ),
    (b"[" * 100_000, "The file's JSON is nested too deeply to be a flow."),
    (
        b" " * (1024 * 1024 + 1),
        "The file is over 1 MB, far larger than an exported flow.",
    ),
]


@pytest.mark.parametrize(("content", "expected"), NOT_EXPORTS)
def test_import_of_a_file_that_is_not_an_export_names_the_problem(
    admin_page, content, expected
):
    response = upload(admin_page, content)

    assert response.status_code == 422
    assert problems(response) == [expected]
    assert "welcome.wfb-flow.json was not imported:" in html(response)
    assert flow_count() == 0


def test_import_names_each_missing_or_bad_field(admin_page):
    document = {"format": "wfb-flow", "format_version": 1, "name": "", "trigger": {}}

    response = upload(admin_page, json.dumps(document).encode())

    assert response.status_code == 422
    assert problems(response) == [
        "“edges”: Missing data for required field.",
        "“name”: Length must be between 1 and 200.",
        "“nodes”: Missing data for required field.",
    ]
    assert flow_count() == 0


def test_import_of_a_flow_that_breaks_rules_names_each_node(admin_page):
    response = upload(admin_page, json.dumps(export_document(broken_flow())).encode())

    assert response.status_code == 422
    assert problems(response) == [
        "The 'validate' of node 'email' must be one of text, number, email, phone, "
        "regex.",
        "Button 'talk' of node 'menu' has no edge.",
    ]
    assert flow_count() == 0


def test_import_of_a_handover_to_another_orgs_member_is_refused(admin_page):
    flow = welcome_flow()
    flow["nodes"][4] = {"id": "bye", "type": "assign", "data": {"member_id": 999999}}

    response = upload(admin_page, json.dumps(export_document(flow)).encode())

    assert response.status_code == 422
    assert problems(response) == [
        "Node 'bye' hands over to member 999999, who is not in this organization."
    ]
    assert flow_count() == 0


def test_import_without_a_file_asks_for_one(admin_page):
    response = post(admin_page, "/app/flows/import")

    assert response.status_code == 422
    assert problems(response) == ["Choose a flow file that Export saved."]


# Duplicate and delete


def test_duplicate_copies_the_draft_inactive_and_unpublished(admin_page, team):
    flow = create(team.admin)
    add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])

    response = post(admin_page, f"/app/flows/{flow['id']}/duplicate")

    copy_ = db.session.scalar(select(Flow).where(Flow.id != flow["id"]))
    assert response.status_code == 303
    assert response.headers["Location"] == "/app/flows"
    assert copy_.structure == {**welcome_flow(), "name": "Welcome (copy)"}
    assert (copy_.active, copy_.current_version_id) == (False, None)
    landing = admin_page.get("/app/flows")
    assert notice(landing) == "“Welcome (copy)” is made: inactive and unpublished."
    assert rows(landing)[copy_.id] == [
        "Welcome (copy)",
        "keyword “hi”, “hello” · exact",
        "Draft only inactive",
        "—",
    ]
    assert rows(landing)[flow["id"]][2:] == ["Published v1", "+1 555 000 1111"]


def test_delete_removes_the_flow_and_frees_its_numbers(admin_page, team):
    flow = create(team.admin)
    kept = create(team.admin, name="Kept")
    number = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])

    response = post(admin_page, f"/app/flows/{flow['id']}/delete")

    assert response.status_code == 303
    assert db.session.get(Flow, flow["id"]) is None
    assert (
        db.session.scalar(select(FlowVersion).where(FlowVersion.flow_id == flow["id"]))
        is None
    )
    db.session.expire_all()
    assert db.session.get(PhoneNumber, number.id).flow_id is None
    landing = admin_page.get("/app/flows")
    assert notice(landing) == "“Welcome” is deleted."
    assert list(rows(landing)) == [kept["id"]]


def test_delete_asks_for_confirmation_first(admin_page, team):
    flow = create(team.admin)

    page = html(admin_page.get("/app/flows"))

    assert '<summary class="button button-danger-quiet">Delete…</summary>' in page
    assert (
        "Delete “Welcome”? Its versions and running sessions go with it, and its "
        "numbers answer with no flow."
    ) in markup.unescape(page)
    assert f'action="/app/flows/{flow["id"]}/delete" class="confirm-body"' in page


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("post", "duplicate"),
        ("post", "delete"),
        ("get", "numbers"),
        ("post", "numbers"),
    ],
)
def test_another_orgs_flow_is_404(admin_page, client, method, suffix):
    other = signup(client, org="Bravo Gym", email="admin@bravo.test")
    headers = {"Authorization": f"Bearer {other['access_token']}"}
    flow = client.post("/flows", json=welcome_flow(), headers=headers).json

    path = f"/app/flows/{flow['id']}/{suffix}"
    response = post(admin_page, path) if method == "post" else admin_page.get(path)

    assert response.status_code == 404
    assert flow_count() == 1
    assert db.session.get(Flow, flow["id"]).name == "Welcome"


# The numbers panel


def checkboxes(response) -> dict[int, str]:
    """Each number's checkbox: 'checked' or ''."""
    found = re.findall(
        r'<input type="checkbox" id="number-(\d+)" name="phone_number_ids" '
        r'value="\d+"( checked)?>',
        html(response),
    )
    return {int(number_id): mark.strip() for number_id, mark in found}


def test_numbers_panel_marks_the_numbers_of_this_flow(admin_page, team):
    flow = create(team.admin)
    other = create(team.admin, name="Sales")
    mine = add_number(team.org_id, "+1 555 000 1111", "Front desk", flow_id=flow["id"])
    theirs = add_number(team.org_id, "+1 555 000 2222", flow_id=other["id"])
    free = add_number(team.org_id, "+1 555 000 3333")

    response = admin_page.get(f"/app/flows/{flow['id']}/numbers", headers=HTMX)

    assert response.status_code == 200
    assert checkboxes(response) == {mine.id: "checked", theirs.id: "", free.id: ""}
    assert "Answers with “Sales” now." in markup.unescape(html(response))
    assert f'hx-post="/app/flows/{flow["id"]}/numbers" hx-target="#numbers-panel"' in (
        html(response)
    )
    assert "<html" not in html(response)


def test_admin_assigns_numbers_and_hears_what_changed(admin_page, team):
    flow = create(team.admin)
    other = create(team.admin, name="Sales")
    mine = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])
    theirs = add_number(team.org_id, "+1 555 000 2222", flow_id=other["id"])
    free = add_number(team.org_id, "+1 555 000 3333")

    response = post(
        admin_page,
        f"/app/flows/{flow['id']}/numbers",
        headers=HTMX,
        phone_number_ids=[str(theirs.id), str(free.id)],
    )

    assert response.status_code == 200
    assert notice(response) == (
        "+1 555 000 1111 no longer answers with it. "
        "+1 555 000 2222 answers with this flow instead of “Sales”. "
        "+1 555 000 3333 answers with this flow."
    )
    assert checkboxes(response) == {
        mine.id: "",
        theirs.id: "checked",
        free.id: "checked",
    }
    db.session.expire_all()
    assert [
        db.session.get(PhoneNumber, n.id).flow_id for n in (mine, theirs, free)
    ] == [
        None,
        flow["id"],
        flow["id"],
    ]


def test_saving_the_same_numbers_says_nothing_changed(admin_page, team):
    flow = create(team.admin)
    mine = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])

    response = post(
        admin_page,
        f"/app/flows/{flow['id']}/numbers",
        headers=HTMX,
        phone_number_ids=[str(mine.id)],
    )

    assert notice(response) == "Nothing changed."


def test_numbers_form_without_htmx_goes_back_to_the_editor(admin_page, team):
    flow = create(team.admin)
    number = add_number(team.org_id, "+1 555 000 1111")

    response = post(
        admin_page, f"/app/flows/{flow['id']}/numbers", phone_number_ids=str(number.id)
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/flows/{flow['id']}"


def test_marketing_sees_the_numbers_read_only_and_cannot_change_them(
    marketing_page, team
):
    flow = create(team.admin)
    number = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])

    shown = marketing_page.get(f"/app/flows/{flow['id']}/numbers", headers=HTMX)
    refused = post(marketing_page, f"/app/flows/{flow['id']}/numbers", headers=HTMX)

    assert shown.status_code == 200
    assert checkboxes(shown) == {number.id: "checked"}
    assert '<fieldset class="stack" disabled>' in html(shown)
    assert "hx-post" not in html(shown)
    assert "Only an admin of your organization can change" in html(shown)
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(PhoneNumber, number.id).flow_id == flow["id"]


def test_another_orgs_number_id_is_refused_and_nothing_changes(
    admin_page, team, client
):
    flow = create(team.admin)
    mine = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])
    other = signup(client, org="Bravo Gym", email="admin@bravo.test")
    theirs = add_number(other["user"]["org_id"], "+1 555 000 9999")

    response = post(
        admin_page,
        f"/app/flows/{flow['id']}/numbers",
        headers=HTMX,
        phone_number_ids=[str(theirs.id)],
    )

    assert response.status_code == 422
    assert f"No phone number with id {theirs.id} in this organization." in html(
        response
    )
    db.session.expire_all()
    assert db.session.get(PhoneNumber, mine.id).flow_id == flow["id"]
    assert db.session.get(PhoneNumber, theirs.id).flow_id is None


@pytest.mark.parametrize("value", ["abc", "0", "99999999999999999999"])
def test_a_number_id_that_is_not_one_is_refused(admin_page, team, value):
    flow = create(team.admin)
    mine = add_number(team.org_id, "+1 555 000 1111", flow_id=flow["id"])

    response = post(
        admin_page,
        f"/app/flows/{flow['id']}/numbers",
        headers=HTMX,
        phone_number_ids=value,
    )

    assert response.status_code == 422
    assert "A checked number is not a number id." in html(response)
    db.session.expire_all()
    assert db.session.get(PhoneNumber, mine.id).flow_id == flow["id"]


def test_numbers_panel_without_numbers_says_how_to_add_one(admin_page, team):
    flow = create(team.admin)

    response = admin_page.get(f"/app/flows/{flow['id']}/numbers", headers=HTMX)

    assert "Your organization has no phone numbers yet." in html(response)
    assert 'href="/app/phone-numbers">Add one</a>' in html(response)
