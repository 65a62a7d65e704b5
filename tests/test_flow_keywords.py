"""Which flow an inbound text starts: find_keyword_flow, used by the flow engine."""

import pytest

from tests.test_flow_validation import welcome_flow
from tests.test_flows_api import create, org_id
from wfb.extensions import db
from wfb.flows.models import Flow
from wfb.flows.service import find_keyword_flow

pytestmark = pytest.mark.usefixtures("app")


def keyword_flow(keywords, match, name="Keyword") -> dict:
    trigger = {"type": "keyword", "keywords": keywords, "match": match}
    return {**welcome_flow(), "name": name, "trigger": trigger}


def test_find_keyword_flow_matches_exact_words_ignoring_case_and_spaces(admin):
    flow = create(admin, keyword_flow(["Hi", "hello"], "exact"))

    found = find_keyword_flow(org_id(admin), "  HELLO \n")

    assert found.id == db.session.get(Flow, flow["id"]).current_version_id
    assert find_keyword_flow(org_id(admin), "hello there") is None


def test_find_keyword_flow_matches_contains_and_regex(admin):
    contains = create(admin, keyword_flow(["price"], "contains", name="Prices"))
    regex = create(admin, keyword_flow([r"^order\s*#?\d+$"], "regex", name="Orders"))

    by_contains = find_keyword_flow(org_id(admin), "What is the PRICE of a cut?")
    by_regex = find_keyword_flow(org_id(admin), " Order #42 ")

    assert by_contains.flow_id == contains["id"]
    assert by_regex.flow_id == regex["id"]
    assert find_keyword_flow(org_id(admin), "my order 42 please") is None


def test_find_keyword_flow_takes_the_lowest_active_flow_and_its_current_version(
    admin, other_admin
):
    inactive = create(admin, keyword_flow(["book"], "exact"), active=False)
    first = create(admin, keyword_flow(["book"], "contains"))
    create(admin, keyword_flow(["book"], "exact"))
    create(other_admin, keyword_flow(["book"], "exact"))
    edited = keyword_flow(["book", "slot"], "contains")
    assert admin.put(f"/flows/{first['id']}", json=edited).status_code == 200
    assert find_keyword_flow(org_id(admin), "book").number == 1
    assert admin.post(f"/flows/{first['id']}/publish", json={}).status_code == 201

    found = find_keyword_flow(org_id(admin), "book")

    assert found.flow_id == first["id"]
    assert found.number == 2
    assert found.flow_id != inactive["id"]
    assert find_keyword_flow(org_id(other_admin), "slot") is None


def test_find_keyword_flow_ignores_any_and_manual_flows_and_empty_text(admin):
    create(admin, trigger={"type": "any"})
    create(admin, trigger={"type": "manual"})

    assert find_keyword_flow(org_id(admin), "hi") is None
    assert find_keyword_flow(org_id(admin), "   ") is None
    assert find_keyword_flow(org_id(admin), None) is None
