"""Templates for an org that runs on the sandbox alone: sample templates to sync,
templates approved at once, deletes, header uploads and template sends, all without
Meta."""

import io

import pytest
from sqlalchemy import select

from tests.support import setup_whatsapp
from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.message_templates.rules import check_template
from wfb.message_templates.sandbox import SAMPLES
from wfb.sandbox.numbers import ensure_sandbox_number
from wfb.sandbox.transport import GRAPH_BASE_URL, INTERNAL, sandbox_session
from wfb.whatsapp import messages
from wfb.whatsapp.client import client_for

pytestmark = pytest.mark.usefixtures("app")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
SAMPLE_NAMES = ["appointment_reminder", "seasonal_offer", "welcome_message"]


@pytest.fixture
def settings_overrides(graph):
    """Meta is the stand-in, so that a test can see nothing reached it."""
    return {"META_GRAPH_URL": graph.url, "META_TIMEOUT": 0.5}


def with_sandbox_number(api):
    org_id = api.get("/auth/me").json["org_id"]
    number = ensure_sandbox_number(org_id)
    db.session.commit()
    return number


@pytest.fixture
def number(admin):
    """Org A with one sandbox number and the credentials the sandbox made up."""
    return with_sandbox_number(admin)


def new_template(name="visit_thanks") -> dict:
    return {
        "name": name,
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Thanks for your visit, {{1}}. See you again soon!",
                "example": {"body_text": [["Asha"]]},
            }
        ],
    }


def names(response) -> list[str]:
    return [t["name"] for t in response.json["items"]]


def test_sync_answers_the_approved_samples_without_calling_meta(admin, number, graph):
    response = admin.get("/templates")

    assert response.status_code == 200, response.json
    assert response.json["sync"] == {"total": 3, "new": 3, "updated": 0, "gone": 0}
    assert names(response) == SAMPLE_NAMES
    assert {t["status"] for t in response.json["items"]} == {"APPROVED"}
    assert graph.requests == []


def test_samples_carry_their_slots(admin, number):
    items = {t["name"]: t for t in admin.get("/templates").json["items"]}

    assert items["appointment_reminder"]["slots"]["body"] == 2
    assert items["welcome_message"]["slots"]["body"] == 0
    assert items["seasonal_offer"]["slots"]["header"] == "IMAGE"
    assert items["seasonal_offer"]["slots"]["url_buttons"] == 1


def test_samples_pass_the_rules_for_new_templates():
    problems = {sample["name"]: dict(check_template(sample)) for sample in SAMPLES}

    assert problems == {name: {} for name in SAMPLE_NAMES}


def test_created_template_is_approved_at_once_and_synced_again(admin, number, graph):
    created = admin.post("/templates", json=new_template())

    synced = admin.get("/templates")

    assert created.status_code == 201, created.json
    assert created.json["status"] == "APPROVED"
    assert synced.json["sync"] == {"total": 4, "new": 3, "updated": 0, "gone": 0}
    assert names(synced) == [
        "appointment_reminder",
        "seasonal_offer",
        "visit_thanks",
        "welcome_message",
    ]
    assert graph.requests == []


def test_deleted_sample_stays_deleted(admin, number):
    admin.get("/templates")

    deleted = admin.delete("/templates/welcome_message")
    synced = admin.get("/templates")

    assert deleted.status_code == 204
    assert names(synced) == ["appointment_reminder", "seasonal_offer"]
    assert synced.json["sync"]["gone"] == 0


def test_deleted_template_can_be_made_again(admin, number):
    admin.post("/templates", json=new_template())
    admin.delete("/templates/visit_thanks")

    again = admin.post("/templates", json=new_template())

    assert again.status_code == 201, again.json
    assert "visit_thanks" in names(admin.get("/templates"))


def test_delete_of_one_language_of_a_sample(admin, number):
    admin.get("/templates")

    response = admin.delete("/templates/appointment_reminder?language=en_US")

    assert response.status_code == 204
    assert "appointment_reminder" not in names(admin.get("/templates"))


def test_upload_media_answers_a_handle(admin, number, graph):
    data = {"file": (io.BytesIO(JPEG), "offer.jpg", "image/jpeg")}

    response = admin.post("/templates/upload-media", data=data)

    assert response.status_code == 200, response.json
    assert response.json["handle"].startswith("2:b2ZmZXIuanBn:aW1hZ2UvanBlZw==:")
    assert response.json["format"] == "IMAGE"
    assert graph.requests == []


def test_image_template_made_with_an_uploaded_handle_is_approved(admin, number):
    data = {"file": (io.BytesIO(JPEG), "offer.jpg", "image/jpeg")}
    handle = admin.post("/templates/upload-media", data=data).json["handle"]
    body = new_template("photo_offer")
    body["components"].insert(
        0, {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}
    )

    response = admin.post("/templates", json=body)

    assert response.status_code == 201, response.json
    assert response.json["slots"]["header"] == "IMAGE"


def test_each_sandbox_org_sees_only_its_own_templates(admin, number, other_admin):
    with_sandbox_number(other_admin)
    admin.post("/templates", json=new_template())

    response = other_admin.get("/templates")

    assert names(response) == SAMPLE_NAMES


def test_org_with_a_real_number_talks_to_meta_not_the_sandbox(admin, number, graph):
    setup_whatsapp(admin)
    graph.reset()

    response = admin.get("/templates")

    assert response.status_code == 200
    assert response.json["sync"]["total"] == 0
    assert [r.endpoint for r in graph.requests] == ["templates"]


def test_template_send_from_a_sandbox_number_is_accepted(admin, number):
    admin.get("/templates")
    payload = messages.template(
        "+15550002222",
        "appointment_reminder",
        "en_US",
        [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Priya"},
                    {"type": "text", "text": "Friday 5 PM"},
                ],
            }
        ],
    )

    wamid = client_for(number).send_message(number.phone_number_id, payload)

    assert wamid.startswith("wamid.")


# The sandbox's Graph API itself


@pytest.fixture
def internal(app):
    """A client whose calls come in as the in-process sandbox transport's do."""
    client = app.test_client()
    client.environ_base[INTERNAL] = True
    return client


def account_of(number) -> WhatsAppAccount:
    return db.session.scalar(
        select(WhatsAppAccount).where(WhatsAppAccount.org_id == number.org_id)
    )


def templates_url(waba_id: str) -> str:
    return f"/sandbox/graph/v25.0/{waba_id}/message_templates"


def test_sandbox_list_pages_with_cursors_and_a_next_link_it_serves(number):
    account = account_of(number)
    bearer = {"Authorization": f"Bearer {account.access_token}"}
    session = sandbox_session()
    url = f"{GRAPH_BASE_URL}/v25.0/{account.waba_id}/message_templates"

    first = session.get(f"{url}?limit=2", headers=bearer).json()
    second = session.get(first["paging"]["next"], headers=bearer).json()

    assert [t["name"] for t in first["data"]] == SAMPLE_NAMES[:2]
    assert first["paging"]["next"] == (
        f"{url}?limit=2&after={first['paging']['cursors']['after']}"
    )
    assert [t["name"] for t in second["data"]] == SAMPLE_NAMES[2:]
    assert "next" not in second["paging"]


def test_sandbox_refuses_another_orgs_token_for_a_waba(internal, number, other_admin):
    other = with_sandbox_number(other_admin)
    account = account_of(number)
    intruder = {"Authorization": f"Bearer {account_of(other).access_token}"}

    response = internal.get(templates_url(account.waba_id), headers=intruder)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
    assert "does not exist" in response.json["error"]["message"]


def test_sandbox_refuses_a_call_without_token(internal, number):
    response = internal.get(templates_url(account_of(number).waba_id))

    assert response.status_code == 401
    assert response.json["error"]["code"] == 190


def test_sandbox_templates_are_not_reachable_over_the_network(app, number):
    account = account_of(number)
    bearer = {"Authorization": f"Bearer {account.access_token}"}

    response = app.test_client().get(templates_url(account.waba_id), headers=bearer)

    assert response.status_code == 404


def test_sandbox_refuses_a_real_orgs_waba(internal, admin):
    credentials = setup_whatsapp(admin)
    bearer = {"Authorization": f"Bearer {credentials.token}"}

    response = internal.get(templates_url("100000000000001"), headers=bearer)

    assert response.status_code == 400
    assert response.json["error"]["code"] == 100
