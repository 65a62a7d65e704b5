"""/settings/openai: the org's own OpenAI key, encrypted at rest and shown only as
whether it is set and its last four characters."""

import pytest
from sqlalchemy import select

from wfb.credentials.models import OpenAIKey
from wfb.credentials.openai import openai_key
from wfb.extensions import db

pytestmark = pytest.mark.usefixtures("app")

KEY = "sk-proj-abcdefghijklmnop-WXYZ"


def test_without_a_key_the_status_says_not_set(admin):
    response = admin.get("/settings/openai")

    assert response.status_code == 200
    assert response.json == {"set": False, "last4": None}


def test_a_saved_key_is_encrypted_and_shown_by_its_last_four(admin):
    saved = admin.post("/settings/openai", json={"api_key": KEY})

    assert saved.status_code == 200
    assert saved.json == {"set": True, "last4": "WXYZ"}
    assert admin.get("/settings/openai").json == {"set": True, "last4": "WXYZ"}
    row = db.session.scalar(select(OpenAIKey))
    assert KEY not in row.key_enc
    assert openai_key(row.org_id) == KEY


def test_saving_again_replaces_the_key(admin):
    admin.post("/settings/openai", json={"api_key": KEY})

    admin.post("/settings/openai", json={"api_key": "sk-another-key-1234"})

    assert admin.get("/settings/openai").json == {"set": True, "last4": "1234"}
    assert len(db.session.scalars(select(OpenAIKey)).all()) == 1


def test_deleting_the_key_leaves_none(admin):
    admin.post("/settings/openai", json={"api_key": KEY})

    response = admin.delete("/settings/openai")

    assert response.status_code == 204
    assert admin.get("/settings/openai").json == {"set": False, "last4": None}


def test_each_org_sees_only_its_own_key(admin, other_admin):
    admin.post("/settings/openai", json={"api_key": KEY})

    assert other_admin.get("/settings/openai").json == {"set": False, "last4": None}


def test_a_short_key_points_at_the_field(admin):
    response = admin.post("/settings/openai", json={"api_key": "sk"})

    assert response.status_code == 422
    assert "api_key" in response.json["errors"]["json"]


def test_only_the_admin_manages_the_key(team):
    for api in (team.marketing.api, team.sales.api):
        assert api.get("/settings/openai").status_code == 403
        assert api.post("/settings/openai", json={"api_key": KEY}).status_code == 403
