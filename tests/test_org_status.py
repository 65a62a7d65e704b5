"""Suspended and deleted orgs: tokens issued before are refused on the next request,
their users cannot log in, their webhooks are acknowledged and dropped; activating
restores them."""

import pytest
from sqlalchemy import func, select

from tests.conftest import APP_SECRET, PASSWORD, Api
from tests.roles import login
from tests.support import post_webhook, setup_whatsapp, text_message
from wfb.audit.models import AuditEvent
from wfb.extensions import db
from wfb.webhooks.models import WebhookEvent

pytestmark = pytest.mark.usefixtures("app")


def set_status(super_admin, org_id: int, status: str):
    response = super_admin.put(
        f"/super-admin/organizations/{org_id}/status", json={"status": status}
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_suspended_orgs_token_is_refused_on_its_next_request(team, super_admin):
    assert team.admin.get("/auth/me").status_code == 200

    set_status(super_admin, team.org_id, "suspended")

    for api in team.by_role.values():
        response = api.get("/auth/me")
        assert response.status_code == 401
        assert response.json["message"] == "This organization is not active."


def test_a_suspended_orgs_refresh_token_is_refused(client, team, super_admin):
    refresh = team.marketing.tokens["refresh_token"]
    set_status(super_admin, team.org_id, "suspended")

    response = Api(client, refresh).post("/auth/refresh")

    assert response.status_code == 401


def test_a_suspended_orgs_users_cannot_log_in(client, team, super_admin):
    set_status(super_admin, team.org_id, "suspended")

    response = login(client, "mia@acme.test")

    assert response.status_code == 403
    assert response.json["message"] == "This organization is not active."
    refused = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "login.failed")
    ).all()
    assert refused == [{"reason": "organization suspended"}]


def test_activating_restores_logins_and_earlier_tokens(client, team, super_admin):
    set_status(super_admin, team.org_id, "suspended")

    body = set_status(super_admin, team.org_id, "active")

    assert body["status"] == "active"
    assert team.admin.get("/auth/me").status_code == 200
    assert login(client, "sam@acme.test").status_code == 200


def test_suspending_one_org_leaves_the_others_alone(team, other_admin, super_admin):
    set_status(super_admin, team.org_id, "suspended")

    assert other_admin.get("/auth/me").status_code == 200


def test_a_deleted_org_is_refused_and_hidden_from_the_default_list(
    client, team, super_admin
):
    response = super_admin.delete(f"/super-admin/organizations/{team.org_id}")

    assert response.status_code == 204
    assert team.admin.get("/auth/me").status_code == 401
    assert login(client, "admin@acme.test").status_code == 403
    assert super_admin.get("/super-admin/organizations").json["total"] == 0
    detail = super_admin.get(f"/super-admin/organizations/{team.org_id}").json
    assert detail["status"] == "deleted"


def test_activating_a_deleted_org_restores_it(client, team, super_admin):
    super_admin.delete(f"/super-admin/organizations/{team.org_id}")

    body = set_status(super_admin, team.org_id, "active")

    assert (body["status"], body["deleted_at"]) == ("active", None)
    assert login(client, "admin@acme.test", PASSWORD).status_code == 200


def test_an_unknown_status_points_at_the_status(team, super_admin):
    response = super_admin.put(
        f"/super-admin/organizations/{team.org_id}/status", json={"status": "deleted"}
    )

    assert response.status_code == 422
    assert "status" in response.json["errors"]["json"]


def test_status_changes_are_audited_with_the_super_admin(team, super_admin):
    set_status(super_admin, team.org_id, "suspended")
    set_status(super_admin, team.org_id, "active")
    super_admin.delete(f"/super-admin/organizations/{team.org_id}")

    log = super_admin.get(f"/super-admin/audit-log?org_id={team.org_id}").json
    changes = [
        (e["action"], e["details"].get("previous"), e["actor_email"])
        for e in log["items"]
        if e["action"].startswith("org.")
    ]
    assert changes == [
        ("org.deleted", "active", "root@wfb.test"),
        ("org.activated", "suspended", "root@wfb.test"),
        ("org.suspended", "active", "root@wfb.test"),
        ("org.signed_up", None, "admin@acme.test"),
    ]


@pytest.mark.parametrize("change", ["suspend", "delete"])
def test_webhooks_of_an_inactive_org_are_acknowledged_and_dropped(
    client, admin, super_admin, change
):
    org = setup_whatsapp(admin)
    if change == "suspend":
        set_status(super_admin, org.org_id, "suspended")
    else:
        super_admin.delete(f"/super-admin/organizations/{org.org_id}")

    body = text_message("hello", "wamid.dropped-1")
    response = post_webhook(client, body, APP_SECRET, org.path)

    assert response.status_code == 200
    assert response.json == {"status": "dropped"}
    stored = db.session.scalar(select(func.count()).select_from(WebhookEvent))
    assert stored == 0
