"""Login, signup, forgot-password and the super admin login are limited per client
address and per account, in memory or in Redis (whichever the app runs with)."""

import pytest

from tests.conftest import PASSWORD, signup
from tests.roles import SUPER_ADMIN_EMAIL
from wfb.accounts.limits import account_key

pytestmark = pytest.mark.usefixtures("app")

TOO_MANY = {
    "code": 429,
    "status": "Too Many Requests",
    "message": "Too many requests: 10 per 1 minute",
}


@pytest.fixture
def settings_overrides():
    return {"RATELIMIT_ENABLED": True}


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def login(client, email, password="wrong-password", address="10.0.0.1", path=None):
    return client.post(
        path or "/auth/login",
        json={"email": email, "password": password},
        **from_address(address),
    )


def test_the_eleventh_failed_login_from_one_address_within_a_minute_answers_429(
    client,
):
    codes = [login(client, f"guess{n}@acme.test").status_code for n in range(10)]

    eleventh = login(client, "guess10@acme.test")

    assert codes == [401] * 10
    assert eleventh.status_code == 429
    assert eleventh.json == TOO_MANY


def test_the_limited_address_does_not_stop_another_one(client):
    signup(client)
    for n in range(11):
        login(client, f"guess{n}@acme.test")

    other = login(client, "admin@acme.test", PASSWORD, address="10.0.0.2")

    assert other.status_code == 200


def test_failed_logins_to_one_account_from_many_addresses_are_limited(client):
    codes = [
        login(client, "admin@acme.test", address=f"10.0.1.{n}").status_code
        for n in range(11)
    ]

    assert codes == [401] * 10 + [429]


def test_successful_logins_are_not_counted(client):
    signup(client)

    codes = {login(client, "admin@acme.test", PASSWORD).status_code for _ in range(12)}

    assert codes == {200}


def test_the_super_admin_login_is_limited_too(client, super_admin):
    codes = [
        login(client, SUPER_ADMIN_EMAIL, path="/super-admin/login").status_code
        for _ in range(11)
    ]

    assert codes == [401] * 10 + [429]


def test_signup_is_limited_per_address(client):
    def signup_from(n, address="10.0.2.1"):
        body = {
            "organization_name": f"Org {n}",
            "name": "N",
            "email": f"owner{n}@org.test",
            "password": PASSWORD,
        }
        return client.post("/auth/signup", json=body, **from_address(address))

    codes = [signup_from(n).status_code for n in range(11)]

    assert codes == [201] * 10 + [429]
    assert signup_from(99, address="10.0.2.2").status_code == 201


def test_forgot_password_is_limited_per_account(client):
    codes = [
        client.post(
            "/auth/forgot-password",
            json={"email": "admin@acme.test"},
            **from_address(f"10.0.3.{n}"),
        ).status_code
        for n in range(6)
    ]

    assert codes == [202] * 5 + [429]


def test_a_form_post_is_counted_for_the_account_of_its_email_field(app):
    form = {"email": " Admin@Acme.test ", "password": "x"}
    with app.test_request_context("/app/login", method="POST", data=form):
        assert account_key() == "account:admin@acme.test"
    with app.test_request_context("/auth/login", method="POST", json={"email": 1}):
        assert account_key() == "no-account:127.0.0.1"
