"""What a contact's name, tags and attributes may hold, for the API and CSV alike.

Text that PostgreSQL cannot store (NUL, lone surrogates from bad UTF-8) is refused
here, before it reaches a query: a NUL in a tag would also break every `has_tag`
filter, which reads the tags as jsonb.
"""

import re

NAME_MAX = 200
TAG_MAX = 64
TAGS_MAX = 50
ATTRIBUTE_KEY_MAX = 64
ATTRIBUTE_VALUE_MAX = 1000
ATTRIBUTES_MAX = 50
# Tags are written "vip;gold" in a CSV cell; "|" and "," separate them too, so
# no tag may hold one of these.
TAG_SEPARATORS = re.compile(r"[;|,]")
# Control characters and lone surrogates, in one pattern per use, as a CSV import
# checks every cell. Line breaks are fine in an attribute (an address).
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_TAG = re.compile(r"[;|,\x00-\x1f\x7f\ud800-\udfff]")
_NOT_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What Excel makes of a long number in a General cell: 9.19877E+11.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")


def unstorable(text: str) -> bool:
    """Whether `text` holds a NUL or a lone surrogate, which no database stores."""
    return "\x00" in text or _SURROGATE.search(text) is not None


def name_problem(name: str) -> str | None:
    if len(name) > NAME_MAX:
        return f"A name is at most {NAME_MAX} characters."
    if _NOT_TEXT.search(name):
        return "A name cannot hold control characters."
    return None


def tag_problem(tag: str) -> str | None:
    if not tag:
        return "A tag cannot be empty."
    if len(tag) > TAG_MAX:
        return f"A tag is at most {TAG_MAX} characters: “{tag[:TAG_MAX]}…”."
    if _NOT_TAG.search(tag) is None:
        return None
    if TAG_SEPARATORS.search(tag):
        return f"A tag cannot hold a comma, semicolon or “|”: “{tag}”."
    return "A tag cannot hold control characters."


def tags_problem(tags: list[str]) -> str | None:
    if len(tags) > TAGS_MAX:
        return f"A contact has at most {TAGS_MAX} tags."
    for tag in tags:
        problem = tag_problem(tag)
        if problem:
            return problem
    return None


def attribute_problem(key: str, value: str) -> str | None:
    if not key or len(key) > ATTRIBUTE_KEY_MAX:
        return f"An attribute's name is 1 to {ATTRIBUTE_KEY_MAX} characters."
    if _NOT_TEXT.search(key):
        return "An attribute's name cannot hold control characters."
    if len(value) > ATTRIBUTE_VALUE_MAX:
        return f"The attribute “{key}” is longer than {ATTRIBUTE_VALUE_MAX} characters."
    if _NOT_VALUE.search(value):
        return f"The attribute “{key}” cannot hold control characters."
    return None


def attributes_problem(attributes: dict) -> str | None:
    if len(attributes) > ATTRIBUTES_MAX:
        return f"A contact has at most {ATTRIBUTES_MAX} attributes."
    for key, value in attributes.items():
        problem = attribute_problem(key, value)
        if problem:
            return problem
    return None


def clean_tags(tags) -> list[str]:
    """Tags stripped, empty ones dropped, each kept once in its first place."""
    stripped = [tag.strip() for tag in tags]
    return list(dict.fromkeys(tag for tag in stripped if tag))


def split_tags(cell: str) -> list[str]:
    """The tags of a CSV cell or a form field: "vip; gold" → ["vip", "gold"]."""
    return clean_tags(TAG_SEPARATORS.split(cell)) if cell else []


def merge_tags(old: list, new: list) -> list:
    """`old` with each tag of `new` it lacks added at its end."""
    have = set(old)
    return list(old) + [tag for tag in new if tag not in have]


def looks_scientific(raw: str) -> bool:
    """Whether a phone cell is a number Excel wrote in scientific notation."""
    return _SCIENTIFIC.fullmatch(raw.strip()) is not None
