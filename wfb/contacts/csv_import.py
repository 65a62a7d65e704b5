"""Importing contacts from a CSV file, read as a stream and saved in batches.

The file is read a line at a time through a text wrapper, so memory holds one batch
of rows, plus an entry of under 100 bytes per number seen, to report duplicates by
their earlier row: about 10 MB for 100,000 rows, bounded by MAX_CSV_BYTES.

The format, which the template download shows:
- the first line is the header; the delimiter is the one of comma, semicolon or tab
  that it uses most; a UTF-8 byte-order mark is ignored;
- `phone` (required), `name` and `tags` columns, matched without regard to case;
  any other named column is an attribute;
- tags are separated by `;` (or `|` or `,`): in a file whose delimiter is `;`, quote
  the tags cell ("vip;gold") or write vip|gold;
- a number without a country code is read in the org's default country.

Each row creates a contact, or updates the org's contact with that number: a
non-empty name replaces the stored one, tags are added to the stored ones, and each
non-empty attribute cell replaces that attribute. An empty cell changes nothing, and
an import never changes an opt-out. Batches are committed one by one: a file cut
short keeps the rows before the cut, and importing it again is harmless.
"""

import csv
import io
import itertools
import json
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import String, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from wfb.contacts import rules
from wfb.contacts.csv_rows import (
    ImportRefused,
    Row,
    RowError,
    delimiter_of,
    parse_row,
    read_header,
    refuse_spreadsheet,
)
from wfb.contacts.models import Contact
from wfb.contacts.service import org_region
from wfb.extensions import db
from wfb.models_base import utcnow

logger = logging.getLogger(__name__)

# About 400,000 rows of four columns, imported in well under a minute.
MAX_CSV_BYTES = 20 * 1024 * 1024
BATCH_ROWS = 1000
MAX_REPORTED_ERRORS = 1000
TEMPLATE = (
    "phone,name,tags,city\r\n"
    '+919876543210,Priya Sharma,"vip;newsletter",Pune\r\n'
    "098765 43211,Rahul Verma,newsletter,Mumbai\r\n"
)
_TABLE = Contact.__table__
# New rows bind their JSON columns as text serialized here: the JSON type's own
# processing of each value costs more than the rest of the insert.
_INSERT = _TABLE.insert().values(
    tags=bindparam("tags_json", type_=String()),
    attributes=bindparam("attributes_json", type_=String()),
)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("contact_id"))
    .values(
        name=bindparam("new_name"),
        tags=bindparam("new_tags"),
        attributes=bindparam("new_attributes"),
        updated_at=bindparam("now"),
    )
)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)

    def fail(self, row: int, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "message": message})

    def body(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "errors": self.errors,
        }


def import_csv(org_id: int, stream) -> Report:
    """Create or update the org's contacts from a CSV file's binary `stream`."""
    text = io.TextIOWrapper(
        stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    first = text.readline()
    refuse_spreadsheet(first)
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter_of(first))
    columns = read_header(_header_cells(reader))
    region = org_region(org_id)
    report = Report()

    seen: dict[int, int] = {}
    batch: dict[str, Row] = {}
    for line, cells in numbered(reader, report):
        try:
            row = parse_row(line, cells, columns, region, seen)
        except RowError as error:
            report.fail(line, str(error))
            continue
        if row is None:
            continue
        batch[row.phone] = row
        if len(batch) >= BATCH_ROWS:
            save_batch(org_id, batch, report)
            batch = {}
    save_batch(org_id, batch, report)
    logger.info(
        "org %s imported contacts: %s created, %s updated, %s failed",
        org_id,
        report.created,
        report.updated,
        report.failed,
    )
    return report


def _header_cells(reader) -> list[str]:
    try:
        return next(reader, [])
    except csv.Error as error:
        raise ImportRefused(f"Cannot read the header row: {error}.") from None


def numbered(reader, report: Report):
    """(line, cells) for each row after the header, `line` being where it starts.

    A malformed row (a field past csv's size limit) ends the import there: csv
    cannot tell where the next row starts.
    """
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.fail(
                line,
                f"Cannot read this row ({error}); the rest of the file "
                "was not imported.",
            )
            return
        yield line, cells


def save_batch(org_id: int, batch: dict[str, Row], report: Report) -> None:
    """Insert the new numbers and update the known ones, in one transaction."""
    if not batch:
        return
    try:
        _write(org_id, batch, report)
    except IntegrityError:
        # Another import added some of these numbers since the SELECT: once more,
        # they are known now.
        db.session.rollback()
        _write(org_id, batch, report)
    # Under gevent this gives other requests their turn between batches.
    time.sleep(0)


def _write(org_id: int, batch: dict[str, Row], report: Report) -> None:
    known = db.session.execute(
        select(
            _TABLE.c.id,
            _TABLE.c.phone,
            _TABLE.c.name,
            _TABLE.c.tags,
            _TABLE.c.attributes,
        ).where(_TABLE.c.org_id == org_id, _TABLE.c.phone.in_(list(batch)))
    ).all()
    now = utcnow()
    changes, failures = [], []
    for contact_id, phone, name, tags, attributes in known:
        row = batch[phone]
        try:
            change = _merged(row, name, tags or [], attributes or {})
        except RowError as error:
            failures.append((row.line, str(error)))
            continue
        if change is not None:
            changes.append({"contact_id": contact_id, "now": now, **change})
    known_phones = {phone for _, phone, *_ in known}
    new = [
        _new_contact(org_id, row, now)
        for phone, row in batch.items()
        if phone not in known_phones
    ]

    if new:
        db.session.execute(_INSERT, new)
    if changes:
        db.session.execute(_UPDATE, changes)
    db.session.commit()
    report.created += len(new)
    report.updated += len(known) - len(failures)
    for line, message in sorted(failures):
        report.fail(line, message)


def _merged(row: Row, name: str, tags: list, attributes: dict) -> dict | None:
    """The stored contact's new values, or None when the row changes nothing."""
    new_name = row.name or name
    new_tags = rules.merge_tags(tags, row.tags)
    new_attributes = {**attributes, **row.attributes}
    if new_name == name and new_tags == tags and new_attributes == attributes:
        return None
    if len(new_tags) > rules.TAGS_MAX:
        raise RowError(f"The contact would have more than {rules.TAGS_MAX} tags.")
    if len(new_attributes) > rules.ATTRIBUTES_MAX:
        raise RowError(
            f"The contact would have more than {rules.ATTRIBUTES_MAX} attributes."
        )
    return {
        "new_name": new_name,
        "new_tags": new_tags,
        "new_attributes": new_attributes,
    }


def _new_contact(org_id: int, row: Row, now) -> dict:
    return {
        "org_id": org_id,
        "phone": row.phone,
        "name": row.name,
        "tags_json": json.dumps(row.tags),
        "attributes_json": json.dumps(row.attributes),
        "opted_out": False,
        "opted_out_at": None,
        "created_at": now,
        "updated_at": now,
    }
