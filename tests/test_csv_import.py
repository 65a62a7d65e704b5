"""Importing contacts from CSV files: delimiters, byte-order marks, spreadsheet
damage, duplicates, updates of known numbers, batches, limits and roles."""

import io
import tracemalloc

import pytest

from tests.conftest import Api
from wfb.contacts import csv_import
from wfb.contacts.models import Contact
from wfb.extensions import db


def upload(api: Api, content, name="contacts.csv"):
    if isinstance(content, str):
        content = content.encode()
    return api.post(
        "/upload-contacts",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def imported(api: Api, content, name="contacts.csv") -> dict:
    response = upload(api, content, name)
    assert response.status_code == 200, response.json
    return response.json


def contacts(api: Api) -> dict[str, dict]:
    items = api.get("/contacts?page_size=100").json["items"]
    return {item["phone"]: item for item in items}


def test_a_spreadsheet_export_imports_its_valid_rows_and_reports_the_rest(admin):
    content = (
        "\ufeffphone;name;tags;city\r\n"
        '098765 43210;Priya Sharma;"vip;gold";Pune\r\n'
        "9.19877E+11;Rahul Verma;;Mumbai\r\n"
        "+91 98765 43211;Asha;new;\r\n"
        "098765 43210;Priya again;;\r\n"
    ).encode("utf-8")

    report = imported(admin, content)

    assert report == {
        "created": 2,
        "updated": 0,
        "failed": 2,
        "errors": [
            {
                "row": 3,
                "message": "“9.19877E+11” is a number in scientific notation, which "
                "has lost its last digits: format the phone column as text in your "
                "spreadsheet.",
            },
            {
                "row": 5,
                "message": "Duplicate: +919876543210 is already on row 2 of this file.",
            },
        ],
    }
    found = contacts(admin)
    assert sorted(found) == ["+919876543210", "+919876543211"]
    priya = found["+919876543210"]
    assert (priya["name"], priya["tags"], priya["attributes"]) == (
        "Priya Sharma",
        ["vip", "gold"],
        {"city": "Pune"},
    )
    asha = found["+919876543211"]
    assert (asha["name"], asha["tags"], asha["attributes"]) == ("Asha", ["new"], {})


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_read_from_the_header(admin, delimiter):
    lines = [["Phone", "Name", "Tags"], ["+919876543210", "Priya", "vip|gold"]]
    content = "".join(delimiter.join(line) + "\n" for line in lines)

    report = imported(admin, content)

    assert report["created"] == 1
    priya = contacts(admin)["+919876543210"]
    assert (priya["name"], priya["tags"]) == ("Priya", ["vip", "gold"])


def test_a_file_with_only_a_phone_column_is_read(admin):
    report = imported(admin, "phone\n9876543210\n09876543211\n")

    assert report["created"] == 2
    assert sorted(contacts(admin)) == ["+919876543210", "+919876543211"]


def test_tags_in_a_comma_file_are_separated_by_semicolons(admin):
    content = "phone,name,tags\n+919876543210,Priya,vip; gold ;;vip\n"

    imported(admin, content)

    assert contacts(admin)["+919876543210"]["tags"] == ["vip", "gold"]


def test_unquoted_tags_in_a_semicolon_file_make_the_row_too_wide(admin):
    content = "phone;name;tags\n+919876543210;Priya;vip;gold\n+919876543211;Asha;vip\n"

    report = imported(admin, content)

    assert report["created"] == 1
    assert report["errors"] == [
        {
            "row": 2,
            "message": "This row has 4 cells and the header 3: quote a cell that "
            "holds the delimiter.",
        }
    ]


def test_a_trailing_delimiter_on_every_line_is_harmless(admin):
    content = "phone,name,\n+919876543210,Priya,\n"

    assert imported(admin, content)["created"] == 1


def test_other_columns_become_attributes_and_empty_cells_are_left_out(admin):
    content = "phone,name,City,plan\n+919876543210,Priya,Pune,\n"

    imported(admin, content)

    assert contacts(admin)["+919876543210"]["attributes"] == {"City": "Pune"}


def test_each_bad_row_is_reported_by_its_line_and_the_good_ones_imported(admin):
    content = (
        b"phone,name\n"
        b",No number\n"
        b"12345,Too short\n"
        b"+919876543210,Caf\xe9\n"
        b"\n"
        b"+919876543211,Asha\n"
        b",,\n"
        b"not a number,Text\n"
        b"+919876543212," + b"n" * 201 + b"\n"
    )

    report = imported(admin, content)

    assert report["created"] == 1
    assert report["failed"] == 5
    assert report["errors"] == [
        {"row": 2, "message": "The phone number is missing."},
        {
            "row": 3,
            "message": "“12345” is not a valid phone number; one without + and a "
            "country code is read in the organization's country (IN).",
        },
        {
            "row": 4,
            "message": "This row is not UTF-8 text: save the file as “CSV UTF-8”.",
        },
        {
            "row": 8,
            "message": "“not a number” is not a valid phone number; one without + "
            "and a country code is read in the organization's country (IN).",
        },
        {"row": 9, "message": "A name is at most 200 characters."},
    ]
    assert list(contacts(admin)) == ["+919876543211"]


def test_a_quoted_cell_over_several_lines_keeps_later_line_numbers_right(admin):
    content = 'phone,name,address\n+919876543210,Priya,"12 MG Road\nPune"\nbad,Asha,\n'

    report = imported(admin, content)

    assert report["errors"][0]["row"] == 4
    address = contacts(admin)["+919876543210"]["attributes"]["address"]
    assert address == "12 MG Road\nPune"


def test_a_known_number_is_updated_adding_tags_and_keeping_what_cells_leave_empty(
    admin,
):
    admin.post(
        "/contacts",
        json={
            "phone": "+919876543210",
            "name": "Priya",
            "tags": ["vip"],
            "attributes": {"city": "Pune", "plan": "gold"},
            "opted_out": True,
        },
    )
    content = "phone,name,tags,city,plan\n09876543210,,new;vip,Mumbai,\n"

    report = imported(admin, content)

    assert report == {"created": 0, "updated": 1, "failed": 0, "errors": []}
    priya = contacts(admin)["+919876543210"]
    assert priya["name"] == "Priya"
    assert priya["tags"] == ["vip", "new"]
    assert priya["attributes"] == {"city": "Mumbai", "plan": "gold"}
    assert priya["opted_out"] is True


def test_importing_the_same_file_twice_updates_and_creates_nothing(admin):
    content = "phone,name,tags\n+919876543210,Priya,vip\n+919876543211,Asha,\n"

    first = imported(admin, content)
    second = imported(admin, content)

    assert (first["created"], first["updated"]) == (2, 0)
    assert (second["created"], second["updated"]) == (0, 2)
    assert contacts(admin)["+919876543210"]["tags"] == ["vip"]


def test_an_import_touches_no_other_orgs_contacts(admin, other_admin):
    admin.post("/contacts", json={"phone": "+919876543210", "name": "Priya"})

    report = imported(other_admin, "phone,name\n+919876543210,Someone else\n")

    assert report["created"] == 1
    assert contacts(admin)["+919876543210"]["name"] == "Priya"
    assert contacts(other_admin)["+919876543210"]["name"] == "Someone else"


def test_rows_across_batches_are_all_saved_and_duplicates_found_between_them(admin):
    rows = [f"+9198765{i:05d},Customer {i},bulk" for i in range(2500)]
    rows.append("+919876500003,Again,")
    content = "phone,name,tags\n" + "\n".join(rows) + "\n"

    report = imported(admin, content)

    assert report["created"] == 2500
    assert report["errors"] == [
        {
            "row": 2502,
            "message": "Duplicate: +919876500003 is already on row 5 of this file.",
        }
    ]
    total = admin.get("/contacts?tag=bulk").json["total"]
    assert total == 2500


def test_the_report_lists_the_first_thousand_failures_and_counts_them_all(admin):
    content = "phone\n" + "bad\n" * 1500

    report = imported(admin, content)

    assert report["failed"] == 1500
    assert len(report["errors"]) == 1000
    assert report["errors"][-1]["row"] == 1001


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The first row must be a header with a “phone” column; it has nothing."),
        (
            b"name,mobile\nPriya,+919876543210\n",
            "The first row must be a header with a “phone” column; it has “name”, "
            "“mobile”.",
        ),
        (b"phone,city,City\n", "The header names “city” twice."),
        (
            b"PK\x03\x04\x14\x00\x06\x00binary",
            "This is an Excel workbook, not a CSV file: save it as “CSV UTF-8”.",
        ),
        (
            b"phone,Caf\xe9\n+919876543210,x\n",
            "The header row is not UTF-8 text: save as “CSV UTF-8”.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(admin, content, message):
    response = upload(admin, content)

    assert response.status_code == 422
    assert response.json["message"] == message
    assert admin.get("/contacts").json["total"] == 0


def test_a_missing_file_is_a_422(admin):
    response = admin.post(
        "/upload-contacts", data={}, content_type="multipart/form-data"
    )

    assert response.status_code == 422
    assert response.json["errors"] == {
        "files": {"file": ["Missing data for required field."]}
    }


def test_a_file_over_the_limit_is_a_413_that_says_so(admin):
    content = b"phone\n" + b"+919876543210\n" * (csv_import.MAX_CSV_BYTES // 14 + 1)

    response = upload(admin, content)

    assert response.status_code == 413
    assert response.json["message"] == (
        "The file is larger than 20 MB: split it into smaller files and import each."
    )
    assert admin.get("/contacts").json["total"] == 0


def test_a_row_past_the_csv_field_limit_ends_the_import_there(admin):
    content = 'phone,name\n+919876543210,Priya\n+919876543211,"' + "x" * 200_000

    report = imported(admin, content)

    assert report["created"] == 1
    assert report["failed"] == 1
    assert report["errors"][0]["row"] == 3
    assert report["errors"][0]["message"].endswith(
        "the rest of the file was not imported."
    )


def test_sales_may_not_import(team):
    response = upload(team.sales.api, "phone\n+919876543210\n")

    assert response.status_code == 403
    assert team.admin.get("/contacts").json["total"] == 0


def test_marketing_imports(team):
    report = imported(team.marketing.api, "phone\n+919876543210\n")

    assert report["created"] == 1


def test_the_template_downloads_as_csv_and_imports_as_it_is(admin):
    response = admin.get("/upload-contacts/template")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="contacts-template.csv"'
    )
    assert response.data.decode().splitlines()[0] == "phone,name,tags,city"
    report = imported(admin, response.data)
    assert report == {"created": 2, "updated": 0, "failed": 0, "errors": []}
    assert contacts(admin)["+919876543210"]["tags"] == ["vip", "newsletter"]


def test_memory_stays_near_one_batch_however_long_the_file(app, admin):
    org_id = admin.get("/auth/me").json["org_id"]

    def peak(rows: int) -> int:
        lines = "".join(f"+9198{i:08d},Customer {i},vip\n" for i in range(rows))
        stream = io.BytesIO(("phone,name,tags\n" + lines).encode())
        db.session.execute(db.delete(Contact))
        db.session.commit()
        tracemalloc.start()
        try:
            report = csv_import.import_csv(org_id, stream)
            used = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert report.created == rows
        return used

    small, large = peak(2_000), peak(16_000)

    # Eight times the rows; what grows is only the entry each number takes to catch
    # duplicates (under 100 bytes), far less than the rows themselves would take.
    assert large < small + 14_000 * 120


def test_a_number_on_a_refused_row_may_come_again_on_a_later_one(admin):
    content = "phone,name\n+919876543210," + "n" * 201 + "\n+919876543210,Priya\n"

    report = imported(admin, content)

    assert report["created"] == 1
    assert report["errors"] == [
        {"row": 2, "message": "A name is at most 200 characters."}
    ]
    assert contacts(admin)["+919876543210"]["name"] == "Priya"
