"""Reading a contacts CSV file's header and rows into checked contacts.

`csv_import` drives the reading and saves the rows; see it for the file's format.
"""

from dataclasses import dataclass

from wfb.contacts import rules
from wfb.contacts.service import phone_problem
from wfb.errors import DomainError
from wfb.phones import e164

DELIMITERS = (",", ";", "\t")


class ImportRefused(DomainError):
    """A file that cannot be imported at all (no header, no phone column)."""

    status = 422


class RowError(Exception):
    """A row that is not imported; its message goes in the report."""


@dataclass
class Columns:
    """Where the header put each part of a contact."""

    width: int
    phone: int
    name: int | None
    tags: int | None
    attributes: list[tuple[int, str]]


@dataclass(slots=True)
class Row:
    line: int
    phone: str
    name: str
    tags: list[str]
    attributes: dict


def refuse_spreadsheet(first: str) -> None:
    # An .xlsx file is a zip archive, which starts with "PK\x03\x04".
    if first.startswith("PK\x03\x04"):
        raise ImportRefused(
            "This is an Excel workbook, not a CSV file: save it as “CSV UTF-8”."
        )


def delimiter_of(header: str) -> str:
    """The delimiter the header line uses most, outside quotes; comma if none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_header(cells: list[str]) -> Columns:
    """The columns a header row names; refuse a header without `phone`."""
    names = [cell.strip() for cell in cells]
    if any(rules.unstorable(name) for name in names):
        raise ImportRefused("The header row is not UTF-8 text: save as “CSV UTF-8”.")
    lowered = [name.lower() for name in names]
    if "phone" not in lowered:
        found = ", ".join(f"“{name}”" for name in names[:10] if name) or "nothing"
        raise ImportRefused(
            f"The first row must be a header with a “phone” column; it has {found}."
        )
    repeated = {name for name in lowered if name and lowered.count(name) > 1}
    if repeated:
        raise ImportRefused(f"The header names “{sorted(repeated)[0]}” twice.")
    attributes = []
    for index, name in enumerate(names):
        if name and lowered[index] not in ("phone", "name", "tags"):
            problem = rules.attribute_problem(name, "")
            if problem:
                raise ImportRefused(f"The header's column {index + 1}: {problem}")
            attributes.append((index, name))
    if len(attributes) > rules.ATTRIBUTES_MAX:
        raise ImportRefused(
            f"The header has more than {rules.ATTRIBUTES_MAX} attribute columns."
        )
    return Columns(
        width=len(names),
        phone=lowered.index("phone"),
        name=lowered.index("name") if "name" in lowered else None,
        tags=lowered.index("tags") if "tags" in lowered else None,
        attributes=attributes,
    )


def parse_row(line: int, cells: list[str], columns: Columns, region: str, seen: dict):
    """The contact a row describes; None for an empty row; RowError if it is wrong.

    `seen` maps each number imported so far (as an int) to its line.
    """
    joined = "".join(cells)
    if not joined or joined.isspace():
        return None
    if rules.unstorable(joined):
        raise RowError("This row is not UTF-8 text: save the file as “CSV UTF-8”.")
    cells = _fit(cells, columns.width)
    phone = _phone(cells[columns.phone].strip(), region)
    earlier = seen.get(int(phone[1:]))
    if earlier is not None:
        raise RowError(f"Duplicate: {phone} is already on row {earlier} of this file.")
    row = Row(line, phone, _name(cells, columns), _tags(cells, columns), {})
    for index, key in columns.attributes:
        value = cells[index].strip()
        if value:
            row.attributes[key] = _attribute(key, value)
    seen[int(phone[1:])] = line
    return row


def _fit(cells: list[str], width: int) -> list[str]:
    """The row's cells, one a column: short rows padded, extra empty cells dropped."""
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        raise RowError(
            f"This row has {len(cells)} cells and the header {width}: quote a cell "
            "that holds the delimiter."
        )
    return cells


def _phone(raw: str, region: str) -> str:
    if not raw:
        raise RowError("The phone number is missing.")
    phone = e164(raw, region)
    if phone is None:
        raise RowError(phone_problem(raw, region))
    return phone


def _name(cells: list[str], columns: Columns) -> str:
    if columns.name is None:
        return ""
    name = cells[columns.name].strip()
    problem = rules.name_problem(name)
    if problem:
        raise RowError(problem)
    return name


def _tags(cells: list[str], columns: Columns) -> list[str]:
    if columns.tags is None:
        return []
    tags = rules.split_tags(cells[columns.tags])
    problem = rules.tags_problem(tags)
    if problem:
        raise RowError(problem)
    return tags


def _attribute(key: str, value: str) -> str:
    problem = rules.attribute_problem(key, value)
    if problem:
        raise RowError(problem)
    return value
