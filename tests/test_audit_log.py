"""The audit log: security-relevant actions, read by the org's admin (their org's
only) and by the super admin (all, or one org's)."""

import pytest

from tests.conftest import PASSWORD
from tests.roles import login
from tests.support import setup_whatsapp

pytestmark = pytest.mark.usefixtures("app")


def entries(api, path="/admin/audit-log", **query) -> list[tuple]:
    body = api.get(path, query_string={"page_size": 100, **query}).json
    return [(e["action"], e["target"], e["actor_email"]) for e in body["items"]]


def test_org_admin_reads_their_orgs_events_newest_first(client, admin, other_admin):
    login(client, "admin@acme.test", "wrong-password")
    login(client, "admin@acme.test", PASSWORD)
    admin.post("/admin/access-list", json={"email": "mia@acme.test", "role": "sales"})
    admin.delete("/admin/access-list/mia@acme.test")
    setup_whatsapp(admin)
    admin.delete("/settings/whatsapp")
    admin.post("/settings/openai", json={"api_key": "sk-test-key-0001"})
    admin.delete("/settings/openai")

    log = entries(admin)

    me = "admin@acme.test"
    assert log == [
        ("credentials.openai_deleted", "openai", me),
        ("credentials.openai_saved", "openai", me),
        ("credentials.whatsapp_deleted", "whatsapp", me),
        ("credentials.whatsapp_saved", "whatsapp", me),
        ("invitation.revoked", "mia@acme.test", me),
        ("invitation.created", "mia@acme.test", me),
        ("login.succeeded", me, me),
        ("login.failed", me, None),
        ("org.signed_up", me, me),
    ]


def test_events_record_the_address_and_details(client, admin):
    client.post(
        "/auth/login",
        json={"email": "admin@acme.test", "password": "wrong-password"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )

    event = admin.get("/admin/audit-log").json["items"][0]

    assert (event["action"], event["ip"]) == ("login.failed", "10.9.8.7")
    assert event["details"] == {"reason": "wrong credentials"}
    assert event["org_id"] == admin.get("/auth/me").json["org_id"]


def test_the_audit_log_pages(client, admin):
    for _ in range(3):
        login(client, "admin@acme.test", PASSWORD)

    body = admin.get("/admin/audit-log?page=2&page_size=3").json

    assert body["total"] == 4
    assert [e["action"] for e in body["items"]] == ["org.signed_up"]


def test_only_the_org_admin_reads_the_org_log(team):
    assert team.marketing.api.get("/admin/audit-log").status_code == 403
    assert team.sales.api.get("/admin/audit-log").status_code == 403


def test_super_admin_reads_every_org_and_platform_events(
    client, team, other_admin, super_admin
):
    login(client, "nobody@nowhere.test", "wrong-password")
    bravo = other_admin.get("/auth/me").json["org_id"]

    everything = super_admin.get("/super-admin/audit-log?page_size=100").json
    only_bravo = entries(super_admin, "/super-admin/audit-log", org_id=bravo)

    orgs = {e["org_id"] for e in everything["items"]}
    assert orgs == {team.org_id, bravo, None}
    assert only_bravo == [("org.signed_up", "admin@bravo.test", "admin@bravo.test")]
    platform = [e for e in everything["items"] if e["org_id"] is None]
    assert [(e["action"], e["target"]) for e in platform] == [
        ("login.failed", "nobody@nowhere.test"),
        ("login.succeeded", "root@wfb.test"),
        ("super_admin.created", "root@wfb.test"),
    ]


def test_an_org_admin_never_sees_another_orgs_events(client, admin, other_admin):
    login(client, "admin@bravo.test", "wrong-password")

    log = entries(admin)

    assert [target for _, target, _ in log] == ["admin@acme.test"]
