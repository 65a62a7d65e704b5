"""The product as it really runs: gunicorn with gevent, and a separate huey_consumer
on PostgreSQL and Redis in the scaled shape, or the embedded consumer on SQLite."""

import os
import uuid

import psycopg2
import pytest
import requests

from tests.processes import (
    BIN,
    free_port,
    gunicorn,
    migrate,
    product_env,
    running,
    wait_for,
    wait_until_up,
)
from tests.support import text_message
from wfb.webhooks.signature import sign

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
FLOW = {
    "name": "Echo",
    "trigger": {"type": "any"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "hi", "type": "message", "data": {"text": "Hello {{contact.name}}"}},
    ],
    "edges": [{"source": "start", "target": "hi"}],
}


def set_up_org(base: str) -> dict:
    """Sign up through the live API and give the org credentials, a number, a flow."""
    body = {
        "organization_name": "Live Org",
        "name": "Live Admin",
        "email": "live@org.test",
        "password": "correct-horse-battery",
    }
    tokens = requests.post(f"{base}/auth/signup", json=body, timeout=5).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    credentials = {
        "waba_id": "100000000000001",
        "app_id": "300000000000001",
        "access_token": "EAAG-live-token",
        "app_secret": "live-app-secret",
        "verify_token": "live-verify",
    }
    requests.post(
        f"{base}/settings/whatsapp", json=credentials, headers=auth, timeout=5
    )
    flow = requests.post(f"{base}/flows", json=FLOW, headers=auth, timeout=5).json()
    number = {
        "phone_number_id": "200000000000001",
        "display_phone_number": "15550001111",
        "flow_id": flow["id"],
    }
    response = requests.post(
        f"{base}/phone-numbers", json=number, headers=auth, timeout=5
    )
    assert response.status_code == 201, response.text
    return {"org_id": tokens["user"]["org_id"], "secret": "live-app-secret"}


def post_inbound(base: str, org: dict, wamid: str) -> int:
    body = text_message("hello", wamid)
    raw = __import__("json").dumps(body).encode()
    headers = {"X-Hub-Signature-256": sign(raw, org["secret"]),
               "Content-Type": "application/json"}  # fmt: skip
    url = f"{base}/webhook/{org['org_id']}"
    return requests.post(url, data=raw, headers=headers, timeout=5).status_code


def test_embedded_shape_answers_through_its_in_process_consumer(tmp_path, graph):
    env = product_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'wfb.db'}",
        HUEY_SQLITE_PATH=str(tmp_path / "huey.db"),
        META_GRAPH_URL=graph.url,
        WFB_EMBEDDED_WORKER="true",
    )
    migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"

    with running(gunicorn(port, workers=1), env, log):
        wait_until_up(f"{base}/openapi.json", log)
        org = set_up_org(base)

        statuses = [post_inbound(base, org, f"wamid.EMB{i}") for i in range(3)]

        assert statuses == [200, 200, 200]
        assert wait_for(lambda: len(graph.messages()) == 3), log.read_text()[-3000:]
    assert [m["text"]["body"] for m in graph.messages()] == ["Hello Priya Sharma"] * 3


@pytest.fixture
def scaled_database():
    """A database of its own, so the live processes never meet the suite's tables."""
    name = f"wfb_live_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs PostgreSQL and Redis")
def test_scaled_shape_answers_through_a_separate_worker(
    tmp_path, graph, scaled_database
):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = product_env(DATABASE_URL=scaled_database, REDIS_URL=REDIS_URL,
                      META_GRAPH_URL=graph.url)  # fmt: skip
    migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    worker = [str(BIN / "huey_consumer"), "wfb.worker.huey", "--workers", "4",
              "--worker-type", "thread"]  # fmt: skip

    with (
        running(gunicorn(port, workers=2), env, web_log),
        running(worker, env, worker_log),
    ):
        wait_until_up(f"{base}/openapi.json", web_log)
        org = set_up_org(base)

        statuses = [post_inbound(base, org, f"wamid.SCL{i}") for i in range(5)]
        statuses.append(post_inbound(base, org, "wamid.SCL0"))

        assert statuses == [200] * 6
        done = wait_for(lambda: len(graph.messages()) >= 5, seconds=15)
        assert done, worker_log.read_text()[-3000:]
    assert len(graph.messages()) == 5
