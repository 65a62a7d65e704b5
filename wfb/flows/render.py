"""Placeholders in flow texts and the values that conditions compare."""

import json
import re

from wfb.flows import patterns

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][\w.]*)\s*\}\}")


def lookup(name: str, contact, variables: dict):
    """The value a dotted name stands for, or None when it has none."""
    head, _, rest = name.partition(".")
    if head == "vars":
        return variables.get(rest)
    if head != "contact":
        return None
    if rest == "name":
        return contact.name or None
    if rest == "phone":
        return contact.phone
    if rest == "tags":
        return list(contact.tags or [])
    if rest.startswith("attributes."):
        return (contact.attributes or {}).get(rest.removeprefix("attributes."))
    return None


def render(text: str, contact, variables: dict) -> str:
    """Fill `{{contact.name}}`-style placeholders; a name with no value becomes ''."""

    def value(match):
        found = lookup(match.group(1), contact, variables)
        if found is None:
            return ""
        if isinstance(found, dict):
            return json.dumps(found, ensure_ascii=False)
        return ", ".join(map(str, found)) if isinstance(found, list) else str(found)

    return PLACEHOLDER.sub(value, text or "")


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def compare(actual, operator: str, expected) -> bool:
    """Evaluate a condition node; text comparisons ignore case."""
    if operator == "exists":
        return actual not in (None, "", [])
    if isinstance(actual, list):
        wanted = str(expected).lower()
        items = [str(item).lower() for item in actual]
        if operator in ("contains", "eq"):
            return wanted in items
        if operator == "ne":
            return wanted not in items
    if operator in ("gt", "lt"):
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return False
        return left > right if operator == "gt" else left < right
    left = "" if actual is None else str(actual).strip().lower()
    right = "" if expected is None else str(expected).strip().lower()
    if operator == "eq":
        return left == right
    if operator == "ne":
        return left != right
    if operator == "contains":
        return right in left
    if operator == "matches":
        return patterns.search(str(expected), str(actual or ""))
    return False
