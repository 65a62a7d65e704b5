"""What each node type's data must hold, with WhatsApp's limits (design, section 5)."""

import pytest

from tests.test_flow_validation import node, problems_of, welcome_flow, with_node
from wfb.flows.validation import validate_flow


def test_fourth_button_is_refused():
    flow = welcome_flow()
    node(flow, "menu")["data"]["buttons"] += [
        {"id": "book", "title": "Book"},
        {"id": "help", "title": "Help"},
    ]
    for handle in ("book", "help"):
        flow["edges"].append(
            {"source": "menu", "source_handle": handle, "target": "bye"}
        )

    assert problems_of(flow) == [
        ("menu", "count", "The node 'menu' has 4 buttons; it needs 1 to 3.")
    ]


def test_button_title_of_21_characters_is_refused():
    flow = welcome_flow()
    node(flow, "menu")["data"]["buttons"][0]["title"] = "B" * 21

    assert problems_of(flow) == [
        (
            "menu",
            "length",
            "The title of button 'buy' of node 'menu' has 21 characters; "
            "at most 20 allowed.",
        )
    ]


def test_button_titles_differing_only_in_case_are_refused():
    flow = welcome_flow()
    node(flow, "menu")["data"]["buttons"][1]["title"] = "BUY"

    assert problems_of(flow) == [
        ("menu", "unique", "Two buttons of node 'menu' have the same title.")
    ]


def test_button_cannot_be_called_fallback():
    flow = welcome_flow()
    node(flow, "menu")["data"]["buttons"][1]["id"] = "fallback"
    flow["edges"][3]["source_handle"] = "fallback"

    assert problems_of(flow) == [
        (
            "menu",
            "reserved",
            "The id of button 2 of node 'menu' cannot be 'fallback', "
            "the no-match exit.",
        )
    ]


def list_node(rows: int) -> dict:
    return {
        "id": "services",
        "type": "list",
        "data": {
            "text": "Pick a service",
            "button": "See services",
            "sections": [
                {"title": "Hair", "rows": [{"id": "r0", "title": "Cut"}]},
                {
                    "title": "Skin",
                    "rows": [
                        {"id": f"r{n}", "title": f"Row {n}", "description": "45 min"}
                        for n in range(1, rows)
                    ],
                },
            ],
        },
    }


def list_edges(rows: int) -> list[dict]:
    return [
        {"source": "services", "source_handle": f"r{n}", "target": "menu"}
        for n in range(rows)
    ]


def test_list_with_ten_rows_and_a_fallback_is_fine():
    flow = with_node(
        welcome_flow(),
        list_node(10),
        *list_edges(10),
        {"source": "services", "source_handle": "fallback", "target": "bye"},
    )

    assert validate_flow(flow) == []


def test_list_with_eleven_rows_is_refused():
    flow = with_node(welcome_flow(), list_node(11), *list_edges(11))

    assert problems_of(flow) == [
        (
            "services",
            "count",
            "The node 'services' has 11 rows; at most 10 are allowed.",
        )
    ]


def test_list_row_title_and_description_limits_name_the_row():
    flow = with_node(welcome_flow(), list_node(2), *list_edges(2))
    row = node(flow, "services")["data"]["sections"][1]["rows"][0]
    row["title"], row["description"] = "T" * 25, "D" * 73

    assert problems_of(flow) == [
        (
            "services",
            "length",
            "The title of row 'r1' of node 'services' has 25 characters; "
            "at most 24 allowed.",
        ),
        (
            "services",
            "length",
            "The description of row 'r1' of node 'services' has 73 characters; "
            "at most 72 allowed.",
        ),
    ]


def test_list_needs_a_label_and_titled_sections():
    flow = with_node(welcome_flow(), list_node(2), *list_edges(2))
    data = node(flow, "services")["data"]
    data["button"] = "A label that is too long"
    del data["sections"][0]["title"]

    assert problems_of(flow) == [
        (
            "services",
            "length",
            "The 'button' of node 'services' has 24 characters; at most 20 allowed.",
        ),
        (
            "services",
            "required",
            "The title of section 1 of node 'services' is missing.",
        ),
    ]


def test_row_without_edge_is_named():
    flow = with_node(welcome_flow(), list_node(2), *list_edges(1))

    assert problems_of(flow) == [
        ("services", "edge_missing", "Row 'r1' of node 'services' has no edge.")
    ]


def test_message_needs_text_or_media():
    flow = welcome_flow()
    node(flow, "greet")["data"] = {}

    assert problems_of(flow) == [
        ("greet", "required", "The node 'greet' needs a 'text', a 'media' or both.")
    ]


def test_message_text_over_4096_characters_is_refused():
    flow = welcome_flow()
    node(flow, "greet")["data"]["text"] = "x" * 4097

    assert problems_of(flow) == [
        (
            "greet",
            "length",
            "The 'text' of node 'greet' has 4097 characters; at most 4096 allowed.",
        )
    ]


def test_media_with_a_link_and_an_id_is_refused():
    flow = welcome_flow()
    node(flow, "greet")["data"]["media"] = {
        "type": "image",
        "link": "https://cdn.example/a.png",
        "id": "1320000000000002",
    }

    assert problems_of(flow) == [
        (
            "greet",
            "media",
            "The media of node 'greet' needs exactly one of 'link' or 'id'.",
        )
    ]


def test_media_document_by_id_with_caption_is_fine():
    flow = welcome_flow()
    node(flow, "greet")["data"] = {
        "media": {"type": "document", "id": "1320000000000002", "caption": "Invoice"}
    }

    assert validate_flow(flow) == []


def test_question_needs_a_name_to_save_as_and_a_pattern_that_compiles():
    flow = welcome_flow()
    node(flow, "email")["data"] = {
        "text": "Your code?",
        "save_as": "promo code",
        "validate": "regex",
        "pattern": "[A-Z",
    }

    assert problems_of(flow) == [
        (
            "email",
            "identifier",
            "The 'save_as' of node 'email' must be a name of letters, digits and _.",
        ),
        ("email", "regex", "The 'pattern' of node 'email' is not a valid regex."),
    ]


def condition_flow(data: dict, handles=("true", "false")) -> dict:
    edges = [{"source": "check", "source_handle": h, "target": "menu"} for h in handles]
    return with_node(
        welcome_flow(), {"id": "check", "type": "condition", "data": data}, *edges
    )


def test_condition_on_a_tag_with_both_branches_is_fine():
    flow = condition_flow(
        {"variable": "contact.tags", "operator": "contains", "value": "vip"}
    )

    assert validate_flow(flow) == []


def test_condition_exists_needs_no_value():
    flow = condition_flow({"variable": "contact.attributes.city", "operator": "exists"})

    assert validate_flow(flow) == []


def test_condition_with_unknown_variable_and_missing_branch_is_refused():
    flow = condition_flow(
        {"variable": "contact.email", "operator": "eq", "value": "a"}, handles=["true"]
    )

    assert problems_of(flow) == [
        (
            "check",
            "variable",
            "The variable of node 'check' must be vars.X, contact.name, contact.phone, "
            "contact.attributes.X or contact.tags.",
        ),
        ("check", "edge_missing", "The 'false' branch of node 'check' has no edge."),
    ]


def test_condition_gt_needs_a_number():
    flow = condition_flow({"variable": "vars.age", "operator": "gt", "value": "old"})

    assert problems_of(flow) == [
        ("check", "type", "The value of node 'check' must be a number for 'gt'.")
    ]


def test_condition_matches_needs_a_regex_that_compiles():
    flow = condition_flow(
        {"variable": "vars.code", "operator": "matches", "value": "("}
    )

    assert problems_of(flow) == [
        ("check", "regex", "The value of node 'check' is not a valid regex.")
    ]


def test_webhook_needs_an_http_url_and_both_branches():
    flow = with_node(
        welcome_flow(),
        {"id": "crm", "type": "webhook", "data": {"url": "ftp://crm.example/x"}},
        {"source": "crm", "source_handle": "success", "target": "menu"},
    )

    assert problems_of(flow) == [
        ("crm", "url", "The url of node 'crm' must be an http(s) URL."),
        ("crm", "edge_missing", "The 'error' branch of node 'crm' has no edge."),
    ]


def test_webhook_with_method_headers_and_save_as_is_fine():
    data = {
        "url": "https://crm.example/hook",
        "method": "PUT",
        "headers": {"X-Key": "abc"},
        "save_as": "crm_reply",
    }
    flow = with_node(
        welcome_flow(),
        {"id": "crm", "type": "webhook", "data": data},
        {"source": "crm", "source_handle": "success", "target": "menu"},
        {"source": "crm", "source_handle": "error", "target": "bye"},
    )

    assert validate_flow(flow) == []


@pytest.mark.parametrize(
    "seconds, message",
    [
        (0, "The 'seconds' of node 'pause' must be from 1 to 86400."),
        (86401, "The 'seconds' of node 'pause' must be from 1 to 86400."),
        (True, "The 'seconds' of node 'pause' must be a whole number."),
        ("60", "The 'seconds' of node 'pause' must be a whole number."),
    ],
)
def test_delay_outside_one_second_to_one_day_is_refused(seconds, message):
    flow = with_node(
        welcome_flow(),
        {"id": "pause", "type": "delay", "data": {"seconds": seconds}},
        {"source": "pause", "target": "menu"},
    )

    assert [p.message for p in validate_flow(flow)] == [message]


def test_assign_needs_exactly_one_of_strategy_or_member():
    flow = with_node(
        welcome_flow(),
        {
            "id": "desk",
            "type": "assign",
            "data": {"strategy": "round_robin", "member_id": 3},
        },
        {"source": "desk", "target": "menu"},
    )

    assert problems_of(flow) == [
        ("desk", "required", "The node 'desk' needs either 'strategy' or 'member_id'.")
    ]


def test_set_template_and_round_robin_nodes_chain_fine():
    set_data = {
        "vars": {"stage": "lead"},
        "attributes": {"city": "Pune"},
        "add_tags": ["lead"],
        "remove_tags": ["cold"],
    }
    template_data = {
        "name": "order_update",
        "language": "en_US",
        "parameters": ["{{contact.name}}", "ORD42"],
    }
    flow = with_node(
        welcome_flow(),
        {"id": "tag", "type": "set", "data": set_data},
        {"source": "tag", "target": "note"},
        {"source": "note", "target": "desk"},
        {"source": "desk", "target": "menu"},
    )
    flow["nodes"] += [
        {"id": "note", "type": "template", "data": template_data},
        {"id": "desk", "type": "assign", "data": {"strategy": "round_robin"}},
    ]

    assert validate_flow(flow) == []


def test_template_without_language_is_refused():
    flow = with_node(
        welcome_flow(),
        {"id": "note", "type": "template", "data": {"name": "order_update"}},
        {"source": "note", "target": "menu"},
    )

    assert problems_of(flow) == [
        ("note", "required", "The 'language' of node 'note' is missing.")
    ]


def test_ai_bot_needs_a_bot_id():
    flow = with_node(welcome_flow(), {"id": "bot", "type": "ai_bot", "data": {}})

    assert problems_of(flow) == [
        ("bot", "type", "The 'bot_id' of node 'bot' must be a whole number.")
    ]
