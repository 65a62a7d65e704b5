"""Helpers shared by tests that drive the webhook pipeline."""

import json
from pathlib import Path
from types import SimpleNamespace

from wfb.jobs import huey
from wfb.webhooks.signature import sign

# Meta's example payloads, copied from the protocol notes with their exact bytes.
PAYLOADS = Path(__file__).resolve().parent / "payloads"


def payload(name: str) -> bytes:
    """A payload file's exact bytes."""
    return (PAYLOADS / name).read_bytes()


def payload_json(name: str) -> dict:
    return json.loads(payload(name))


def post_webhook(client, body, secret: str, path: str):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": sign(body, secret)}
    return client.post(
        path, data=body, headers=headers, content_type="application/json"
    )


def text_message(
    body: str,
    wamid: str,
    wa_id="15550002222",
    name="Priya Sharma",
    phone_number_id="200000000000001",
    timestamp="1788500000",
) -> dict:
    """Meta's inbound text webhook with another body and id."""
    data = payload_json("webhook_text.json")
    value = data["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
    message = value["messages"][0]
    message.update(id=wamid, text={"body": body}, timestamp=timestamp)
    message["from"] = wa_id
    return data


def give_credentials(api, waba_id="100000000000001", app_secret="test_app_secret_0001"):
    """Save WhatsApp credentials for the org, so that Meta confirms its numbers."""
    credentials = {
        "waba_id": waba_id,
        "app_id": "300000000000001",
        "access_token": f"EAAG-access-token-{waba_id}",
        "app_secret": app_secret,
        "verify_token": f"verify-{waba_id}",
    }
    response = api.post("/settings/whatsapp", json=credentials)
    assert response.status_code == 200, response.json
    return credentials


def setup_whatsapp(
    api,
    waba_id="100000000000001",
    phone_number_id="200000000000001",
    display="15550001111",
    app_secret="test_app_secret_0001",
):
    """Give an org its WhatsApp credentials and one number."""
    me = api.get("/auth/me").json
    credentials = give_credentials(api, waba_id, app_secret)
    number = api.post(
        "/phone-numbers",
        json={"phone_number_id": phone_number_id, "display_phone_number": display},
    )
    assert number.status_code == 201, number.json
    return SimpleNamespace(
        api=api,
        org_id=me["org_id"],
        number=number.json,
        secret=app_secret,
        path=f"/webhook/{me['org_id']}",
        token=credentials["access_token"],
    )


def run_scheduled() -> int:
    """Run every task scheduled for later (delays, retries) now; answer how many."""
    tasks = huey.scheduled()
    huey.storage.flush_schedule()
    for task in tasks:
        task.eta = None
        huey.execute(task)
    return len(tasks)
