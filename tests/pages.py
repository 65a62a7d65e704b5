"""Helpers for tests of the dashboard's pages: a logged-in browser-like client,
and reading a page's HTML."""

import re

from tests.conftest import PASSWORD

HTMX = {"HX-Request": "true"}


def page_client(app, email, password=PASSWORD, path="/app/login"):
    """A client logged in to the dashboard; `.csrf` is its session's CSRF token."""
    client = app.test_client()
    response = client.post(path, data={"email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    client.csrf = client.get_cookie("csrf_access_token").value
    return client


def post(client, path, headers=None, **data):
    """Post a form as the page does, with the session's CSRF token."""
    return client.post(path, data={"csrf_token": client.csrf, **data}, headers=headers)


def html(response) -> str:
    return response.get_data(as_text=True)


def field_error(response, field_id: str) -> str | None:
    """The error shown under the field with this id, if any."""
    match = re.search(rf'<p id="{field_id}-error"[^>]*>([^<]*)</p>', html(response))
    return match[1] if match else None
