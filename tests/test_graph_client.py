"""The Graph API client against the stand-in: sends, errors, paging, media, logs."""

import logging
import socket

import pytest

from tests.standins import payload
from wfb.accounts.models import Org
from wfb.credentials.models import WhatsAppAccount
from wfb.extensions import db
from wfb.phone_numbers.models import PhoneNumber
from wfb.whatsapp import messages
from wfb.whatsapp.client import (
    POOL_SIZE,
    SANDBOX_URL,
    GraphClient,
    client_for,
    shared_session,
)
from wfb.whatsapp.errors import (
    GraphError,
    GraphTimeout,
    GraphUnavailable,
    classify,
)

TOKEN = "EAAGstandin0token0never0logged0001"
VERSION = "v25.0"
PNID = "200000000000001"
WABA = "100000000000001"
CUSTOMER = "+15550002222"


@pytest.fixture
def settings_overrides(graph):
    return {"META_GRAPH_URL": graph.url}


@pytest.fixture
def graph_client(graph):
    return GraphClient(graph.url, VERSION, TOKEN, 2.0)


def send(client):
    return client.send_message(PNID, messages.text(CUSTOMER, "Hello"))


def test_send_message_posts_the_payload_with_the_token_and_answers_the_wamid(
    graph, graph_client
):
    body = messages.text(CUSTOMER, "Your table is ready")

    wamid = graph_client.send_message(PNID, body)

    [request] = graph.requests
    assert (request.method, request.path) == ("POST", f"/{VERSION}/{PNID}/messages")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.answer["messages"] == [{"id": wamid}]
    assert graph.messages() == graph.sent() == [body]


def test_each_send_answers_a_different_wamid(graph_client):
    wamids = {send(graph_client) for _ in range(20)}

    assert len(wamids) == 20


ERROR_KINDS = [
    (130429, 400, "retry"),
    (131056, 400, "retry"),
    (80007, 429, "retry"),
    (4, 429, "retry"),
    (131000, 500, "retry"),
    (131016, 503, "retry"),
    (1, 500, "retry"),
    (2, 503, "retry"),
    (131057, 500, "retry"),
    (131047, 400, "window"),
    *[(code, 400, "template") for code in (132000, 132001, 132005, 132007)],
    *[(code, 400, "template") for code in (132012, 132015, 132016)],
    (190, 401, "auth"),
    (0, 401, "auth"),
    (10, 403, "auth"),
    (200, 403, "auth"),
    (131026, 400, "recipient"),
    (131049, 400, "recipient"),
    (131050, 400, "recipient"),
    (131048, 400, "recipient"),
    (100, 400, "recipient"),
]


@pytest.mark.parametrize(("code", "status", "kind"), ERROR_KINDS)
def test_each_meta_error_code_reaches_its_kind(graph, graph_client, code, status, kind):
    graph.fail_next(code=code)

    with pytest.raises(GraphError) as caught:
        send(graph_client)

    error = caught.value
    assert (type(error), error.code, error.http_status) == (GraphError, code, status)
    assert error.kind == kind
    assert graph.sent() == []


def test_closed_window_is_a_window_error_with_metas_title_and_details(
    graph, graph_client
):
    graph.fail_next(code=131047)

    with pytest.raises(GraphError) as caught:
        send(graph_client)

    expected = payload("send_error_131047.json")["error"]
    assert caught.value.kind == "window"
    assert caught.value.title == "(#131047) Re-engagement message"
    assert caught.value.details == expected["error_data"]["details"]


def test_expired_token_is_an_auth_error_with_http_401(graph, graph_client):
    graph.fail_next(code=190)

    with pytest.raises(GraphError) as caught:
        send(graph_client)

    error = caught.value
    assert (error.kind, error.code, error.http_status, error.subcode) == (
        "auth",
        190,
        401,
        463,
    )
    assert error.title.startswith("Error validating access token")


@pytest.mark.parametrize(
    ("status", "kind"), [(500, "retry"), (502, "retry"), (429, "retry"), (403, "auth")]
)
def test_bare_http_errors_without_a_code_are_classified_by_status(
    graph, graph_client, status, kind
):
    graph.fail_next(status=status)

    with pytest.raises(GraphError) as caught:
        send(graph_client)

    assert (caught.value.code, caught.value.http_status) == (None, status)
    assert caught.value.kind == kind


def test_classify_keys_on_the_code_before_the_http_status():
    assert classify(131047, 500) == "window"
    assert classify(131026, 503) == "recipient"
    assert classify(132001, 404) == "template"
    assert classify(131026, 429) == "retry"
    assert classify(None, 503) == "retry"
    assert classify(None, 400) == "recipient"


def test_a_timeout_after_sending_raises_graph_timeout(graph):
    impatient = GraphClient(graph.url, VERSION, TOKEN, 0.3)
    graph.delay_next(2.0)

    with pytest.raises(GraphTimeout) as caught:
        send(impatient)

    assert caught.value.kind == "unknown"
    assert len(graph.sent()) == 1


def test_a_connection_dropped_after_sending_raises_graph_timeout(graph, graph_client):
    graph.drop_next()

    with pytest.raises(GraphTimeout) as caught:
        send(graph_client)

    assert caught.value.kind == "unknown"
    assert [r.endpoint for r in graph.requests] == ["messages"]


def test_a_refused_connection_raises_graph_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nobody = GraphClient(f"http://127.0.0.1:{port}", VERSION, TOKEN, 2.0)

    with pytest.raises(GraphUnavailable) as caught:
        send(nobody)

    assert caught.value.kind == "retry"


def test_template_paging_yields_every_template_of_both_pages(graph, graph_client):
    first, second = (
        payload("templates_list_page1.json"),
        payload("templates_list_page2.json"),
    )
    graph.add_templates(WABA, first["data"] + second["data"])

    templates = list(graph_client.list_templates(WABA, limit=2))

    assert templates == first["data"] + second["data"]
    page1, page2 = graph.requests
    assert page1.answer["data"] == first["data"]
    assert page2.query["after"] == page1.answer["paging"]["cursors"]["after"]
    assert "access_token" in page1.answer["paging"]["next"]
    assert "access_token" not in page2.query
    assert "next" not in page2.answer["paging"]


def test_template_paging_goes_on_past_a_short_page_while_there_is_a_next(
    graph, graph_client
):
    graph.page_size = 2
    stored = [{"name": f"t{i}", "language": "en_US", "id": str(i)} for i in range(5)]
    graph.add_templates(WABA, stored)

    templates = list(graph_client.list_templates(WABA, limit=100))

    assert templates == stored
    assert len(graph.requests) == 3


def test_create_list_and_delete_a_template(graph, graph_client):
    body = payload("template_create_request.json")

    created = graph_client.create_template(WABA, body)
    listed = list(graph_client.list_templates(WABA))
    deleted = graph_client.delete_template(WABA, body["name"], hsm_id=created["id"])

    assert created == {"id": created["id"], "status": "PENDING", "category": "UTILITY"}
    assert [(t["name"], t["id"]) for t in listed] == [(body["name"], created["id"])]
    assert deleted == {"success": True}
    assert graph.requests[-1].query == {"name": body["name"], "hsm_id": created["id"]}
    assert list(graph_client.list_templates(WABA)) == []


def test_mark_read_posts_metas_mark_read_body(graph, graph_client):
    graph_client.mark_read(PNID, "wamid.ABC", typing=True)

    assert graph.requests[0].body == messages.mark_read("wamid.ABC", typing=True)
    assert graph.requests[0].answer == {"success": True}


def test_media_url_then_download_answers_the_bytes_and_type(graph, graph_client):
    media_id = graph.add_media(b"\xff\xd8jpeg-bytes", "image/jpeg")

    info = graph_client.get_media_url(media_id)
    data, content_type = graph_client.download_media(info["url"])

    assert (info["id"], info["mime_type"], info["file_size"]) == (
        media_id,
        "image/jpeg",
        "12",
    )
    assert (data, content_type) == (b"\xff\xd8jpeg-bytes", "image/jpeg")
    assert graph.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_upload_media_sends_a_form_and_answers_the_media_id(graph, graph_client):
    media_id = graph_client.upload_media(PNID, b"%PDF-1.7", "application/pdf", "a.pdf")

    assert graph.media[media_id] == (b"%PDF-1.7", "application/pdf", "a.pdf")
    assert graph.requests[0].path == f"/{VERSION}/{PNID}/media"


def test_resumable_upload_answers_the_handle_with_oauth_headers(graph, graph_client):
    handle = graph_client.resumable_upload(
        "634974688087057", b"png", "image/png", "h.png"
    )

    [session] = graph.uploads.values()
    assert handle == session["handle"]
    assert (session["data"], session["type"], session["name"]) == (
        b"png",
        "image/png",
        "h.png",
    )
    start, upload = graph.requests
    assert start.query == {
        "file_name": "h.png",
        "file_length": "3",
        "file_type": "image/png",
    }
    assert upload.headers["file_offset"] == "0"
    assert {r.headers["Authorization"] for r in graph.requests} == {f"OAuth {TOKEN}"}


def test_phone_number_info_answers_the_numbers_fields(graph, graph_client):
    info = graph_client.phone_number_info(PNID)

    assert info["id"] == PNID
    assert info["quality_rating"] == "GREEN"
    assert info["throughput"] == {"level": "STANDARD"}
    assert (
        "whatsapp_business_manager_messaging_limit" in graph.requests[0].query["fields"]
    )


def test_the_token_never_appears_in_logs(graph, graph_client, caplog):
    caplog.set_level(logging.DEBUG)
    graph.add_templates(WABA, [{"name": f"t{i}", "id": str(i)} for i in range(3)])

    send(graph_client)
    list(graph_client.list_templates(WABA, limit=1))
    graph_client.resumable_upload("634974688087057", b"png", "image/png", "h.png")
    for code in (190, 131047):
        graph.fail_next(code=code)
        with pytest.raises(GraphError):
            send(graph_client)
    graph.drop_next()
    with pytest.raises(GraphTimeout):
        send(graph_client)

    assert "message_templates" in caplog.text
    assert "code 190" in caplog.text
    assert TOKEN not in caplog.text


def test_clients_share_one_pooled_session_without_retries_or_proxies(graph):
    first = GraphClient(graph.url, VERSION, "one", 1.0)
    second = GraphClient(graph.url, VERSION, "two", 1.0)

    session = shared_session()
    adapter = session.get_adapter("https://graph.facebook.com")
    assert first.session is second.session is session
    assert session.trust_env is False
    assert adapter._pool_maxsize == POOL_SIZE == 64
    assert adapter.max_retries.total == 0
    assert TOKEN not in repr(GraphClient(graph.url, VERSION, TOKEN, 1.0))


def add_number(org_name: str, sandbox: bool = False, token: str | None = None):
    org = Org(name=org_name)
    db.session.add(org)
    db.session.flush()
    if token:
        account = WhatsAppAccount(org_id=org.id, waba_id=WABA, app_id="6349")
        account.set_secrets(token, "app-secret-0001", "verify-token-0001")
        db.session.add(account)
    number = PhoneNumber(
        org_id=org.id,
        phone_number_id=f"2000000000{org.id:05d}",
        display_phone_number="+15550001111",
        is_sandbox=sandbox,
    )
    db.session.add(number)
    db.session.commit()
    return number


def test_client_for_uses_the_orgs_token_and_the_configured_graph_url(app, graph):
    number = add_number("Acme Salon", token=TOKEN)
    settings = app.config["SETTINGS"]

    client_for(number).send_message(
        number.phone_number_id, messages.text(CUSTOMER, "Hi")
    )

    [request] = graph.requests
    assert (
        request.path
        == f"/{settings.META_GRAPH_VERSION}/{number.phone_number_id}/messages"
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_client_for_an_org_without_credentials_raises_an_auth_error(app):
    number = add_number("Bravo Gym")

    with pytest.raises(GraphError) as caught:
        client_for(number)

    assert caught.value.kind == "auth"
    assert "no WhatsApp credentials" in caught.value.title


def test_client_for_a_sandbox_number_talks_to_the_sandbox(app):
    transport = pytest.importorskip("wfb.sandbox.transport")
    number = add_number("Demo", sandbox=True)

    client = client_for(number)

    assert client.base_url == SANDBOX_URL
    adapter = client.session.get_adapter(f"{SANDBOX_URL}/v25.0/1/messages")
    assert isinstance(adapter, transport.SandboxAdapter)
