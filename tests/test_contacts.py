"""The contacts API: numbers in E.164, search and tag filters, paging, changes,
opt-outs, roles, and the audiences campaigns choose from."""

import pytest

from wfb.accounts.models import Org
from wfb.audit.models import AuditEvent
from wfb.contacts.service import audience_query
from wfb.errors import DomainError
from wfb.extensions import db


def add(api, phone, name="", tags=(), attributes=None, **extra):
    body = {"phone": phone, "name": name, "tags": list(tags), **extra}
    if attributes is not None:
        body["attributes"] = attributes
    response = api.post("/contacts", json=body)
    assert response.status_code == 201, response.json
    return response.json


def phones(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["phone"] for item in response.json["items"]]


def org_id(api) -> int:
    return api.get("/auth/me").json["org_id"]


def test_a_new_contact_is_stored_in_e164_in_the_orgs_country(admin):
    response = admin.post(
        "/contacts",
        json={
            "phone": "098765 43210",
            "name": " Priya Sharma ",
            "tags": ["vip", " gold ", "vip"],
            "attributes": {"city": "Pune"},
        },
    )

    assert response.status_code == 201
    body = response.json
    assert body["phone"] == "+919876543210"
    assert body["wa_id"] == "919876543210"
    assert body["name"] == "Priya Sharma"
    assert body["tags"] == ["vip", "gold"]
    assert body["attributes"] == {"city": "Pune"}
    assert body["opted_out"] is False
    assert body["opted_out_at"] is None


def test_a_number_with_its_country_code_keeps_that_country(admin):
    assert add(admin, "+1 415 555 2671")["phone"] == "+14155552671"
    assert add(admin, "0044 7911 123456")["phone"] == "+447911123456"


def test_the_same_number_written_differently_is_a_409(admin):
    first = add(admin, "+919876543210")

    response = admin.post("/contacts", json={"phone": "98765-43210"})

    assert response.status_code == 409
    message = (
        f"A contact with the phone number +919876543210 already exists "
        f"(id {first['id']})."
    )
    assert response.json["message"] == message
    assert response.json["errors"] == {"json": {"phone": [message]}}


def test_an_invalid_number_is_a_422_on_the_phone_field(admin):
    response = admin.post("/contacts", json={"phone": "12345"})

    assert response.status_code == 422
    assert response.json["errors"] == {
        "json": {
            "phone": [
                "“12345” is not a valid phone number; one without + and a country "
                "code is read in the organization's country (IN)."
            ]
        }
    }


def test_a_number_in_scientific_notation_is_named_as_such(admin):
    response = admin.post("/contacts", json={"phone": "9.19877E+11"})

    assert response.status_code == 422
    assert response.json["message"] == (
        "“9.19877E+11” is a number in scientific notation, which has lost its last "
        "digits: format the phone column as text in your spreadsheet."
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"tags": ["vip,gold"]}, "tags", "A tag cannot hold a comma, semicolon or “|”"),
        ({"tags": ["x" * 65]}, "tags", "A tag is at most 64 characters"),
        ({"tags": ["a\x01b"]}, "tags", "A tag cannot hold control characters."),
        ({"name": "n" * 201}, "name", "A name is at most 200 characters."),
        ({"name": "bad\x01name"}, "name", "A name cannot hold control characters."),
        ({"attributes": {"age": 30}}, "attributes", "Not a valid string."),
        ({"attributes": {"note": "a\x01"}}, "attributes", "cannot hold control"),
        ({"phone": ""}, "phone", "Length must be between 1 and 40."),
        ({"tags": "vip"}, "tags", "Not a valid list."),
    ],
)
def test_bad_fields_are_refused_with_a_422_naming_the_field(
    admin, body, field, message
):
    response = admin.post("/contacts", json={"phone": "+919876543210", **body})

    assert response.status_code == 422
    assert message in str(response.json["errors"]["json"][field])
    assert admin.get("/contacts").json["total"] == 0


def test_fifty_one_tags_are_too_many(admin):
    tags = [f"t{i}" for i in range(51)]

    response = admin.post("/contacts", json={"phone": "+919876543210", "tags": tags})

    assert response.status_code == 422
    assert response.json["errors"]["json"]["tags"] == ["Longer than maximum length 50."]


def test_the_list_is_newest_first_and_pages_with_a_total(admin):
    made = [add(admin, f"+9198765000{i:02d}") for i in range(5)]

    first = admin.get("/contacts?page=1&page_size=2")
    last = admin.get("/contacts?page=3&page_size=2")

    assert phones(first) == [made[4]["phone"], made[3]["phone"]]
    assert first.json["total"] == 5
    assert phones(last) == [made[0]["phone"]]
    assert phones(admin.get("/contacts?page=4&page_size=2")) == []


def test_search_matches_part_of_the_name_without_regard_to_case(admin):
    add(admin, "+919876500001", "Priya Sharma")
    add(admin, "+919876500002", "Rahul Verma")

    assert phones(admin.get("/contacts?q=sharma")) == ["+919876500001"]
    assert phones(admin.get("/contacts?q=RAHUL")) == ["+919876500002"]


def test_search_matches_the_digits_of_a_number_written_with_spaces(admin):
    add(admin, "+919876500001", "Priya")
    add(admin, "+919812300002", "Rahul")

    assert phones(admin.get("/contacts", query_string={"q": "98765 000"})) == [
        "+919876500001"
    ]
    assert phones(admin.get("/contacts", query_string={"q": "+91 98"})) == [
        "+919812300002",
        "+919876500001",
    ]


def test_search_takes_percent_and_underscore_literally(admin):
    add(admin, "+919812300001", "50% off")
    add(admin, "+919812300002", "fifty off")
    add(admin, "+919812300003", "a_b")
    add(admin, "+919812300004", "axb")

    assert phones(admin.get("/contacts", query_string={"q": "50%"})) == [
        "+919812300001"
    ]
    assert phones(admin.get("/contacts", query_string={"q": "a_b"})) == [
        "+919812300003"
    ]


def test_repeated_tag_filters_ask_for_contacts_with_all_of_them(admin):
    add(admin, "+919876500001", tags=["vip", "gold"])
    add(admin, "+919876500002", tags=["vip"])
    add(admin, "+919876500003", tags=["gold"])

    both = admin.get("/contacts", query_string=[("tag", "vip"), ("tag", "gold")])
    vip = admin.get("/contacts", query_string={"tag": "vip"})

    assert phones(both) == ["+919876500001"]
    assert phones(vip) == ["+919876500002", "+919876500001"]


def test_a_tag_filter_matches_whole_tags_exactly(admin):
    add(admin, "+919876500001", tags=["vip2", "VIP", 'say "hi"', "o'neil"])
    add(admin, "+919876500002", tags=["vip"])

    assert phones(admin.get("/contacts?tag=vip")) == ["+919876500002"]
    assert phones(admin.get("/contacts", query_string={"tag": 'say "hi"'})) == [
        "+919876500001"
    ]
    assert phones(admin.get("/contacts", query_string={"tag": "o'neil"})) == [
        "+919876500001"
    ]
    assert phones(admin.get("/contacts?tag=vi%25")) == []


def test_a_search_with_a_nul_character_is_a_422(admin):
    assert admin.get("/contacts", query_string={"q": "a\x00"}).status_code == 422
    assert admin.get("/contacts", query_string={"tag": "a\x00"}).status_code == 422


def test_changes_touch_only_the_fields_given(admin):
    contact = add(admin, "+919876500001", "Priya", ["vip"], {"city": "Pune"})

    response = admin.put(f"/contacts/{contact['id']}", json={"name": "Priya S"})

    assert response.status_code == 200
    assert response.json["name"] == "Priya S"
    assert response.json["tags"] == ["vip"]
    assert response.json["attributes"] == {"city": "Pune"}
    assert admin.get(f"/contacts/{contact['id']}").json["name"] == "Priya S"


def test_a_changed_number_is_normalized_and_must_be_free(admin):
    contact = add(admin, "+919876500001")
    add(admin, "+919876500002")
    url = f"/contacts/{contact['id']}"

    taken = admin.put(url, json={"phone": "09876500002"})
    moved = admin.put(url, json={"phone": "09876500003"})

    assert taken.status_code == 409
    assert moved.status_code == 200
    assert moved.json["phone"] == "+919876500003"


def test_tags_are_added_and_removed_keeping_the_others(admin):
    contact = add(admin, "+919876500001", tags=["vip", "new"])
    url = f"/contacts/{contact['id']}/tags"

    response = admin.post(url, json={"add": ["gold", "vip"], "remove": ["new"]})

    assert response.status_code == 200
    assert response.json["tags"] == ["vip", "gold"]


def test_a_tag_change_with_nothing_to_do_is_a_422(admin):
    contact = add(admin, "+919876500001")

    response = admin.post(f"/contacts/{contact['id']}/tags", json={})

    assert response.status_code == 422
    assert response.json["errors"] == {
        "json": {"add": ["Give a tag to add or to remove."]}
    }


def test_a_deleted_contact_is_gone(admin):
    contact = add(admin, "+919876500001")

    assert admin.delete(f"/contacts/{contact['id']}").status_code == 204
    assert admin.get(f"/contacts/{contact['id']}").status_code == 404
    assert admin.get("/contacts").json["total"] == 0


def test_another_orgs_contact_is_a_404_and_stays_as_it_was(admin, other_admin):
    contact = add(admin, "+919876500001", "Priya")
    url = f"/contacts/{contact['id']}"

    answers = [
        other_admin.get(url).status_code,
        other_admin.put(url, json={"name": "Stolen"}).status_code,
        other_admin.post(f"{url}/tags", json={"add": ["x"]}).status_code,
        other_admin.delete(url).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert admin.get(url).json["name"] == "Priya"
    assert other_admin.get("/contacts").json["total"] == 0


def test_two_orgs_may_each_have_a_contact_with_the_same_number(admin, other_admin):
    add(admin, "+919876500001")

    assert add(other_admin, "+919876500001")["phone"] == "+919876500001"


def assign_conversation(org_id: int, contact_id: int, user_id: int) -> None:
    """A conversation with the contact, given to the user, as the inbox would."""
    from wfb.conversations.models import Conversation
    from wfb.phone_numbers.models import PhoneNumber

    number = PhoneNumber(
        org_id=org_id, phone_number_id="200000000000001", display_phone_number="+1"
    )
    db.session.add(number)
    db.session.flush()
    db.session.add(
        Conversation(
            org_id=org_id,
            phone_number_id=number.id,
            contact_id=contact_id,
            assigned_user_id=user_id,
        )
    )
    db.session.commit()


def test_sales_reads_only_their_conversations_contacts_and_changes_none(team):
    theirs = add(team.admin, "+919876500001")
    other = add(team.admin, "+919876500003")
    assign_conversation(team.org_id, theirs["id"], team.sales.id)
    sales = team.sales.api

    assert phones(sales.get("/contacts")) == ["+919876500001"]
    assert sales.get(f"/contacts/{theirs['id']}").status_code == 200
    assert sales.get(f"/contacts/{other['id']}").status_code == 404
    assert sales.post("/contacts", json={"phone": "+919876500002"}).status_code == 403
    assert sales.put(f"/contacts/{theirs['id']}", json={}).status_code == 403
    assert sales.delete(f"/contacts/{theirs['id']}").status_code == 403


def test_an_opted_out_contact_is_kept_so_its_opt_out_lasts(team):
    contact = add(team.admin, "+919876500001")
    url = f"/contacts/{contact['id']}"
    team.marketing.api.put(url, json={"opted_out": True})

    refused = team.marketing.api.delete(url)

    assert refused.status_code == 409
    assert team.admin.get(url).json["opted_out"] is True
    assert team.admin.put(url, json={"opted_out": False}).status_code == 200
    assert team.admin.delete(url).status_code == 204


def test_a_text_with_nul_is_refused_as_malformed_json(admin):
    response = admin.post("/contacts", json={"phone": "+919876500001", "name": "a\x00"})

    assert response.status_code == 400
    assert admin.get("/contacts").json["total"] == 0


def test_marketing_marks_an_opt_out_and_only_an_admin_clears_it(app, team):
    contact = add(team.admin, "+919876500001")
    url = f"/contacts/{contact['id']}"
    marketing = team.marketing.api

    marked = marketing.put(url, json={"opted_out": True})
    refused = marketing.put(url, json={"opted_out": False, "name": "Changed"})
    cleared = team.admin.put(url, json={"opted_out": False})

    assert marked.status_code == 200
    assert marked.json["opted_out"] is True
    assert marked.json["opted_out_at"] is not None
    assert refused.status_code == 403
    assert refused.json["message"] == (
        "Only an admin can clear an opt-out: the customer asked for no messages."
    )
    assert cleared.status_code == 200
    assert cleared.json["opted_out"] is False
    assert cleared.json["opted_out_at"] is None
    assert team.admin.get(url).json["name"] == ""
    actions = db.session.execute(
        db.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.target)
        .where(AuditEvent.action.like("contact.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(row) for row in actions] == [
        ("contact.opted_out", team.marketing.id, "+919876500001"),
        ("contact.opt_out_cleared", team.admin_id, "+919876500001"),
    ]


def test_a_contact_may_be_created_opted_out(admin):
    body = add(admin, "+919876500001", opted_out=True)

    assert body["opted_out"] is True
    assert body["opted_out_at"] is not None


def test_an_orgs_default_country_reads_numbers_without_a_country_code(app, client):
    tokens = client.post(
        "/auth/signup",
        json={
            "organization_name": "London Cafe",
            "name": "Li",
            "email": "li@cafe.test",
            "password": "correct-horse-battery",
        },
    ).json
    db.session.get(Org, tokens["user"]["org_id"]).default_country = "GB"
    db.session.commit()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    response = client.post("/contacts", json={"phone": "07911 123456"}, headers=headers)

    assert response.json["phone"] == "+447911123456"


# The audiences a campaign chooses from.


def _audience(org, audience) -> list[str]:
    return [c.phone for c in db.session.scalars(audience_query(org, audience))]


def test_an_audience_of_ids_keeps_only_the_orgs_contacts_in_id_order(
    admin, other_admin
):
    mine = [add(admin, f"+9198765000{i:02d}") for i in range(3)]
    theirs = add(other_admin, "+919876500099")
    ids = [mine[2]["id"], theirs["id"], mine[0]["id"], "7", True, -1]

    found = _audience(org_id(admin), {"contact_ids": ids})

    assert found == [mine[0]["phone"], mine[2]["phone"]]


def test_an_audience_of_tags_takes_contacts_with_any_of_them(admin, other_admin):
    add(admin, "+919876500001", tags=["vip"])
    add(admin, "+919876500002", tags=["gold", "vip"])
    add(admin, "+919876500003", tags=["new"])
    add(admin, "+919876500004", opted_out=True, tags=["gold"])
    add(other_admin, "+919876500005", tags=["vip"])

    found = _audience(org_id(admin), {"tags": ["vip", "gold"]})

    assert found == ["+919876500001", "+919876500002", "+919876500004"]
    assert _audience(org_id(admin), {"tags": []}) == []


def test_an_audience_of_all_takes_every_contact_of_the_org(admin, other_admin):
    add(admin, "+919876500001")
    add(admin, "+919876500002")
    add(other_admin, "+919876500003")

    assert _audience(org_id(admin), {"all": True}) == [
        "+919876500001",
        "+919876500002",
    ]


def test_an_audience_of_nothing_known_is_refused(admin):
    with pytest.raises(DomainError, match="An audience is contact_ids, tags or all"):
        audience_query(org_id(admin), {"all": False})


def test_fictional_numbers_such_as_the_previews_are_no_audience(admin):
    real = add(admin, "+12025551234")
    add(admin, "+12015550103")  # 555-01XX: set aside for fiction
    query = audience_query(org_id(admin), {"all": True})

    assert [c.id for c in db.session.scalars(query)] == [real["id"]]
