"""The flow editor's page and its forms: the draft handed to the canvas, each node
type's form read from data and back, the validator's problems by their fields, the
name and trigger form, the versions list, and who may open any of it."""

import html as entities
import json
import re

import pytest

from tests.pages import HTMX, html, page_client, post
from tests.test_flow_validation import welcome_flow
from wfb.flows.node_rules import NODE_TYPES

pytestmark = pytest.mark.usefixtures("app")

ROLE_REFUSED = "Your role does not allow this page."


@pytest.fixture
def flow(admin) -> dict:
    response = admin.post("/flows", json=welcome_flow())
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def page(app, admin):
    return page_client(app, "admin@acme.test")


def script_json(response, element_id: str):
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>',
        html(response),
        re.S,
    )
    assert found, f"no #{element_id} in the answer"
    return json.loads(found[1])


def error_of(response, field_id: str) -> str | None:
    found = re.search(rf'<p id="{field_id}-error"[^>]*>([^<]*)</p>', html(response))
    return entities.unescape(found[1]) if found else None


def value_of(response, field_id: str) -> str:
    found = re.search(rf'<input id="{field_id}" [^>]*value="([^"]*)"', html(response))
    assert found, f"no input #{field_id}"
    return entities.unescape(found[1])


def text_of(response, field_id: str) -> str:
    found = re.search(
        rf'<textarea id="{field_id}"[^>]*>([^<]*)</textarea>', html(response)
    )
    assert found, f"no textarea #{field_id}"
    return entities.unescape(found[1])


def node_form(page, flow_id, **fields):
    data = {"csrf_token": page.csrf, **fields}
    return page.post(f"/app/flows/{flow_id}/node", data=data, headers=HTMX)


def from_json(page, flow_id, node: dict):
    return node_form(page, flow_id, node=json.dumps(node))


def parsed(page, flow_id, kind: str, **fields) -> dict:
    """The data the form makes of these fields, for a node of this type."""
    response = node_form(page, flow_id, node_id="n1", type=kind, **fields)
    assert response.status_code == 200, html(response)
    return script_json(response, "node-result")["node"]["data"]


# The page


def test_the_editor_hands_the_draft_and_node_types_to_the_canvas(page, admin, flow):
    me = admin.get("/auth/me").json

    response = page.get(f"/app/flows/{flow['id']}")

    assert response.status_code == 200
    config = script_json(response, "editor-config")
    assert config["flow"] == {
        "id": flow["id"],
        "name": "Welcome",
        "trigger": flow["trigger"],
        "nodes": flow["nodes"],
        "edges": flow["edges"],
        "version": 1,
        "draft_changed": False,
    }
    assert sorted(config["kinds"]) == sorted(NODE_TYPES)
    assert config["kinds"]["buttons"]["data"] == {
        "text": "",
        "buttons": [{"id": "button_1", "title": ""}],
    }
    assert config["members"] == {str(me["id"]): "Asha Admin"}
    assert config["urls"] == {
        "flow": f"/flows/{flow['id']}",
        "validate": "/flows/validate",
        "node": f"/app/flows/{flow['id']}/node",
        "settings": f"/app/flows/{flow['id']}/settings",
        "versions": f"/app/flows/{flow['id']}/versions",
    }
    page_html = html(response)
    assert re.findall(r'data-kind="(\w+)"', page_html) == list(NODE_TYPES)
    assert f'hx-get="/app/flows/{flow["id"]}/numbers"' in page_html
    assert f'hx-get="/app/flows/{flow["id"]}/preview"' in page_html
    assert "drawflow/drawflow.min.js" in page_html


def test_the_editor_shows_the_flows_name_and_trigger_in_its_form(page, flow):
    response = page.get(f"/app/flows/{flow['id']}")

    assert value_of(response, "flow-name-field") == "Welcome"
    assert text_of(response, "trigger-keywords") == "hi\nhello"
    assert script_json(response, "settings-result") == {
        "name": "Welcome",
        "trigger": {"type": "keyword", "keywords": ["hi", "hello"], "match": "exact"},
    }


def test_another_orgs_flow_is_not_found_on_every_editor_route(app, flow, other_admin):
    other = page_client(app, "admin@bravo.test")
    node = json.dumps({"id": "a", "type": "end"})

    answers = [
        other.get(f"/app/flows/{flow['id']}"),
        node_form(other, flow["id"], node=node),
        post(other, f"/app/flows/{flow['id']}/settings", name="x"),
        other.get(f"/app/flows/{flow['id']}/versions", headers=HTMX),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert "There is nothing here" in html(answers[0])
    assert "Welcome" not in html(answers[0])


def test_sales_is_refused_and_marketing_may_edit(app, team, flow):
    sales = page_client(app, team.sales.email)
    marketing = page_client(app, team.marketing.email)

    refused = sales.get(f"/app/flows/{flow['id']}")
    refused_form = node_form(sales, flow["id"], node=json.dumps(flow["nodes"][0]))
    allowed = marketing.get(f"/app/flows/{flow['id']}")

    assert refused.status_code == 403
    assert ROLE_REFUSED in html(refused)
    assert (refused_form.status_code, refused_form.headers["HX-Refresh"]) == (
        403,
        "true",
    )
    assert allowed.status_code == 200


def test_a_visitor_without_a_session_goes_to_the_login(client, flow):
    response = client.get(f"/app/flows/{flow['id']}")

    assert response.status_code == 303
    assert response.headers["Location"] == (f"/app/login?next=/app/flows/{flow['id']}")


def test_a_form_without_the_csrf_token_is_refused(page, flow):
    response = page.post(
        f"/app/flows/{flow['id']}/node", data={"node_id": "n1", "type": "end"}
    )

    assert response.status_code == 403


# A node's form, from the canvas's JSON


def test_a_nodes_form_shows_its_data(page, flow):
    menu = flow["nodes"][2]

    response = from_json(page, flow["id"], menu)

    assert response.status_code == 200
    assert text_of(response, "node-text") == "How can we help?"
    assert value_of(response, "node-buttons-0-title") == "Buy"
    assert value_of(response, "node-buttons-1-id") == "talk"
    assert 'value="add-button"' in html(response)
    assert script_json(response, "node-result")["node"] == {
        "id": "menu",
        "type": "buttons",
        "data": menu["data"],
    }


@pytest.mark.parametrize(
    ("kind", "data", "field_id", "shown"),
    [
        ("message", {"text": "Hi"}, "node-text", "Hi"),
        ("list", {"sections": [{"rows": [{"id": "r", "title": "Row"}]}]},
         "node-sections-0-rows-0-title", "Row"),
        ("question", {"save_as": "age"}, "node-save-as", "age"),
        ("condition", {"variable": "vars.a"}, "node-variable", "vars.a"),
        ("set", {"vars": {"a": "1", "b": 2}}, "node-vars", "a = 1\nb = 2"),
        ("ai_bot", {"bot_id": 7}, "node-bot-id", "7"),
        ("webhook", {"url": "https://x.test"}, "node-url", "https://x.test"),
        ("template", {"parameters": ["a", 2]}, "node-parameters", "a\n2"),
        ("delay", {"seconds": 90}, "node-seconds", "90"),
    ],
)  # fmt: skip
def test_each_node_type_shows_its_fields(page, flow, kind, data, field_id, shown):
    response = from_json(page, flow["id"], {"id": "n1", "type": kind, "data": data})

    assert response.status_code == 200
    found = re.search(
        rf'id="{field_id}"[^>]*(?:value="([^"]*)"|>([^<]*)</textarea>)', html(response)
    )
    assert entities.unescape(found[1] or found[2] or "") == shown


@pytest.mark.parametrize("kind", ["start", "end"])
def test_start_and_end_have_nothing_to_set(page, flow, kind):
    response = from_json(page, flow["id"], {"id": kind, "type": kind})

    assert response.status_code == 200
    assert "Nothing to set" in html(response)
    assert script_json(response, "node-result")["node"]["data"] == {}


def test_a_nodes_problems_show_by_their_fields(page, flow):
    data = {
        "text": "Choose",
        "buttons": [
            {"id": "a", "title": "A title of 21 chars.."},
            {"id": "a", "title": "Two"},
        ],
        "footer": "f" * 61,
    }

    response = from_json(
        page, flow["id"], {"id": "menu", "type": "buttons", "data": data}
    )

    assert error_of(response, "node-buttons-0-title") == (
        "The title of button 'a' of node 'menu' has 21 characters; at most 20 allowed."
    )
    assert error_of(response, "node-buttons-1-id") == (
        "Two buttons of node 'menu' have the id 'a'."
    )
    assert error_of(response, "node-footer") == (
        "The 'footer' of node 'menu' has 61 characters; at most 60 allowed."
    )
    assert 'class="fe-count fe-count-over">21/20<' in html(response)


def test_a_fourth_button_is_refused_on_the_buttons(page, flow):
    buttons = [{"id": f"b{n}", "title": f"B{n}"} for n in range(1, 5)]

    response = from_json(
        page,
        flow["id"],
        {"id": "menu", "type": "buttons", "data": {"text": "?", "buttons": buttons}},
    )

    assert error_of(response, "node-buttons") == (
        "The node 'menu' has 4 buttons; it needs 1 to 3."
    )


def test_a_problem_of_no_one_field_shows_above_the_form(page, flow):
    response = from_json(page, flow["id"], {"id": "m", "type": "message", "data": {}})

    assert error_of(response, "node-text") == (
        "The node 'm' needs a 'text', a 'media' or both."
    )
    response = from_json(
        page, flow["id"], {"id": "t", "type": "template",
                           "data": {"name": "x", "language": "en", "header": "h"}}
    )  # fmt: skip
    general = re.findall(
        r'<p class="field-error fe-form-error">([^<]*)</p>', html(response)
    )
    assert general == ["The &#39;header&#39; of node &#39;t&#39; must be an object."]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"node": "{not json"}, "The node is not valid JSON."),
        ({"node": "[]"}, "A node needs an id."),
        ({"node": json.dumps({"id": "x", "type": "teleport"})},
         "There is no node type 'teleport'."),
        ({"node": json.dumps({"id": "x", "type": "end", "data": [1]})},
         "The data of node 'x' must be an object."),
        ({"type": "message", "text": "hi"}, "A node needs an id."),
        ({"node_id": "x", "type": "nope"}, "There is no node type 'nope'."),
        ({"node_id": "x", "type": "message", "extra": "[1]"},
         "The node's other data is not a JSON object."),
    ],
)  # fmt: skip
def test_a_node_that_cannot_be_read_is_refused(page, flow, fields, message):
    response = node_form(page, flow["id"], **fields)

    assert response.status_code == 400
    assert entities.unescape(html(response)).strip() == (
        f'<div id="node-form" class="alert alert-error" role="alert">{message}</div>'
    )


# A node's form, read back into data


def test_a_message_is_read_with_its_media(page, flow):
    assert parsed(
        page, flow["id"], "message", text="Our menu\n", media_type="document",
        media_source="https://cdn.test/menu.pdf", media_caption=" Menu ",
    ) == {
        "text": "Our menu",
        "media": {"type": "document", "link": "https://cdn.test/menu.pdf",
                  "caption": "Menu"},
    }  # fmt: skip
    assert parsed(page, flow["id"], "message", text="x", media_source="12345") == {
        "text": "x",
        "media": {"id": "12345"},
    }
    assert parsed(page, flow["id"], "message", text="", media_type="") == {}


def test_buttons_are_read_in_order(page, flow):
    data = parsed(
        page, flow["id"], "buttons", text="Pick", header="", footer="Thanks",
        **{"buttons-1-title": "Talk", "buttons-1-id": "talk",
           "buttons-0-title": " Buy ", "buttons-0-id": "buy"},
    )  # fmt: skip

    assert data == {
        "text": "Pick",
        "footer": "Thanks",
        "buttons": [{"id": "buy", "title": "Buy"}, {"id": "talk", "title": "Talk"}],
    }


@pytest.mark.parametrize(
    ("op", "ids"),
    [
        ("add-button", ["buy", "button_1", "button_3", "button_2"]),
        ("remove-button:1", ["buy", "button_3"]),
        ("remove-button:9", ["buy", "button_1", "button_3"]),
    ],
)
def test_the_add_and_remove_buttons_change_the_buttons(page, flow, op, ids):
    fields = {
        f"buttons-{n}-id": i for n, i in enumerate(["buy", "button_1", "button_3"])
    }

    data = parsed(page, flow["id"], "buttons", text="?", op=op, **fields)

    assert [button["id"] for button in data["buttons"]] == ids


def test_list_sections_and_rows_are_read_and_changed(page, flow):
    fields = {
        "text": "Menu",
        "button": "See",
        "sections-0-title": "Cakes",
        "sections-0-rows-0-id": "row_1",
        "sections-0-rows-0-title": "Chocolate",
        "sections-0-rows-0-description": "Dark, rich",
        "sections-1-title": "",
        "sections-1-rows-0-id": "row_2",
        "sections-1-rows-0-title": "Bread",
    }

    assert parsed(page, flow["id"], "list", **fields)["sections"] == [
        {
            "title": "Cakes",
            "rows": [
                {"id": "row_1", "title": "Chocolate", "description": "Dark, rich"}
            ],
        },
        {"rows": [{"id": "row_2", "title": "Bread"}]},
    ]
    added = parsed(page, flow["id"], "list", op="add-row:1", **fields)["sections"]
    assert added[1]["rows"][1] == {"id": "row_3", "title": ""}
    removed = parsed(page, flow["id"], "list", op="remove-row:0-0", **fields)
    assert removed["sections"][0]["rows"] == []
    section = parsed(page, flow["id"], "list", op="add-section", **fields)["sections"]
    assert section[2] == {"title": "", "rows": [{"id": "row_3", "title": ""}]}
    fewer = parsed(page, flow["id"], "list", op="remove-section:0", **fields)[
        "sections"
    ]
    assert fewer == [{"rows": [{"id": "row_2", "title": "Bread"}]}]


def test_a_question_keeps_its_regex_only_when_it_validates_by_one(page, flow):
    fields = {"text": "Code?", "save_as": "code", "pattern": r"^\d{4}$"}

    assert parsed(page, flow["id"], "question", validate="regex", **fields) == {
        "text": "Code?",
        "save_as": "code",
        "validate": "regex",
        "pattern": r"^\d{4}$",
    }
    assert "pattern" not in parsed(
        page, flow["id"], "question", validate="email", **fields
    )


def test_a_condition_drops_its_value_for_has_a_value(page, flow):
    fields = {"variable": "vars.age", "value": "18"}

    assert parsed(page, flow["id"], "condition", operator="gt", **fields) == {
        "variable": "vars.age",
        "operator": "gt",
        "value": "18",
    }
    assert parsed(page, flow["id"], "condition", operator="exists", **fields) == {
        "variable": "vars.age",
        "operator": "exists",
    }


def test_set_reads_names_and_values_and_tags(page, flow):
    data = parsed(
        page, flow["id"], "set", vars="plan = gold\nscore=3\n\nlonely",
        attributes="city = Pune", add_tags="vip, lead ,", remove_tags="",
    )  # fmt: skip

    assert data == {
        "vars": {"plan": "gold", "score": "3", "lonely": ""},
        "attributes": {"city": "Pune"},
        "add_tags": ["vip", "lead"],
    }


def test_assign_offers_the_orgs_people_and_reads_the_choice(page, flow, team):
    assert parsed(page, flow["id"], "assign", assignee="round_robin") == {
        "strategy": "round_robin"
    }
    assert parsed(page, flow["id"], "assign", assignee=str(team.sales.id)) == {
        "member_id": team.sales.id
    }

    response = from_json(page, flow["id"], {"id": "a", "type": "assign",
                                             "data": {"member_id": 999}})  # fmt: skip
    options = re.findall(
        r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html(response)
    )
    people = [team.admin_id, team.marketing.id, team.sales.id]
    assert [value for value, _text in options] == [
        "", "round_robin", *map(str, people), "999",
    ]  # fmt: skip
    assert options[-1][1] == "Person 999, not in this organization"


def test_numbers_are_read_as_numbers_and_anything_else_is_refused(page, flow):
    assert parsed(page, flow["id"], "delay", seconds=" 90 ") == {"seconds": 90}

    response = node_form(page, flow["id"], node_id="wait", type="delay", seconds="soon")

    assert script_json(response, "node-result")["node"]["data"] == {"seconds": "soon"}
    assert error_of(response, "node-seconds") == (
        "The 'seconds' of node 'wait' must be a whole number."
    )


def test_a_webhook_and_a_template_are_read(page, flow):
    assert parsed(
        page, flow["id"], "webhook", url="https://crm.test/h", method="PUT",
        headers="X-Key: abc\nAccept : json", save_as="",
    ) == {
        "url": "https://crm.test/h",
        "method": "PUT",
        "headers": {"X-Key": "abc", "Accept": "json"},
    }  # fmt: skip
    assert parsed(
        page, flow["id"], "template", name="order_ready", language="en_US",
        parameters="{{contact.name}}\n\n42\n",
    ) == {"name": "order_ready", "language": "en_US",
          "parameters": ["{{contact.name}}", "42"]}  # fmt: skip


def test_data_the_form_does_not_show_is_kept(page, flow):
    extra = json.dumps({"header": {"type": "text"}, "buttons": ["a"], "name": "old"})

    data = parsed(page, flow["id"], "template", name="new", language="en", extra=extra)

    assert data == {
        "header": {"type": "text"},
        "buttons": ["a"],
        "name": "new",
        "language": "en",
    }


# The name and trigger form


def settings(page, flow_id, **fields):
    return post(page, f"/app/flows/{flow_id}/settings", headers=HTMX, **fields)


def test_the_trigger_form_reads_a_keyword_trigger(page, flow):
    response = settings(
        page, flow["id"], name=" Cakes ", trigger_type="keyword",
        keywords="hi\n\n hello \n", match="contains",
    )  # fmt: skip

    assert response.status_code == 200
    assert script_json(response, "settings-result") == {
        "name": "Cakes",
        "trigger": {
            "type": "keyword",
            "keywords": ["hi", "hello"],
            "match": "contains",
        },
    }
    assert error_of(response, "trigger-keywords") is None


def test_the_trigger_form_drops_keywords_for_other_triggers(page, flow):
    response = settings(page, flow["id"], name="Any", trigger_type="any", keywords="hi")

    assert script_json(response, "settings-result")["trigger"] == {"type": "any"}


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"name": "", "trigger_type": "any"}, "flow-name-field",
         "Length must be between 1 and 200."),
        ({"name": "x", "trigger_type": "keyword", "keywords": "", "match": "exact"},
         "trigger-keywords", "A keyword trigger needs a list of keywords."),
        ({"name": "x", "trigger_type": "keyword", "keywords": "(", "match": "regex"},
         "trigger-keywords", "The trigger's keyword '(' is not a valid regex."),
        ({"name": "x", "trigger_type": "keyword", "keywords": "hi", "match": "near"},
         "trigger-match",
         "The trigger's match must be one of exact, contains or regex."),
        ({"name": "x", "trigger_type": "sometimes"}, "trigger-type",
         "The trigger's type must be one of keyword, any or manual."),
    ],
)  # fmt: skip
def test_the_trigger_forms_problems_show_by_their_fields(
    page, flow, fields, field_id, message
):
    response = settings(page, flow["id"], **fields)

    assert error_of(response, field_id) == message


def test_the_trigger_form_is_rendered_from_the_canvas_draft(page, flow):
    draft = {"name": "Restored", "trigger": {"type": "manual"}}

    response = settings(page, flow["id"], draft=json.dumps(draft))

    assert value_of(response, "flow-name-field") == "Restored"
    assert script_json(response, "settings-result") == draft
    refused = settings(page, flow["id"], draft="{")
    assert refused.status_code == 400


# Versions


def test_the_versions_list_the_newest_first_with_who_published(page, admin, flow):
    admin.put(f"/flows/{flow['id']}", json={"nodes": flow["nodes"][:-1],
                                            "edges": flow["edges"][:-1]})  # fmt: skip
    admin.put(f"/flows/{flow['id']}", json=welcome_flow())
    admin.post(f"/flows/{flow['id']}/publish", json={"note": "Same again"})

    response = page.get(f"/app/flows/{flow['id']}/versions", headers=HTMX)

    assert response.status_code == 200
    listed = html(response)
    assert re.findall(r"<strong>(Version \d+)</strong>", listed) == [
        "Version 2",
        "Version 1",
    ]
    assert '<p class="fe-version-note">Same again</p>' in listed
    assert listed.count("Asha Admin") == 2
    assert listed.count('data-current="true"') == 1
    assert 'data-version="2" data-current="true"' in listed
    assert listed.count('data-action="restore"') == 2


def test_an_unpublished_flow_has_no_versions_yet(page, admin):
    created = admin.post("/flows", json={**welcome_flow(), "publish": False}).json

    response = page.get(f"/app/flows/{created['id']}/versions", headers=HTMX)

    assert "Nothing is published yet." in html(response)
    config = script_json(page.get(f"/app/flows/{created['id']}"), "editor-config")
    assert (config["flow"]["version"], config["flow"]["draft_changed"]) == (None, True)
