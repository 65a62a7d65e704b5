import pytest
from sqlalchemy import select, text

from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

CREDENTIALS = {
    "waba_id": "100000000000001",
    "app_id": "300000000000001",
    "access_token": "EAAG-secret-token-9876",
    "app_secret": "app-secret-5432",
    "verify_token": "verify-me-1111",
}
NUMBER = {"phone_number_id": "200000000000001", "display_phone_number": "15550001111"}


def test_whatsapp_settings_answer_masked_secrets(admin):
    response = admin.post("/settings/whatsapp", json=CREDENTIALS)

    assert response.status_code == 200
    assert response.json["access_token"] == {"set": True, "last4": "9876"}
    assert response.json["app_secret"] == {"set": True, "last4": "5432"}
    assert "EAAG-secret-token-9876" not in response.get_data(as_text=True)
    assert admin.get("/settings/whatsapp").json["configured"] is True


def test_whatsapp_secrets_are_encrypted_at_rest(admin):
    admin.post("/settings/whatsapp", json=CREDENTIALS)

    row = db.session.execute(text("SELECT * FROM whatsapp_accounts")).mappings().one()

    stored = " ".join(str(value) for value in row.values())
    for secret in ("EAAG-secret-token-9876", "app-secret-5432", "verify-me-1111"):
        assert secret not in stored
    account = db.session.scalar(select(WhatsAppAccount))
    assert account.access_token == "EAAG-secret-token-9876"


def test_deleting_whatsapp_settings_forgets_them(admin):
    admin.post("/settings/whatsapp", json=CREDENTIALS)

    assert admin.delete("/settings/whatsapp").status_code == 204

    status = admin.get("/settings/whatsapp").json
    assert status["configured"] is False
    assert status["access_token"] == {"set": False, "last4": None}


def test_whatsapp_settings_with_a_missing_field_point_at_it(admin):
    body = {k: v for k, v in CREDENTIALS.items() if k != "app_secret"}

    response = admin.post("/settings/whatsapp", json=body)

    assert response.status_code == 422
    assert "app_secret" in response.json["errors"]["json"]


def test_phone_number_lifecycle(admin):
    admin.post("/settings/whatsapp", json=CREDENTIALS)
    created = admin.post("/phone-numbers", json={**NUMBER, "label": "Main"})
    number_id = created.json["id"]

    updated = admin.put(
        f"/phone-numbers/{number_id}", json={"messages_per_second": 500}
    )
    listed = admin.get("/phone-numbers/list")
    deleted = admin.delete(f"/phone-numbers/{number_id}")

    assert created.status_code == 201
    assert created.json["messages_per_second"] == 80
    assert updated.json["messages_per_second"] == 500
    assert updated.json["label"] == "Main"
    assert listed.json == [
        {"id": number_id, "display_phone_number": "15550001111", "label": "Main"}
    ]
    assert deleted.status_code == 204
    assert admin.get(f"/phone-numbers/{number_id}").status_code == 404


def test_rate_above_metas_maximum_is_refused(admin):
    response = admin.post(
        "/phone-numbers", json={**NUMBER, "messages_per_second": 1001}
    )

    assert response.status_code == 422
    assert "messages_per_second" in response.json["errors"]["json"]


def test_a_number_registered_twice_answers_409(admin, other_admin):
    for api in (admin, other_admin):
        api.post("/settings/whatsapp", json=CREDENTIALS)
    admin.post("/phone-numbers", json=NUMBER)

    response = other_admin.post("/phone-numbers", json=NUMBER)

    assert response.status_code == 409


def test_another_orgs_number_answers_404(admin, other_admin):
    admin.post("/settings/whatsapp", json=CREDENTIALS)
    number_id = admin.post("/phone-numbers", json=NUMBER).json["id"]

    assert other_admin.get(f"/phone-numbers/{number_id}").status_code == 404
    assert (
        other_admin.put(f"/phone-numbers/{number_id}", json={"label": "x"}).status_code
        == 404
    )
    assert other_admin.delete(f"/phone-numbers/{number_id}").status_code == 404
    assert other_admin.get("/phone-numbers").json == []


def test_assigning_another_orgs_flow_answers_404(admin, other_admin):
    admin.post("/settings/whatsapp", json=CREDENTIALS)
    flow = {
        "name": "F",
        "trigger": {"type": "any"},
        "nodes": [{"id": "start", "type": "start"}, {"id": "end", "type": "end"}],
        "edges": [{"source": "start", "target": "end"}],
    }
    flow_id = other_admin.post("/flows", json=flow).json["id"]

    response = admin.post("/phone-numbers", json={**NUMBER, "flow_id": flow_id})

    assert response.status_code == 404


def test_requests_without_a_token_answer_401(client):
    for path in ("/phone-numbers", "/settings/whatsapp", "/flows", "/auth/me"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json["code"] == 401


def test_ids_too_large_for_the_database_answer_404(admin):
    assert admin.get("/phone-numbers/99999999999999999999").status_code == 404
    assert admin.get("/flows/99999999999999999999").status_code == 404


def test_json_nested_too_deeply_answers_400(admin):
    body = "[" * 100_000 + "]" * 100_000

    response = admin.post(
        "/flows", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json["message"] == "The request body is nested too deeply."


def test_token_whose_subject_is_not_an_id_answers_401(app, client):
    import time

    import jwt

    now = int(time.time())
    claims = {"sub": "abc", "type": "access", "jti": "j", "fresh": False, "tv": 0,
              "iat": now, "nbf": now, "exp": now + 60}  # fmt: skip
    token = jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")

    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_access_token_with_a_line_break_is_refused(admin):
    response = admin.post(
        "/settings/whatsapp", json={**CREDENTIALS, "access_token": "EAAG\r\nX-Evil: 1"}
    )

    assert response.status_code == 422
    assert "access_token" in response.json["errors"]["json"]


def test_number_needs_credentials_that_meta_confirms(admin, graph, app):
    app.config["SETTINGS"].META_GRAPH_URL = graph.url

    without = admin.post("/phone-numbers", json=NUMBER)
    admin.post("/settings/whatsapp", json=CREDENTIALS)
    graph.fail_next(code=100, status=400, endpoint="phone")
    refused = admin.post("/phone-numbers", json=NUMBER)
    confirmed = admin.post("/phone-numbers", json=NUMBER)

    assert without.status_code == 422
    assert "no WhatsApp credentials" in without.json["message"]
    assert refused.status_code == 422
    assert refused.json["message"].startswith("Meta did not confirm number")
    assert "phone_number_id" in refused.json["errors"]["json"]
    assert confirmed.status_code == 201
    lookups = [r for r in graph.requests if r.method == "GET"]
    assert lookups[-1].path == "/v25.0/200000000000001"
    assert lookups[-1].headers["Authorization"] == "Bearer EAAG-secret-token-9876"


def test_page_number_past_any_list_answers_422(admin):
    response = admin.get("/flows?page=99999999999999999999")

    assert response.status_code == 422
    assert "page" in response.json["errors"]["query"]
