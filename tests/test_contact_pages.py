"""The contacts page: search as you type, tag filter, paging, adding and editing
contacts (tags, attributes, opt-outs), deleting, and importing a CSV file."""

import io
import re

import pytest

from tests.pages import HTMX, field_error, html, page_client, post
from tests.test_contacts import assign_conversation
from wfb.contacts import csv_import

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def admin_page(app, admin):
    return page_client(app, "admin@acme.test")


@pytest.fixture
def pages(app, team):
    """Each role's dashboard session in org A."""
    return {
        "admin": page_client(app, "admin@acme.test"),
        "marketing": page_client(app, team.marketing.email),
        "sales": page_client(app, team.sales.email),
    }


def add(api, phone, name="", tags=(), **extra):
    body = {"phone": phone, "name": name, "tags": list(tags), **extra}
    response = api.post("/contacts", json=body)
    assert response.status_code == 201, response.json
    return response.json


def rows(page: str) -> list[str]:
    """The phone numbers of the table's rows, in order."""
    return re.findall(r'<tr id="contact-\d+">\s*<td><a [^>]*>([^<]+)</a>', page)


def upload(client, content: bytes, headers=None):
    data = {"csrf_token": client.csrf, "file": (io.BytesIO(content), "list.csv")}
    return client.post("/app/contacts/import", data=data, headers=headers)


def test_every_role_sees_the_contacts_and_only_editors_the_forms(pages, team):
    priya = add(team.admin, "+919876500001", "Priya", ["vip"])
    hidden = add(team.admin, "+919876500009", "Not for sales")
    assign_conversation(team.org_id, priya["id"], team.sales.id)

    answers = {role: client.get("/app/contacts") for role, client in pages.items()}

    for role, response in answers.items():
        assert response.status_code == 200, role
    assert rows(html(answers["sales"])) == ["+919876500001"]
    for role in ("admin", "marketing"):
        assert rows(html(answers[role])) == [hidden["phone"], "+919876500001"]
    for role in ("admin", "marketing"):
        assert 'id="add-contact"' in html(answers[role])
        assert 'id="import-form"' in html(answers[role])
    assert 'id="add-contact"' not in html(answers["sales"])
    assert 'id="import-form"' not in html(answers["sales"])
    assert "contacts.js" not in html(answers["sales"])


def test_a_search_as_you_type_answers_only_the_table(admin_page, admin):
    add(admin, "+919876500001", "Priya Sharma")
    add(admin, "+919876500002", "Rahul Verma")

    response = admin_page.get("/app/contacts?q=sharma", headers=HTMX)

    page = html(response)
    assert response.status_code == 200
    assert page.startswith('<div id="contacts">')
    assert rows(page) == ["+919876500001"]
    assert "1 contact matching “sharma”." in page
    assert response.headers["Vary"] == "HX-Request"


def test_the_tag_filter_lists_the_orgs_tags_with_their_counts(admin_page, admin):
    add(admin, "+919876500001", tags=["vip", "gold"])
    add(admin, "+919876500002", tags=["vip"])

    full = html(admin_page.get("/app/contacts"))
    filtered = html(admin_page.get("/app/contacts?tag=gold"))

    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', full)
    assert options == [("", "Any tag"), ("vip", "vip (2)"), ("gold", "gold (1)")]
    assert rows(filtered) == ["+919876500001"]
    assert '<option value="gold" selected>' in filtered


def test_a_tag_no_contact_has_stays_chosen_in_the_filter(admin_page, admin):
    add(admin, "+919876500001", tags=["vip"])

    page = html(admin_page.get("/app/contacts?tag=gone"))

    assert '<option value="gone" selected>gone</option>' in page
    assert rows(page) == []
    assert "No contact matches." in page


def test_the_table_pages_by_25_keeping_the_search(admin_page, admin):
    for i in range(30):
        add(admin, f"+9198765000{i:02d}", f"Customer {i}", ["bulk"])

    first = html(admin_page.get("/app/contacts?tag=bulk"))
    second = html(admin_page.get("/app/contacts?tag=bulk&page=2", headers=HTMX))

    assert len(rows(first)) == 25
    assert rows(first)[0] == "+919876500029"
    assert "Page 1 of 2" in first
    assert 'href="/app/contacts?page=2&amp;tag=bulk"' in first
    assert rows(second) == [f"+9198765000{i:02d}" for i in range(4, -1, -1)]


def test_a_malformed_page_or_search_shows_the_first_page(admin_page, admin):
    add(admin, "+919876500001")

    response = admin_page.get("/app/contacts?page=abc&q=" + "x" * 500)

    assert response.status_code == 200
    assert rows(html(response)) == ["+919876500001"]


def test_a_contact_added_on_the_page_is_listed(admin_page, admin):
    response = post(
        admin_page,
        "/app/contacts",
        phone="098765 43210",
        name="Priya",
        tags="vip, gold",
        attributes="city = Pune\n\nplan = gold",
    )

    assert response.status_code == 303
    contact = admin.get("/contacts").json["items"][0]
    assert contact["phone"] == "+919876543210"
    assert contact["tags"] == ["vip", "gold"]
    assert contact["attributes"] == {"city": "Pune", "plan": "gold"}
    assert "+919876543210 is added." in html(admin_page.get("/app/contacts"))


@pytest.mark.parametrize(
    ("form", "field_id", "message"),
    [
        (
            {"phone": "12345"},
            "contact-phone",
            "“12345” is not a valid phone number; one without + and a country code "
            "is read in the organization&#39;s country (IN).",
        ),
        ({"phone": ""}, "contact-phone", "Enter the phone number."),
        (
            {"phone": "+919876543210", "attributes": "city Pune"},
            "contact-attributes",
            "Line 1: write each attribute as name = value.",
        ),
        (
            {"phone": "+919876543210", "tags": "x" * 70},
            "contact-tags",
            "A tag is at most 64 characters: “" + "x" * 64 + "…”.",
        ),
    ],
)
def test_a_wrong_field_is_shown_under_it_and_nothing_is_added(
    admin_page, admin, form, field_id, message
):
    values = {"name": "", "tags": "", "attributes": "", **form}

    response = post(admin_page, "/app/contacts", **values)

    assert response.status_code == 422
    assert field_error(response, field_id) == message
    assert admin.get("/contacts").json["total"] == 0


def test_a_taken_number_is_a_409_on_the_phone_field(admin_page, admin):
    add(admin, "+919876543210")

    response = post(admin_page, "/app/contacts", phone="09876543210")

    assert response.status_code == 409
    assert field_error(response, "contact-phone").startswith(
        "A contact with the phone number +919876543210 already exists"
    )


def test_an_edit_saves_every_field_of_the_form(admin_page, admin):
    contact = add(admin, "+919876500001", "Priya", ["vip"])
    url = f"/app/contacts/{contact['id']}"

    form = html(admin_page.get(url))
    response = post(
        admin_page,
        url,
        phone="+919876500009",
        name="Priya S",
        tags="gold",
        attributes="city = Pune",
    )

    assert 'value="vip"' in form
    assert response.status_code == 303
    saved = admin.get(f"/contacts/{contact['id']}").json
    assert (saved["phone"], saved["name"], saved["tags"], saved["attributes"]) == (
        "+919876500009",
        "Priya S",
        ["gold"],
        {"city": "Pune"},
    )


def test_marketing_cannot_clear_an_opt_out_on_the_page(pages, team):
    contact = add(team.admin, "+919876500001", "Priya", opted_out=True)
    url = f"/app/contacts/{contact['id']}"
    marketing = pages["marketing"]

    form = html(marketing.get(url))
    kept = post(marketing, url, phone="+919876500001", name="Priya K", opted_out="on")
    cleared = post(marketing, url, phone="+919876500001", name="Priya")

    assert 'id="opt-out-note"' in form
    assert '<input type="hidden" name="opted_out" value="on">' in form
    assert kept.status_code == 303
    assert cleared.status_code == 403
    assert (
        '<p class="alert alert-error" role="alert">Only an admin can clear an '
        "opt-out: the customer asked for no messages.</p>" in html(cleared)
    )
    saved = team.admin.get(f"/contacts/{contact['id']}").json
    assert (saved["name"], saved["opted_out"]) == ("Priya K", True)


def test_an_admin_clears_an_opt_out_with_the_checkbox(pages, team):
    contact = add(team.admin, "+919876500001", opted_out=True)
    url = f"/app/contacts/{contact['id']}"

    response = post(pages["admin"], url, phone="+919876500001")

    assert response.status_code == 303
    assert team.admin.get(f"/contacts/{contact['id']}").json["opted_out"] is False


def test_sales_reads_a_contact_and_may_not_change_it(pages, team):
    contact = add(team.admin, "+919876500001", "Priya", ["vip"])
    other = add(team.admin, "+919876500009", "Not for sales")
    assign_conversation(team.org_id, contact["id"], team.sales.id)
    url = f"/app/contacts/{contact['id']}"
    sales = pages["sales"]

    page = html(sales.get(url))
    assert sales.get(f"/app/contacts/{other['id']}").status_code == 404
    changed = post(sales, url, phone="+919876500001", name="Changed")
    deleted = post(sales, f"{url}/delete")
    imported = upload(sales, b"phone\n+919876500002\n")

    assert "<dd>Priya</dd>" in page
    assert 'id="edit-contact"' not in page
    assert [changed.status_code, deleted.status_code, imported.status_code] == [
        403,
        403,
        403,
    ]
    assert team.admin.get("/contacts").json["total"] == 2


def test_a_deleted_contact_leaves_the_list(admin_page, admin):
    contact = add(admin, "+919876500001")

    response = post(admin_page, f"/app/contacts/{contact['id']}/delete")

    assert response.status_code == 303
    assert admin.get("/contacts").json["total"] == 0
    assert admin_page.get(f"/app/contacts/{contact['id']}").status_code == 404


def test_another_orgs_contact_is_not_found(admin_page, other_admin):
    theirs = add(other_admin, "+919876500001", "Bravo customer")
    url = f"/app/contacts/{theirs['id']}"

    answers = [
        admin_page.get(url).status_code,
        post(admin_page, url, phone="+919876500002").status_code,
        post(admin_page, f"{url}/delete").status_code,
    ]

    assert answers == [404, 404, 404]
    assert other_admin.get(f"/contacts/{theirs['id']}").json["name"] == (
        "Bravo customer"
    )


def test_a_form_without_the_csrf_token_is_refused(admin_page, admin):
    response = admin_page.post("/app/contacts", data={"phone": "+919876500001"})

    assert response.status_code == 403
    assert admin.get("/contacts").json["total"] == 0


def test_an_import_by_htmx_answers_its_report(admin_page, admin):
    content = b"phone,name\n+919876500001,Priya\nbad,Rahul\n"

    response = upload(admin_page, content, headers=HTMX)

    page = html(response)
    assert response.status_code == 200
    assert page.startswith('<div id="import-report"')
    assert "1 created, 0 updated, 1 not imported." in page
    assert re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", page) == [
        (
            "3",
            "“bad” is not a valid phone number; one without + and a country code is "
            "read in the organization&#39;s country (IN).",
        )
    ]
    assert admin.get("/contacts").json["total"] == 1


def test_an_import_without_javascript_answers_the_page_with_the_report(
    admin_page, admin
):
    response = upload(admin_page, b"phone\n+919876500001\n")

    page = html(response)
    assert response.status_code == 200
    assert "1 created, 0 updated, 0 not imported." in page
    assert rows(page) == ["+919876500001"]


def test_an_unreadable_file_is_reported_and_nothing_imported(admin_page, admin):
    response = upload(admin_page, b"name\nPriya\n", headers=HTMX)

    assert response.status_code == 422
    assert "The file was not imported: The first row must be a header" in html(response)


def test_an_import_without_a_file_says_so(admin_page):
    response = post(admin_page, "/app/contacts/import")

    assert response.status_code == 422
    assert field_error(response, "import-file") == "Choose a CSV file to import."


def test_a_file_over_the_limit_is_refused_with_its_size(admin_page, admin):
    content = b"phone\n" + b"+919876543210\n" * (csv_import.MAX_CSV_BYTES // 14 + 1)

    response = upload(admin_page, content, headers=HTMX)

    assert response.status_code == 413
    assert (
        "The file was not imported: The file is larger than 20 MB: split it into "
        "parts." in html(response)
    )
    assert admin.get("/contacts").json["total"] == 0


def test_a_file_over_the_limit_without_javascript_gets_the_refused_page(admin_page):
    content = b"phone\n" + b"+919876543210\n" * (csv_import.MAX_CSV_BYTES // 14 + 1)

    response = upload(admin_page, content)

    assert response.status_code == 413
    assert "<p>The file is larger than 20 MB: split it into parts.</p>" in html(
        response
    )


def test_the_page_links_the_template_csv(admin_page):
    page = html(admin_page.get("/app/contacts"))
    link = re.search(r'<a href="([^"]+)" download id="csv-template">', page)[1]

    response = admin_page.get(link)

    assert response.status_code == 200
    assert response.data.startswith(b"phone,name,tags,city\r\n")
