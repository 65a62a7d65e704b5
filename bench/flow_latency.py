"""How long a customer waits for a flow's answer: webhook POST to reply at Meta.

Starts the product with META_GRAPH_URL pointing at the Graph API stand-in of the
tests, seeds an org whose flow answers every message with a text, and posts signed
inbound messages at a steady rate, each from its own customer. For each message it
measures the time from the POST to the reply reaching the stand-in (matched by the
recipient), and prints the median and the 99th percentile.

    .venv/bin/python -m bench.flow_latency [--mode embedded|scaled] [--rate 100]
"""

import argparse
import http.client
import queue
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass

from bench.common import Bench, free_port, percentile, table, text_webhook, wamid
from wfb.webhooks.signature import sign

GOAL_MEDIAN_MS = 50
GOAL_P99_MS = 250
SENDERS = 32
SETTLE_SECONDS = 15


@dataclass
class Sent:
    """One inbound message: when its POST left, and how it was answered."""

    to: str
    body: bytes
    signature: str
    posted_at: float = 0.0
    acked_at: float = 0.0
    status: int = 0


def main() -> int:
    args = parse_args()
    with Bench(args.mode) as bench:
        result = run(bench, args)
    print(report(bench, args, result))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--rate", type=int, default=100, help="messages a second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    if not 1 <= args.rate <= 1000 or not 1 <= args.seconds <= 120:
        parser.error("keep the load within 1,000 a second and 120 s")
    return args


def run(bench: Bench, args) -> dict:
    from tests.standins.graph import GraphStandIn

    graph = GraphStandIn()
    try:
        seeded = bench.prepare(graph.url)
        embedded = "true" if bench.mode == "embedded" else "false"
        env = bench.env(META_GRAPH_URL=graph.url, WFB_EMBEDDED_WORKER=embedded)
        if bench.mode == "scaled":
            bench.start_worker(env)
        port = free_port()
        bench.start_web("wsgi:app", port, env, workers=args.workers)
        run_id = uuid.uuid4().hex[:6]
        warm = messages(seeded, "90", run_id + "w", min(args.rate, 50))
        send(port, seeded.path, warm, rate=min(args.rate, 50))
        wait_for_replies(graph, warm, SETTLE_SECONDS)
        graph.reset()
        load = messages(seeded, "91", run_id, args.rate * args.seconds)
        started = time.monotonic()
        send(port, seeded.path, load, rate=args.rate)
        sending = time.monotonic() - started
        replies = wait_for_replies(graph, load, SETTLE_SECONDS)
        return {"sent": load, "replies": replies, "sending": sending}
    finally:
        graph.close()


def messages(seeded, prefix: str, run_id: str, count: int) -> list[Sent]:
    """Signed inbound texts, each from a customer of its own."""
    out = []
    for serial in range(count):
        wa_id = f"{prefix}{serial:010d}"
        body = text_webhook(
            seeded.phone_number_id, wa_id, wamid(serial, run_id), "Hello"
        )
        out.append(Sent(wa_id, body, sign(body, seeded.secret)))
    return out


def send(port: int, path: str, batch: list[Sent], rate: int) -> None:
    """POST each message at its slot of a steady rate, from a few connections."""
    jobs: queue.Queue[Sent | None] = queue.Queue()
    threads = [
        threading.Thread(target=_sender, args=(port, path, jobs), daemon=True)
        for _ in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    start = time.monotonic() + 0.05
    for index, message in enumerate(batch):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        jobs.put(message)
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=60)


def _sender(port: int, path: str, jobs: queue.Queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while (message := jobs.get()) is not None:
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": message.signature,
        }
        message.posted_at = time.time()
        try:
            connection.request("POST", path, body=message.body, headers=headers)
            response = connection.getresponse()
            response.read()
            message.status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            message.status = -1
        message.acked_at = time.time()
    connection.close()


def wait_for_replies(graph, batch: list[Sent], seconds: float) -> dict[str, float]:
    """The time each recipient's first reply reached the stand-in."""
    wanted = {message.to for message in batch}
    deadline = time.monotonic() + seconds
    while True:
        replies = first_replies(graph, wanted)
        if len(replies) == len(wanted) or time.monotonic() > deadline:
            return replies
        time.sleep(0.2)


def first_replies(graph, wanted: set[str]) -> dict[str, float]:
    replies: dict[str, float] = {}
    for request in list(graph.requests):
        body = request.body if isinstance(request.body, dict) else {}
        to = "".join(c for c in str(body.get("to", "")) if c.isdigit())
        if request.endpoint == "messages" and to in wanted and to not in replies:
            replies[to] = request.time
    return replies


def report(bench: Bench, args, result: dict) -> str:
    sent, replies = result["sent"], result["replies"]
    waits = [(replies[m.to] - m.posted_at) * 1000 for m in sent if m.to in replies]
    acks = [(m.acked_at - m.posted_at) * 1000 for m in sent if m.status == 200]
    median, p99 = statistics.median(waits), percentile(waits, 99)
    achieved = len(sent) / result["sending"]
    head = (
        f"Flow latency, {bench.mode} mode: {bench.background}\n"
        f"gunicorn -k gevent -w {args.workers}; {len(sent):,} messages at "
        f"{args.rate} a second ({achieved:.0f} achieved), each from its own customer\n"
    )
    rows = [
        ("POST to reply, median", f"{median:.1f} ms  (goal < {GOAL_MEDIAN_MS} ms: "
         f"{_met(median < GOAL_MEDIAN_MS)})"),
        ("POST to reply, p90", f"{percentile(waits, 90):.1f} ms"),
        ("POST to reply, p99", f"{p99:.1f} ms  (goal < {GOAL_P99_MS} ms: "
         f"{_met(p99 < GOAL_P99_MS)})"),
        ("POST to reply, max", f"{max(waits):.1f} ms"),
        ("acknowledged (200)", f"{len(acks):,} of {len(sent):,}"),
        ("ack time median / p99", f"{statistics.median(acks):.1f} / "
         f"{percentile(acks, 99):.1f} ms"),
        ("replies received", f"{len(waits):,} of {len(sent):,}"),
    ]  # fmt: skip
    return head + "\n" + table(rows)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    sys.exit(main())
