"""Live events between real processes: an inbound message processed by a worker
reaches the org's sockets on every web process, and never another org's.

Scaled: gunicorn with two gevent workers, a separate huey_consumer, PostgreSQL and
Redis. Embedded: one gunicorn worker with its in-process consumer on SQLite."""

import json
import time

import pytest
import requests
import websocket

from tests.processes import (
    BIN,
    embedded_product,
    free_port,
    gunicorn,
    migrate,
    product_env,
    running,
    wait_until_up,
)
from tests.test_processes import (
    PG_URL,
    REDIS_URL,
    post_inbound,
    scaled_database,  # noqa: F401  (fixture)
    set_up_org,
)
from wfb.live.events import order


def sign_up(base: str, org: str, email: str) -> dict:
    body = {"organization_name": org, "name": "Someone", "email": email,
            "password": "correct-horse-battery"}  # fmt: skip
    return requests.post(f"{base}/auth/signup", json=body, timeout=5).json()


def log_in(base: str, email: str) -> dict:
    body = {"email": email, "password": "correct-horse-battery"}
    return requests.post(f"{base}/auth/login", json=body, timeout=5).json()


def socket_url(base: str, org_id: int, **query) -> str:
    url = base.replace("http://", "ws://") + f"/ws/{org_id}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def connect(url: str, token: str | None = None):
    headers = [f"Authorization: Bearer {token}"] if token else []
    return websocket.create_connection(url, header=headers, timeout=5)


def next_event(ws, seconds: float) -> dict | None:
    """The next pushed event within `seconds`, or None."""
    ws.settimeout(seconds)
    try:
        raw = ws.recv()
    except (websocket.WebSocketTimeoutException, websocket.WebSocketException):
        return None
    return json.loads(raw) if raw else None


def upgrade_answer(base: str, org_id: int, token: str) -> int:
    """The HTTP answer to a WebSocket upgrade, before any upgrade happens."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{base}/ws/{org_id}", headers=headers, timeout=5).status_code


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs PostgreSQL and Redis")
def test_a_message_reaches_every_socket_of_its_org_and_no_other(
    tmp_path,
    graph,
    scaled_database,  # noqa: F811
):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = product_env(DATABASE_URL=scaled_database, REDIS_URL=REDIS_URL,
                      META_GRAPH_URL=graph.url)  # fmt: skip
    migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker = [str(BIN / "huey_consumer"), "wfb.worker.huey", "--workers", "2",
              "--worker-type", "thread"]  # fmt: skip

    with (
        running(gunicorn(port, workers=2), env, tmp_path / "web.log"),
        running(worker, env, tmp_path / "worker.log"),
    ):
        wait_until_up(f"{base}/openapi.json", tmp_path / "web.log")
        org = set_up_org(base)
        a_token = log_in(base, "live@org.test")["access_token"]
        b = sign_up(base, "Other Org", "other@org.test")
        b_token, b_org = b["access_token"], b["user"]["org_id"]

        assert upgrade_answer(base, org["org_id"], b_token) == 403
        assert upgrade_answer(base, org["org_id"], "") == 401
        first = connect(socket_url(base, org["org_id"]), a_token)
        second = connect(socket_url(base, org["org_id"], token=a_token))
        other = connect(socket_url(base, b_org), b_token)
        try:
            time.sleep(0.5)  # every web process is listening
            posted = time.monotonic()
            assert post_inbound(base, org, "wamid.LIVE1") == 200

            seen = []
            for ws in (first, second):
                event = next_event(ws, 1.0)
                while event and event["type"] != "message.created":
                    event = next_event(ws, 1.0)
                seen.append(event)
                assert event is not None, "no message.created within a second"
            elapsed = time.monotonic() - posted

            assert [e["data"]["direction"] for e in seen] == ["in", "in"]
            assert seen[0]["id"] == seen[1]["id"]
            assert elapsed < 2.0
            assert next_event(other, 1.5) is None
        finally:
            for ws in (first, second, other):
                ws.close()


def test_embedded_socket_catches_up_after_a_reconnect(tmp_path, graph):
    with embedded_product(tmp_path, META_GRAPH_URL=graph.url) as base:
        org = set_up_org(base)
        token = log_in(base, "live@org.test")["access_token"]
        url = socket_url(base, org["org_id"], token=token)

        ws = connect(url)
        assert post_inbound(base, org, "wamid.EMB1") == 200
        first = next_event(ws, 5.0)
        ws.close()
        assert first is not None
        assert post_inbound(base, org, "wamid.EMB2") == 200
        time.sleep(1.0)  # the reply and its status happen while away

        back = connect(socket_url(base, org["org_id"], token=token, since=first["id"]))
        missed = []
        while (event := next_event(back, 1.0)) is not None:
            missed.append(event)
        back.close()

    kinds = [e["type"] for e in missed]
    assert kinds.count("message.created") >= 2  # the second message and its reply
    assert all(order(e["id"]) > order(first["id"]) for e in missed)


def test_a_socket_closes_when_its_user_logs_out_everywhere(tmp_path, graph):
    with embedded_product(tmp_path, META_GRAPH_URL=graph.url) as base:
        org = set_up_org(base)
        token = log_in(base, "live@org.test")["access_token"]
        ws = connect(socket_url(base, org["org_id"], token=token))
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.post(f"{base}/auth/logout", headers=auth, timeout=5).ok

        deadline = time.monotonic() + 20
        while ws.connected and time.monotonic() < deadline:
            next_event(ws, 1.0)

        assert not ws.connected
        assert upgrade_answer(base, org["org_id"], token) == 401
