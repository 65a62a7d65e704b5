"""/sales-team: members with name, email and a phone in E.164, optionally linked to
a user with the sales role; each role sees what design section 2 allows."""

import pytest

pytestmark = pytest.mark.usefixtures("app")


def add(api, **fields):
    body = {"name": "Ravi", "email": "ravi@acme.test", "phone": "98765 43210"}
    return api.post("/sales-team", json=body | fields)


def test_member_phone_is_stored_in_e164_of_the_orgs_country(admin):
    response = add(admin)

    assert response.status_code == 201
    member = response.json
    assert (member["name"], member["email"], member["phone"]) == (
        "Ravi",
        "ravi@acme.test",
        "+919876543210",
    )
    assert member["user_id"] is None
    assert admin.get("/sales-team").json["items"] == [member]


def test_member_with_a_bad_phone_points_at_the_phone(admin):
    response = add(admin, phone="12345")

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"phone": ["Not a valid phone number."]}


def test_member_linked_to_a_sales_user(team):
    response = add(team.admin, user_id=team.sales.id, email="sam@acme.test")

    assert response.status_code == 201
    assert response.json["user_id"] == team.sales.id


def test_only_a_sales_user_can_be_linked(team):
    response = add(team.admin, user_id=team.marketing.id)

    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "user_id": ["The user's role is not sales."]
    }


def test_a_user_of_another_org_cannot_be_linked(admin, other_admin):
    stranger = other_admin.get("/auth/me").json["id"]

    response = add(admin, user_id=stranger)

    assert response.status_code == 404


def test_the_same_email_or_phone_twice_answers_409(admin):
    add(admin)

    same_email = add(admin, phone="+919800000001")
    same_phone = add(admin, email="other@acme.test", phone="+91 98765-43210")

    assert (same_email.status_code, same_phone.status_code) == (409, 409)


def test_sales_users_see_only_their_own_entry_and_marketing_sees_all(team):
    add(team.admin)
    add(team.admin, user_id=team.sales.id, email="sam@acme.test", phone="+919800000002")

    seen_by_sales = team.sales.api.get("/sales-team").json
    seen_by_marketing = team.marketing.api.get("/sales-team").json

    assert [m["email"] for m in seen_by_sales["items"]] == ["sam@acme.test"]
    assert seen_by_sales["total"] == 1
    assert [m["email"] for m in seen_by_marketing["items"]] == [
        "ravi@acme.test",
        "sam@acme.test",
    ]


def test_only_the_admin_adds_and_removes_members(team):
    member = add(team.admin).json

    assert add(team.marketing.api).status_code == 403
    assert add(team.sales.api).status_code == 403
    assert team.sales.api.delete(f"/sales-team/{member['id']}").status_code == 403
    assert team.admin.get("/sales-team").json["total"] == 1


def test_removed_member_leaves_the_list(admin):
    member = add(admin).json

    response = admin.delete(f"/sales-team/{member['id']}")

    assert response.status_code == 204
    assert admin.get("/sales-team").json["total"] == 0
    assert admin.delete(f"/sales-team/{member['id']}").status_code == 404


def test_a_user_who_leaves_the_sales_role_is_unlinked(team):
    member = add(team.admin, user_id=team.sales.id).json

    team.admin.put(f"/admin/users/{team.sales.id}/role", json={"role": "marketing"})

    items = team.admin.get("/sales-team").json["items"]
    assert [(m["id"], m["user_id"]) for m in items] == [(member["id"], None)]
