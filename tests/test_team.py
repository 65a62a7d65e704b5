"""/admin: invitations with a role, signing up through them, revoking, role changes,
and the admin an org always keeps."""

import pytest
from sqlalchemy import func, select

from tests.roles import invite, join, login
from wfb.accounts.models import Invitation, Org
from wfb.audit.models import AuditEvent
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")


def org_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Org))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_signup_with_an_invited_email_joins_the_org_with_the_role(client, admin):
    org_id = admin.get("/auth/me").json["org_id"]
    invite(admin, "Mia@Acme.test", "marketing")

    tokens = join(client, "mia@acme.test")

    assert tokens["user"]["org_id"] == org_id
    assert tokens["user"]["role"] == "marketing"
    assert org_count() == 1
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.status) == ("mia@acme.test", "accepted")
    assert invitation.accepted_at is not None
    assert actions()[-1] == "invitation.accepted"


def test_signup_without_an_invitation_creates_a_new_org_with_its_admin(client, admin):
    tokens = join(client, "stranger@elsewhere.test")

    assert tokens["user"]["role"] == "admin"
    assert tokens["user"]["org_id"] != admin.get("/auth/me").json["org_id"]
    assert org_count() == 2


def test_team_lists_users_with_roles_and_pending_invitations_apart(client, team):
    invite(team.admin, "pending@acme.test", "sales")

    body = team.admin.get("/admin/team").json

    users = [(user["email"], user["role"]) for user in body["items"]]
    assert users == [
        ("admin@acme.test", "admin"),
        ("mia@acme.test", "marketing"),
        ("sam@acme.test", "sales"),
    ]
    assert (body["total"], body["page"], body["page_size"]) == (3, 1, 20)
    invited = [(i["email"], i["role"], i["status"]) for i in body["invitations"]]
    assert invited == [("pending@acme.test", "sales", "pending")]


def test_team_pages_its_users(team):
    body = team.admin.get("/admin/team?page=2&page_size=2").json

    assert [user["email"] for user in body["items"]] == ["sam@acme.test"]
    assert body["total"] == 3


def test_access_list_shows_only_pending_invitations(client, admin):
    invite(admin, "mia@acme.test", "marketing")
    invite(admin, "sam@acme.test", "sales")
    join(client, "mia@acme.test")

    body = admin.get("/admin/access-list").json

    assert [(i["email"], i["role"]) for i in body["items"]] == [
        ("sam@acme.test", "sales")
    ]
    assert body["total"] == 1


def test_inviting_again_changes_the_pending_role(admin):
    invite(admin, "mia@acme.test", "marketing")

    invite(admin, "mia@acme.test", "sales")

    items = admin.get("/admin/access-list").json["items"]
    assert [(i["email"], i["role"]) for i in items] == [("mia@acme.test", "sales")]


def test_revoked_invitation_no_longer_joins_the_org(client, admin):
    invite(admin, "mia@acme.test", "marketing")

    response = admin.delete("/admin/access-list/mia@acme.test")

    assert response.status_code == 204
    assert admin.get("/admin/access-list").json["total"] == 0
    assert join(client, "mia@acme.test")["user"]["role"] == "admin"
    assert org_count() == 2
    assert "invitation.revoked" in actions()


def test_revoking_an_email_without_invitation_answers_404(admin):
    response = admin.delete("/admin/access-list/nobody@acme.test")

    assert response.status_code == 404
    assert response.json["message"] == "No pending invitation for nobody@acme.test."


def test_inviting_an_email_with_an_account_answers_409(client, admin, other_admin):
    response = admin.post(
        "/admin/access-list", json={"email": "admin@bravo.test", "role": "sales"}
    )

    assert response.status_code == 409
    assert response.json["message"] == "This email already has an account."


def test_inviting_with_an_unknown_role_points_at_the_role(admin):
    response = admin.post(
        "/admin/access-list", json={"email": "x@acme.test", "role": "super_admin"}
    )

    assert response.status_code == 422
    assert "role" in response.json["errors"]["json"]


def test_admin_changes_a_users_role_and_access_follows(team):
    assert team.marketing.api.get("/flows").status_code == 200

    response = team.admin.put(
        f"/admin/users/{team.marketing.id}/role", json={"role": "sales"}
    )

    assert response.status_code == 200
    assert response.json["role"] == "sales"
    assert team.marketing.api.get("/auth/me").json["role"] == "sales"
    assert team.marketing.api.get("/flows").status_code == 403
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.role_changed")
    ).one()
    assert (event.actor_id, event.target) == (team.admin_id, "mia@acme.test")
    assert event.details == {"previous": "marketing", "role": "sales"}


def test_the_last_admin_cannot_be_demoted(team):
    response = team.admin.put(
        f"/admin/users/{team.admin_id}/role", json={"role": "marketing"}
    )

    assert response.status_code == 409
    assert response.json["message"] == "The organization must keep at least one admin."
    assert team.admin.get("/auth/me").json["role"] == "admin"


def test_an_admin_can_step_down_once_another_admin_exists(team):
    team.admin.put(f"/admin/users/{team.marketing.id}/role", json={"role": "admin"})

    response = team.admin.put(
        f"/admin/users/{team.admin_id}/role", json={"role": "sales"}
    )

    assert response.status_code == 200
    assert team.admin.get("/auth/me").json["role"] == "sales"
    assert team.marketing.api.get("/admin/team").status_code == 200


def test_marketing_and_sales_cannot_manage_the_team(team):
    for api in (team.marketing.api, team.sales.api):
        assert api.get("/admin/team").status_code == 403
        assert (
            api.post(
                "/admin/access-list", json={"email": "x@acme.test", "role": "admin"}
            ).status_code
            == 403
        )


def test_invitation_of_a_suspended_org_is_not_used_at_signup(client, admin):
    invite(admin, "mia@acme.test", "marketing")
    db.session.scalar(select(Org)).status = "suspended"
    db.session.commit()

    tokens = join(client, "mia@acme.test")

    assert tokens["user"]["role"] == "admin"
    assert login(client, "mia@acme.test").status_code == 200
