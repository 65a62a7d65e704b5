"""Inbound media: copied from Meta once, while its link lives, and served from WFB to
the org's users and nobody else."""

import pytest

from tests.support import payload_json, post_webhook, setup_whatsapp
from tests.test_conversations_api import member

pytestmark = pytest.mark.usefixtures("app")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CUSTOMER = "15550003333"  # as in the payload


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


def send_image(client, org, media_id: str, wamid="wamid.IMG1"):
    body = payload_json("webhook_image.json")
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = org.number["phone_number_id"]
    message = value["messages"][0]
    message["id"] = wamid
    message["image"]["id"] = media_id
    message["image"]["mime_type"] = "image/png"
    return post_webhook(client, body, org.secret, org.path)


def downloads(graph) -> int:
    return sum(1 for r in graph.requests if r.endpoint == "download")


def test_an_image_is_fetched_once_and_served_to_the_org(client, admin, graph):
    org = setup_whatsapp(admin)
    media_id = graph.add_media(PNG, "image/png", "style.png")

    assert send_image(client, org, media_id).status_code == 200
    assert send_image(client, org, media_id).status_code == 200  # Meta redelivers

    history = admin.get(f"/conversations/{CUSTOMER}/messages").json
    [message] = history["items"]
    assert message["type"] == "image"
    assert message["text"] == "This is the style I want"
    media = message["media"]
    assert (media["status"], media["mime_type"], media["size"]) == (
        "stored",
        "image/png",
        len(PNG),
    )
    served = admin.get(media["url"])
    assert served.status_code == 200
    assert served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert downloads(graph) == 1


def test_nobody_outside_the_org_gets_the_file(client, admin, other_admin, graph):
    org = setup_whatsapp(admin)
    send_image(client, org, graph.add_media(PNG, "image/png"))
    [message] = admin.get(f"/conversations/{CUSTOMER}/messages").json["items"]
    url = message["media"]["url"]
    sales = member(client, admin, "sales", "Sam")

    assert other_admin.get(url).status_code == 404
    assert client.get(url).status_code == 401
    assert sales.get(url).status_code == 404  # not assigned to them
    assert downloads(graph) == 1


def test_media_meta_will_not_give_is_marked_failed(client, admin, graph):
    org = setup_whatsapp(admin)
    media_id = graph.add_media(PNG, "image/png")
    graph.fail_next(100, status=400, endpoint="media_url")

    send_image(client, org, media_id)

    [message] = admin.get(f"/conversations/{CUSTOMER}/messages").json["items"]
    assert message["media"]["status"] == "failed"
    assert message["media"]["url"] is None
    assert downloads(graph) == 0
