"""The rules of a flow's structure, checked without the API (design, section 5)."""

import copy

import pytest

from wfb.flows.validation import Problem, validate_flow


def welcome_flow() -> dict:
    """The design's example with an edge for its 'talk' button, which it lacks."""
    return {
        "name": "Welcome",
        "trigger": {"type": "keyword", "keywords": ["hi", "hello"], "match": "exact"},
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}},
            {
                "id": "greet",
                "type": "message",
                "data": {"text": "Hi {{contact.name}}!"},
            },
            {
                "id": "menu",
                "type": "buttons",
                "data": {
                    "text": "How can we help?",
                    "buttons": [
                        {"id": "buy", "title": "Buy"},
                        {"id": "talk", "title": "Talk to us"},
                    ],
                },
            },
            {
                "id": "email",
                "type": "question",
                "data": {
                    "text": "Your email?",
                    "save_as": "email",
                    "validate": "email",
                },
            },
            {"id": "bye", "type": "end", "position": {"x": 400, "y": 120}},
        ],
        "edges": [
            {"source": "start", "target": "greet"},
            {"source": "greet", "target": "menu"},
            {"source": "menu", "source_handle": "buy", "target": "email"},
            {"source": "menu", "source_handle": "talk", "target": "bye"},
        ],
    }


def with_node(flow: dict, node: dict, *edges: dict) -> dict:
    """The flow with `node` added, and `greet` leading to it instead of to `menu`."""
    flow = copy.deepcopy(flow)
    flow["nodes"].append(node)
    flow["edges"][1]["target"] = node["id"]
    flow["edges"] += edges
    return flow


def node(flow: dict, node_id: str) -> dict:
    return next(n for n in flow["nodes"] if n["id"] == node_id)


def problems_of(flow: dict) -> list[tuple]:
    return [(p.node, p.rule, p.message) for p in validate_flow(flow)]


def test_design_example_with_an_edge_for_each_button_has_no_problems():
    assert validate_flow(welcome_flow()) == []


def test_design_example_as_printed_lacks_an_edge_for_its_talk_button():
    flow = welcome_flow()
    flow["nodes"].pop()
    flow["edges"].pop()

    assert validate_flow(flow) == [
        Problem("menu", "edge_missing", "Button 'talk' of node 'menu' has no edge."),
    ]


def test_start_without_edge_is_refused_while_a_last_message_ends_the_flow():
    flow = welcome_flow()
    flow["edges"] = flow["edges"][1:]

    assert problems_of(flow) == [
        ("start", "edge_missing", "Node 'start' has no edge to a next node.")
    ]


def test_unreachable_nodes_are_allowed_in_a_draft():
    flow = welcome_flow()
    flow["nodes"].append({"id": "later", "type": "message", "data": {"text": "x"}})
    flow["edges"].append({"source": "later", "target": "bye"})

    assert validate_flow(flow) == []


def test_any_and_manual_triggers_need_no_keywords():
    flow = welcome_flow()
    flow["trigger"] = {"type": "any"}
    assert validate_flow(flow) == []
    flow["trigger"] = {"type": "manual"}
    assert validate_flow(flow) == []


@pytest.mark.parametrize(
    "trigger, message",
    [
        (
            {"type": "sometimes"},
            "The trigger's type must be one of keyword, any or manual.",
        ),
        (
            {"type": "keyword", "keywords": []},
            "A keyword trigger needs a list of keywords.",
        ),
        (
            {"type": "keyword", "keywords": ["hi", " "]},
            "Every keyword of the trigger must be non-empty text.",
        ),
        (
            {"type": "keyword", "keywords": ["hi"], "match": "fuzzy"},
            "The trigger's match must be one of exact, contains or regex.",
        ),
    ],
)
def test_broken_trigger_is_a_problem_of_the_flow(trigger, message):
    flow = welcome_flow()
    flow["trigger"] = trigger

    assert problems_of(flow) == [(None, "trigger", message)]


def test_keyword_regex_that_does_not_compile_is_refused():
    flow = welcome_flow()
    flow["trigger"] = {"type": "keyword", "keywords": ["(hi"], "match": "regex"}

    assert problems_of(flow) == [
        (None, "regex", "The trigger's keyword '(hi' is not a valid regex.")
    ]


def test_duplicate_node_id_is_named():
    flow = welcome_flow()
    flow["nodes"].append({"id": "greet", "type": "end"})

    assert problems_of(flow) == [
        (
            "greet",
            "duplicate_id",
            "Two nodes have the id 'greet'; node ids must be unique.",
        )
    ]


def test_node_without_id_is_counted_by_position():
    flow = welcome_flow()
    flow["nodes"].append({"type": "end"})

    assert problems_of(flow) == [(None, "node_id", "Node 6 needs a non-empty id.")]


def test_unknown_node_type_is_named():
    flow = welcome_flow()
    node(flow, "bye")["type"] = "teleport"

    assert problems_of(flow)[0] == (
        "bye",
        "node_type",
        "Node 'bye' has type 'teleport'; use one of start, message, buttons, list, "
        "question, condition, set, assign, ai_bot, webhook, template, delay, end.",
    )


def test_two_start_nodes_are_refused_naming_the_second():
    flow = welcome_flow()
    flow["nodes"].append({"id": "again", "type": "start"})
    flow["edges"].append({"source": "again", "target": "greet"})

    assert problems_of(flow) == [
        (
            "again",
            "start",
            "Nodes 'start' and 'again' are all start nodes; a flow has exactly one.",
        )
    ]


def test_flow_without_start_node_is_refused():
    flow = welcome_flow()
    flow["nodes"].pop(0)
    flow["edges"].pop(0)

    assert problems_of(flow) == [
        (None, "start", "The flow has no start node; it needs one.")
    ]


def test_edge_to_a_missing_node_names_its_source():
    flow = welcome_flow()
    flow["edges"][0]["target"] = "nowhere"

    assert problems_of(flow) == [
        (
            "start",
            "edge_target",
            "Node 'start' has an edge to 'nowhere', which does not exist.",
        ),
        ("start", "edge_missing", "Node 'start' has no edge to a next node."),
    ]


def test_edge_from_a_missing_node_is_refused():
    flow = welcome_flow()
    flow["edges"].append({"source": "ghost", "target": "bye"})

    assert problems_of(flow) == [
        (
            None,
            "edge_source",
            "Edge 5 starts at node 'ghost', which does not exist.",
        )
    ]


def test_edge_from_a_handle_the_node_lacks_is_refused():
    flow = welcome_flow()
    flow["edges"].append({"source": "menu", "source_handle": "sell", "target": "bye"})

    assert problems_of(flow) == [
        (
            "menu",
            "edge_handle",
            "Node 'menu' has an edge from 'sell', which it does not have.",
        )
    ]


def test_two_edges_from_one_exit_are_refused():
    flow = welcome_flow()
    flow["edges"] += [
        {"source": "email", "target": "menu"},
        {"source": "email", "target": "bye"},
    ]

    assert problems_of(flow) == [
        (
            "email",
            "edge_extra",
            "Node 'email' has 2 edges from its single exit; keep one.",
        )
    ]


def test_question_and_menus_may_have_a_fallback_edge():
    flow = welcome_flow()
    flow["edges"] += [
        {"source": "email", "source_handle": "fallback", "target": "bye"},
        {"source": "menu", "source_handle": "fallback", "target": "bye"},
    ]

    assert validate_flow(flow) == []


def test_end_and_ai_bot_let_no_edge_leave():
    flow = with_node(
        welcome_flow(),
        {"id": "bot", "type": "ai_bot", "data": {"bot_id": 7}},
        {"source": "bot", "target": "menu"},
        {"source": "bye", "target": "menu"},
    )

    assert problems_of(flow) == [
        ("bye", "edge_handle", "Node 'bye' (end) ends the flow; no edge may leave it."),
        (
            "bot",
            "edge_handle",
            "Node 'bot' (ai_bot) ends the flow; no edge may leave it.",
        ),
    ]


def test_button_without_edge_is_named():
    flow = welcome_flow()
    del flow["edges"][2]

    assert problems_of(flow) == [
        ("menu", "edge_missing", "Button 'buy' of node 'menu' has no edge.")
    ]


def test_loop_without_a_wait_is_refused_naming_a_node_on_it():
    flow = with_node(
        welcome_flow(),
        {"id": "count", "type": "set", "data": {"vars": {"seen": "yes"}}},
        {"source": "count", "target": "greet"},
    )

    assert problems_of(flow) == [
        (
            "greet",
            "loop",
            "Nodes 'greet' -> 'count' -> 'greet' form a loop that never waits for the "
            "customer; add a question, buttons or list on the way.",
        )
    ]


def test_loop_through_a_delay_still_never_waits_for_the_customer():
    flow = with_node(
        welcome_flow(),
        {"id": "pause", "type": "delay", "data": {"seconds": 60}},
        {"source": "pause", "target": "greet"},
    )

    assert [p.rule for p in validate_flow(flow)] == ["loop"]


def test_loop_through_a_question_is_allowed():
    flow = welcome_flow()
    flow["edges"].append({"source": "email", "target": "greet"})

    assert validate_flow(flow) == []
