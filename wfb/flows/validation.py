"""The rules a flow's structure keeps before it is saved (design, section 5).

`validate_flow` returns every problem it finds, each naming the node at fault, so an
editor can mark them all at once; `check_flow` adds what the structure names in the
org's account, and `ensure_valid` answers the first problem as a 422.
"""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

from flask_smorest import abort
from sqlalchemy import select

from wfb.accounts.models import User
from wfb.extensions import db
from wfb.flows import patterns
from wfb.flows.node_rules import (
    FALLBACK,
    NODE_TYPES,
    WAITING_TYPES,
    check_node_data,
)

TRIGGER_TYPES = ("keyword", "any", "manual")
MATCH_MODES = ("exact", "contains", "regex")
MAX_NODE_ID = 100  # flow_sessions.node_id is a VARCHAR(100)
# Types that go on through one edge without a handle; all but start may have none,
# which ends the flow there, as a last message or a last question does.
SINGLE_EXIT = {"start", "message", "question", "set", "assign", "template", "delay"}
BRANCHES = {"condition": ("true", "false"), "webhook": ("success", "error")}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the node at fault (None for the flow as a whole)."""

    node: str | None
    rule: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def validate_flow(structure: dict) -> list[Problem]:
    """Every problem in a flow's trigger, nodes and edges, in the order found."""
    problems: list[Problem] = []
    problems += _check_trigger(structure.get("trigger"))
    nodes, edges = structure.get("nodes"), structure.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        message = "A flow needs a list of nodes and a list of edges."
        return problems + [Problem(None, "structure", message)]

    by_id = _index_nodes(nodes, problems)
    problems += _check_start(by_id)
    outgoing = _collect_edges(edges, by_id, problems)
    for node_id, node in by_id.items():
        problems += _check_exits(node_id, node, outgoing[node_id])
    problems += _check_loops(by_id, outgoing)
    return problems


def check_flow(structure: dict, org_id: int) -> list[Problem]:
    """Every problem of the structure, and of what it names in the org's account."""
    problems = validate_flow(structure)
    nodes = structure.get("nodes")
    if isinstance(nodes, list):
        problems += _check_members(nodes, org_id)
    return problems


def ensure_valid(structure: dict, org_id: int) -> None:
    """Abort with a 422 naming the first problem, all of them under errors.flow."""
    problems = check_flow(structure, org_id)
    if problems:
        found = [problem.as_dict() for problem in problems]
        abort(422, message=problems[0].message, errors={"flow": found})


def _check_members(nodes: list, org_id: int) -> list[Problem]:
    """Assign nodes hand over to a member of this org; an imported flow may name
    someone of the org it came from."""
    wanted = {
        node["id"]: data["member_id"]
        for node in nodes
        if isinstance(node, dict)
        and node.get("type") == "assign"
        and isinstance(data := node.get("data"), dict)
        and type(data.get("member_id")) is int
        # Ids out of range are refused by the node's own rules already.
        and 1 <= data["member_id"] < 2**31
    }
    if not wanted:
        return []
    members = set(
        db.session.scalars(
            select(User.id).where(
                User.org_id == org_id, User.id.in_(set(wanted.values()))
            )
        )
    )
    return [
        Problem(
            node_id,
            "member",
            f"Node '{node_id}' hands over to member {member_id}, "
            "who is not in this organization.",
        )
        for node_id, member_id in wanted.items()
        if member_id not in members
    ]


def _check_trigger(trigger) -> list[Problem]:
    if not isinstance(trigger, dict) or trigger.get("type") not in TRIGGER_TYPES:
        message = "The trigger's type must be one of keyword, any or manual."
        return [Problem(None, "trigger", message)]
    if trigger["type"] != "keyword":
        return []

    match = trigger.get("match", "exact")
    if match not in MATCH_MODES:
        message = "The trigger's match must be one of exact, contains or regex."
        return [Problem(None, "trigger", message)]
    keywords = trigger.get("keywords")
    if not isinstance(keywords, list) or not keywords:
        return [Problem(None, "trigger", "A keyword trigger needs a list of keywords.")]
    problems = []
    for keyword in keywords:
        if not isinstance(keyword, str) or not keyword.strip():
            message = "Every keyword of the trigger must be non-empty text."
            problems.append(Problem(None, "trigger", message))
        elif match == "regex" and not patterns.compiles(keyword):
            message = f"The trigger's keyword '{keyword}' is not a valid regex."
            problems.append(Problem(None, "regex", message))
    return problems


def _index_nodes(nodes: list, problems: list[Problem]) -> dict[str, dict]:
    """The nodes by id, first of each id only; records id, type and data problems."""
    by_id: dict[str, dict] = {}
    for position, node in enumerate(nodes, start=1):
        node_id = node.get("id") if isinstance(node, dict) else None
        if not isinstance(node_id, str) or not node_id.strip():
            message = f"Node {position} needs a non-empty id."
            problems.append(Problem(None, "node_id", message))
            continue
        if len(node_id) > MAX_NODE_ID:
            message = f"The id of node '{node_id[:20]}...' is over {MAX_NODE_ID} chars."
            problems.append(Problem(None, "node_id", message))
            continue
        if node_id in by_id:
            message = f"Two nodes have the id '{node_id}'; node ids must be unique."
            problems.append(Problem(node_id, "duplicate_id", message))
            continue
        by_id[node_id] = node
        problems += _check_node(node_id, node)
    return by_id


def _check_node(node_id: str, node: dict) -> list[Problem]:
    if node.get("type") not in NODE_TYPES:
        kinds = ", ".join(NODE_TYPES)
        message = f"Node '{node_id}' has type '{node.get('type')}'; use one of {kinds}."
        return [Problem(node_id, "node_type", message)]
    data = node.get("data", {})
    if not isinstance(data, dict):
        return [
            Problem(node_id, "type", f"The data of node '{node_id}' must be an object.")
        ]

    return [
        Problem(node_id, rule, message)
        for rule, message in check_node_data(node_id, node["type"], data)
    ]


def _check_start(by_id: dict[str, dict]) -> list[Problem]:
    starts = [node_id for node_id, node in by_id.items() if _kind(node) == "start"]
    if not starts:
        return [Problem(None, "start", "The flow has no start node; it needs one.")]
    if len(starts) > 1:
        names = " and ".join(f"'{node_id}'" for node_id in starts)
        message = f"Nodes {names} are all start nodes; a flow has exactly one."
        return [Problem(starts[1], "start", message)]
    return []


def _collect_edges(edges: list, by_id: dict, problems: list) -> dict[str, list]:
    """Each node's outgoing edges as (handle, target) pairs, keeping only sound ones."""
    outgoing: dict[str, list] = defaultdict(list)
    for position, edge in enumerate(edges, start=1):
        if not isinstance(edge, dict):
            problems.append(
                Problem(None, "edge", f"Edge {position} must be an object.")
            )
            continue
        source, target = edge.get("source"), edge.get("target")
        if not isinstance(source, str) or source not in by_id:
            message = (
                f"Edge {position} starts at node '{source}', which does not exist."
            )
            problems.append(Problem(None, "edge_source", message))
            continue
        if not isinstance(target, str) or target not in by_id:
            message = (
                f"Node '{source}' has an edge to '{target}', which does not exist."
            )
            problems.append(Problem(source, "edge_target", message))
            continue
        handle = edge.get("source_handle")
        if handle is not None and (not isinstance(handle, str) or not handle):
            message = f"An edge of node '{source}' has an empty source_handle."
            problems.append(Problem(source, "edge_handle", message))
            continue
        outgoing[source].append((handle, target))
    return outgoing


def _exits(node: dict) -> tuple[list, set]:
    """The handles a node must have an edge for, and those it may have one for."""
    kind, data = _kind(node), node.get("data")
    data = data if isinstance(data, dict) else {}
    if kind == "start":
        return [None], set()
    if kind in SINGLE_EXIT:
        return [], {None, FALLBACK} if kind == "question" else {None}
    if kind in BRANCHES:
        return list(BRANCHES[kind]), set()
    if kind == "buttons":
        return _ids(data.get("buttons")), {FALLBACK}
    if kind == "list":
        sections = (
            data.get("sections") if isinstance(data.get("sections"), list) else []
        )
        rows = [
            row
            for section in sections
            if isinstance(section, dict) and isinstance(section.get("rows"), list)
            for row in section["rows"]
        ]
        return _ids(rows), {FALLBACK}
    return [], set()


def _kind(node: dict) -> str | None:
    """The node's type if it is one WFB knows; anything else was reported already."""
    kind = node.get("type")
    return kind if isinstance(kind, str) and kind in NODE_TYPES else None


def _ids(items) -> list[str]:
    items = items if isinstance(items, list) else []
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def _check_exits(node_id: str, node: dict, edges: list) -> list[Problem]:
    required, optional = _exits(node)
    counts = Counter(handle for handle, _target in edges)
    problems = [
        Problem(node_id, "edge_missing", _missing_message(node_id, node, handle))
        for handle in required
        if not counts[handle]
    ]
    for handle, count in counts.items():
        if handle not in required and handle not in optional:
            message = _unknown_message(node_id, node, handle)
            problems.append(Problem(node_id, "edge_handle", message))
        elif count > 1:
            name = "its single exit" if handle is None else f"'{handle}'"
            message = f"Node '{node_id}' has {count} edges from {name}; keep one."
            problems.append(Problem(node_id, "edge_extra", message))
    return problems


def _missing_message(node_id: str, node: dict, handle: str | None) -> str:
    kind = _kind(node)
    if handle is None:
        return f"Node '{node_id}' has no edge to a next node."
    if kind == "buttons":
        return f"Button '{handle}' of node '{node_id}' has no edge."
    if kind == "list":
        return f"Row '{handle}' of node '{node_id}' has no edge."
    return f"The '{handle}' branch of node '{node_id}' has no edge."


def _unknown_message(node_id: str, node: dict, handle: str | None) -> str:
    kind = _kind(node)
    if kind in ("ai_bot", "end"):
        return f"Node '{node_id}' ({kind}) ends the flow; no edge may leave it."
    if handle is None:
        return f"Each edge out of node '{node_id}' needs a source_handle."
    return f"Node '{node_id}' has an edge from '{handle}', which it does not have."


def _check_loops(by_id: dict[str, dict], outgoing: dict[str, list]) -> list[Problem]:
    """Cycles that never stop to wait for a reply would send messages forever."""
    moving = {i for i, node in by_id.items() if _kind(node) not in WAITING_TYPES}
    graph = {
        node_id: [target for _handle, target in outgoing[node_id] if target in moving]
        for node_id in by_id
        if node_id in moving
    }
    problems, seen = [], set()
    for cycle in _find_cycles(graph):
        if seen.isdisjoint(cycle):
            seen.update(cycle)
            path = " -> ".join(f"'{node_id}'" for node_id in [*cycle, cycle[0]])
            message = (
                f"Nodes {path} form a loop that never waits for the customer; "
                "add a question, buttons or list on the way."
            )
            problems.append(Problem(cycle[0], "loop", message))
    return problems


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """A cycle per back edge of a depth-first walk; any cycle gives at least one."""
    state: dict[str, str] = {}
    cycles = []
    for root, targets in graph.items():
        if root in state:
            continue
        path, pending = [root], [iter(targets)]
        state[root] = "open"
        while pending:
            target = next(pending[-1], None)
            if target is None:
                state[path.pop()] = "done"
                pending.pop()
            elif state.get(target) == "open":
                cycles.append(path[path.index(target) :])
            elif target not in state:
                state[target] = "open"
                path.append(target)
                pending.append(iter(graph[target]))
    return cycles
