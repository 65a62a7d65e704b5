"""How fast a campaign goes out: messages a second against the number's rate.

Seeds an org whose number may send 1,000 messages a second, 20,000 contacts and an
approved template, sends a campaign to all of them through the API, and counts the
sends at a Graph API stand-in on 127.0.0.1 (an asyncio server in a process of its
own, so that it is never what limits). Prints the rate over the whole campaign and
steadily (after the first seconds, in which the number may burst), their ratio to the
configured rate, and the peak memory of the process that sent. Then a bare HTTP
client (requests, the same pool of 64 threads) sends the same template requests to
the same stand-in as fast as it can, as the yardstick of what this machine allows.

    .venv/bin/python -m bench.campaign_throughput [--mode embedded|scaled]
        [--recipients 20000] [--rate 1000]
"""

import argparse
import asyncio
import json
import multiprocessing
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert

from bench.common import PHONE_NUMBER_ID, Bench, free_port, table

GOAL_RATIO = 0.9
GOAL_BARE_RATIO = 0.7
# A quiet number may send a second's worth at once; the sender catches up on it
# over the first seconds.
STEADY_AFTER = 3
PASSWORD = "correct-horse-battery"
BODY = {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}
PHONE_INFO = {
    "verified_name": "Bench Salon",
    "code_verification_status": "VERIFIED",
    "display_phone_number": "15550001111",
    "quality_rating": "GREEN",
    "platform_type": "CLOUD_API",
    "throughput": {"level": "HIGH"},
    "status": "CONNECTED",
}


def main() -> int:
    args = parse_args()
    graph = GraphProcess()
    try:
        with Bench(args.mode) as bench:
            result = run(bench, args, graph)
        result["bare"] = bare_client(graph, min(args.recipients, 20_000))
    finally:
        graph.stop()
    print(report(args, result))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=1000, help="the number's rate")
    args = parser.parse_args()
    if not 100 <= args.recipients <= 500_000 or not 1 <= args.rate <= 1000:
        parser.error("100 to 500,000 recipients, at 1 to 1,000 a second")
    return args


def run(bench: Bench, args, graph: "GraphProcess") -> dict:
    seeded = bench.prepare(graph.url, messages_per_second=args.rate)
    seed_audience(bench.database_url, seeded.org_id, args.recipients)
    embedded = "true" if bench.mode == "embedded" else "false"
    env = bench.env(META_GRAPH_URL=graph.url, WFB_EMBEDDED_WORKER=embedded)
    sender = bench.start_worker(env) if bench.mode == "scaled" else None
    port = free_port()
    web = bench.start_web("wsgi:app", port, env, workers=1)
    if sender is None:
        sender = only_child(web.pid)
    base = f"http://127.0.0.1:{port}"
    auth = log_in(base)

    graph.reset()
    started = time.monotonic()
    campaign = send_campaign(base, auth)
    wait_until_done(base, auth, campaign["id"], args.recipients)
    took = time.monotonic() - started
    result = graph.stats()
    result.update(
        took=took,
        memory_kib=peak_memory_kib(sender.pid),
        counts=requests.get(
            f"{base}/campaigns/{campaign['id']}", headers=auth, timeout=30
        ).json()["counts"],
    )
    return result


def seed_audience(database_url: str, org_id: int, count: int) -> None:
    """The contacts (in batches) and the approved template, straight into the
    database, as an import and a template sync would leave them."""
    from wfb.contacts.models import Contact
    from wfb.message_templates.models import MessageTemplate
    from wfb.settings import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(database_url))
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for start in range(0, count, 10_000):
            rows = [
                {"org_id": org_id, "phone": f"+91{9_000_000_000 + i}",
                 "name": f"Customer {i}", "tags": ["bench"], "attributes": {},
                 "opted_out": False, "created_at": now, "updated_at": now}
                for i in range(start, min(count, start + 10_000))
            ]  # fmt: skip
            connection.execute(insert(Contact), rows)
        connection.execute(
            insert(MessageTemplate).values(
                org_id=org_id, meta_id="1700000000000001", name="order_update",
                language="en_US", category="UTILITY", status="APPROVED",
                parameter_format="POSITIONAL", components=[BODY], gone=False,
                synced_at=now, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    engine.dispose()


def log_in(base: str) -> dict:
    body = {"email": "admin@bench.test", "password": PASSWORD}
    token = requests.post(f"{base}/auth/login", json=body, timeout=30).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def send_campaign(base: str, auth: dict) -> dict:
    numbers = requests.get(f"{base}/phone-numbers", headers=auth, timeout=30).json()
    body = {
        "name": "Bench campaign",
        "phone_number_id": numbers[0]["id"],
        "template": {
            "name": "order_update",
            "language": "en_US",
            "parameters": ["{{contact.name}}", "ORD-42"],
        },
        "audience": {"all": True},
    }
    answer = requests.post(
        f"{base}/campaigns/send", json=body, headers=auth, timeout=120
    )
    if answer.status_code != 202:
        raise RuntimeError(f"send answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()


def wait_until_done(base: str, auth: dict, campaign_id: int, count: int) -> None:
    deadline = time.monotonic() + count / 50 + 120
    url = f"{base}/campaigns/{campaign_id}"
    while time.monotonic() < deadline:
        if requests.get(url, headers=auth, timeout=30).json()["status"] == "completed":
            return
        # As often as the campaign's page refreshes while it runs.
        time.sleep(2)
    raise RuntimeError(f"campaign {campaign_id} did not complete in time")


def only_child(pid: int) -> "Process":
    """gunicorn's one worker, the process that runs the embedded queue."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return Process(int(children[0]))


class Process:
    def __init__(self, pid: int):
        self.pid = pid


def peak_memory_kib(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def bare_client(graph: "GraphProcess", count: int) -> dict:
    """The same template requests from a bare requests pool, as fast as it goes."""
    session = requests.Session()
    session.trust_env = False
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=64, max_retries=0)
    session.mount("http://", adapter)
    url = f"{graph.url}/v25.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": "Bearer bench"}

    def send(i: int) -> str:
        payload = {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": f"+91{8_000_000_000 + i}", "type": "template",
            "template": {"name": "order_update",
                         "language": {"code": "en_US", "policy": "deterministic"},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "text": f"Customer {i}"},
                             {"type": "text", "text": "ORD-42"}]}]},
        }  # fmt: skip
        answer = session.post(url, json=payload, headers=headers, timeout=10)
        return answer.json()["messages"][0]["id"]

    graph.reset()
    started = time.monotonic()
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(send, range(count)))
    took = time.monotonic() - started
    return {"count": count, "rate": count / took}


def report(args, result: dict) -> str:
    rate, steady = result["rate"], result["steady_rate"]
    bare = result["bare"]["rate"]
    ratio = steady / args.rate
    bare_ratio = steady / min(bare, args.rate) if bare else 0.0
    rows = [
        ("mode", args.mode),
        ("recipients", f"{args.recipients:,}"),
        ("configured rate", f"{args.rate:,} a second"),
        ("sends at the stand-in", f"{result['count']:,}"),
        ("sent more than once", f"{result['duplicates']:,}"),
        ("campaign counts", json.dumps(result["counts"])),
        (
            "whole run",
            f"{rate:,.0f} a second (POST to completed: {result['took']:.1f} s)",
        ),
        ("steady (after 3 s)", f"{steady:,.0f} a second"),
        ("ratio to the rate", f"{ratio:.2f} (goal {GOAL_RATIO})"),
        ("bare client", f"{bare:,.0f} a second, {result['bare']['count']:,} sends"),
        ("ratio to min(bare, rate)", f"{bare_ratio:.2f} (goal {GOAL_BARE_RATIO})"),
        ("sender peak memory", f"{result['memory_kib'] / 1024:,.0f} MiB (VmHWM)"),
    ]
    met = ratio >= GOAL_RATIO or bare_ratio >= GOAL_BARE_RATIO
    verdict = "goal met" if met else "goal NOT met"
    return f"Campaign throughput ({verdict})\n{table(rows)}"


class GraphProcess:
    """The asyncio Graph API stand-in, in a process of its own."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = multiprocessing.get_context("fork").Process(
            target=serve_graph, args=(self.port,), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/stats", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the Graph API stand-in did not start")

    def reset(self) -> None:
        requests.post(f"{self.url}/reset", timeout=10)

    def stats(self) -> dict:
        return requests.get(f"{self.url}/stats", timeout=60).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


def serve_graph(port: int) -> None:
    """Answer sends like Meta (a wamid each) and phone info; count every send."""
    state = {"times": [], "to": Counter()}

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                answer = respond(state, method, path, body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def respond(state: dict, method: str, path: str, body: bytes) -> bytes:
    if path == "/reset":
        state["times"].clear()
        state["to"].clear()
        return b"{}"
    if path == "/stats":
        return json.dumps(summary(state)).encode()
    if method == "POST" and path.endswith("/messages"):
        state["times"].append(time.monotonic())
        to = json.loads(body)["to"]
        state["to"][to] += 1
        serial = len(state["times"])
        return json.dumps(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": f"wamid.BENCH{serial:012d}"}],
            }
        ).encode()
    return json.dumps({**PHONE_INFO, "id": PHONE_NUMBER_ID}).encode()


def summary(state: dict) -> dict:
    """The sends' count and rates: over the whole run, and steady (leaving out the
    first STEADY_AFTER seconds, when a quiet number may burst, and the last one)."""
    times = state["times"]
    count = len(times)
    if count < 2:
        return {"count": count, "rate": 0.0, "steady_rate": 0.0, "duplicates": 0}
    first, last = times[0], times[-1]
    middle = [t for t in times if first + STEADY_AFTER <= t <= last - 1]
    steady = (len(middle) - 1) / (middle[-1] - middle[0]) if len(middle) > 1 else 0.0
    return {
        "count": count,
        "rate": (count - 1) / (last - first),
        "steady_rate": steady,
        "duplicates": sum(1 for n in state["to"].values() if n > 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
