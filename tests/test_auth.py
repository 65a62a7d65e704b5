from tests.conftest import PASSWORD, signup


def test_signup_creates_org_admin_and_tokens(client):
    tokens = signup(client)

    assert tokens["user"]["role"] == "admin"
    assert tokens["user"]["email"] == "admin@acme.test"
    assert tokens["user"]["org_id"] > 0
    me = client.get(
        "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json["email"] == "admin@acme.test"


def test_login_with_wrong_password_answers_401(client):
    signup(client)

    response = client.post(
        "/auth/login", json={"email": "admin@acme.test", "password": "nope-nope"}
    )

    assert response.status_code == 401
    assert response.json["message"] == "Wrong email or password."


def test_refresh_token_gives_a_working_access_token(client):
    tokens = signup(client)

    response = client.post(
        "/auth/refresh",
        headers={"Authorization": f"Bearer {tokens['refresh_token']}"},
    )

    assert response.status_code == 200
    me = client.get(
        "/auth/me", headers={"Authorization": f"Bearer {response.json['access_token']}"}
    )
    assert me.json["id"] == tokens["user"]["id"]


def test_access_token_cannot_refresh(client):
    tokens = signup(client)

    response = client.post(
        "/auth/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert response.status_code == 401


def test_signup_with_taken_email_answers_409(client):
    signup(client)

    response = client.post(
        "/auth/signup",
        json={
            "organization_name": "Other",
            "name": "X",
            "email": "ADMIN@acme.test",
            "password": PASSWORD,
        },
    )

    assert response.status_code == 409


def test_signup_with_bad_email_points_at_the_field(client):
    response = client.post(
        "/auth/signup",
        json={
            "organization_name": "O",
            "name": "N",
            "email": "x",
            "password": PASSWORD,
        },
    )

    assert response.status_code == 422
    assert "email" in response.json["errors"]["json"]
