"""How many signed webhooks WFB acknowledges a second, against a bare Flask route.

Both run under gunicorn with the product's config (gevent, two workers) on 127.0.0.1
and get the same load from wrk: a POST of a signed inbound text per request, each
with its own wamid and sender, from pre-signed bodies. WFB runs its background work
as in production meanwhile (the embedded consumer, or a huey_consumer process in the
scaled mode), as that competes for the same cores.

    .venv/bin/python -m bench.webhook_ingest [--mode embedded|scaled] [--seconds 10]
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
import uuid

from bench.common import Bench, free_port, table, text_webhook, wamid
from wfb.webhooks.signature import sign

GOAL_RATIO = 0.5
GOAL_OVER_ONE_SECOND = 1.0
MAX_RATE = 12_000

# Each wrk thread takes every n-th pre-signed request of the file, and starts over
# at its end (only if the run outlasts the bodies, which the output reports).
LUA = """
local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2])
  prepared = {}
  local line_no = 0
  for line in io.lines(path) do
    if line_no % threads == thread_index then
      local signature, body = line:match("^(%S+) (.*)$")
      prepared[#prepared + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = signature,
      }, body)
    end
    line_no = line_no + 1
  end
  position = 0
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

local function share_over(latency, limit)
  if latency.max <= limit then return 0 end
  local low, high = 0, 100
  for _ = 1, 40 do
    local middle = (low + high) / 2
    if latency:percentile(middle) > limit then high = middle else low = middle end
  end
  return 100 - high
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,' ..
    '"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"over_1s_share":%.6f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    share_over(latency, 1000000)))
end
"""


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    with Bench(args.mode) as bench:
        results = run(bench, args)
    print(report(bench, args, results))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--seconds", type=int, default=10, help="load per app")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120 or not 1 <= args.connections <= 1000:
        parser.error("keep the load within 120 s and 1,000 connections")
    return args


def run(bench: Bench, args) -> dict:
    from tests.standins.graph import GraphStandIn

    graph = GraphStandIn()
    try:
        seeded = bench.prepare(graph.url)
        count = MAX_RATE * (args.seconds + 2)
        warm, bodies = write_bodies(bench, seeded, count)
        script = bench.dir / "ingest.lua"
        script.write_text(LUA)
        results = {"wfb": serve_wfb(bench, args, seeded, graph, warm, bodies)}
        results["bare"] = serve(
            bench, args, "bench.bare_app:app", bench.env(), seeded.path, warm, bodies
        )
        results["bodies"] = count
        return results
    finally:
        graph.close()


def write_bodies(bench: Bench, seeded, count: int):
    """A warm-up file and the main file of pre-signed bodies, one request a line."""
    run_id = uuid.uuid4().hex[:6]
    files = []
    for name, amount in (("warm", 2_000), ("bodies", count)):
        path = bench.dir / f"{name}.txt"
        with open(path, "wb") as out:
            for serial in range(amount):
                wa_id = f"91{serial % 10_000_000_000:010d}"
                message_id = wamid(serial, f"{run_id}{name[0]}")
                body = text_webhook(seeded.phone_number_id, wa_id, message_id, "Hi")
                out.write(sign(body, seeded.secret).encode() + b" " + body + b"\n")
        files.append(path)
    return files


def serve_wfb(bench: Bench, args, seeded, graph, warm, bodies) -> dict:
    embedded = "true" if bench.mode == "embedded" else "false"
    env = bench.env(META_GRAPH_URL=graph.url, WFB_EMBEDDED_WORKER=embedded)
    worker = bench.start_worker(env) if bench.mode == "scaled" else None
    result = serve(bench, args, "wsgi:app", env, seeded.path, warm, bodies)
    result["stored"] = stored_events(bench)
    result["replies"] = len(graph.messages())
    if worker is not None:
        bench.stop(worker)
    return result


def serve(bench: Bench, args, app: str, env: dict, path: str, warm, bodies) -> dict:
    """Start the app, warm it up, load it, stop it; answer wrk's figures."""
    port = free_port()
    web = bench.start_web(app, port, env, workers=args.workers)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        warm_up = load(bench, args, url, warm, seconds=2)
        result = load(bench, args, url, bodies, seconds=args.seconds)
        result["warm_acknowledged"] = warm_up["acknowledged"]
        return result
    finally:
        bench.stop(web)


def load(bench: Bench, args, url: str, bodies, seconds: int) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(bench.dir / "ingest.lua"), url, "--"]
    command += [str(bodies), str(args.threads)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    seconds_taken = result["duration_us"] / 1e6
    result["acknowledged"] = result["requests"] - result["non2xx"]
    result["rate"] = result["acknowledged"] / seconds_taken
    late = result["over_1s_share"] / 100 * result["requests"] + result["timeouts"]
    answered = result["requests"] + result["timeouts"]
    result["over_1s_percent"] = 100 * late / answered if answered else 0.0
    return result


def stored_events(bench: Bench) -> int:
    from sqlalchemy import create_engine, text

    from wfb.settings import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(bench.database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM webhook_events"))
    finally:
        engine.dispose()


def report(bench: Bench, args, results: dict) -> str:
    wfb, bare = results["wfb"], results["bare"]
    ratio = wfb["rate"] / bare["rate"]
    acknowledged = wfb["acknowledged"] + wfb["warm_acknowledged"]
    head = (
        f"Webhook ingest, {bench.mode} mode: {bench.background}\n"
        f"gunicorn -k gevent -w {args.workers}; wrk -t{args.threads} "
        f"-c{args.connections}, {args.seconds} s per app after a 2 s warm-up\n"
    )
    header = f"  {'':12}{'acked/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    header += f"{'> 1 s':>9}{'non-200':>9}{'errors':>8}"
    lines = [head, header]
    for name, result in (("WFB", wfb), ("bare Flask", bare)):
        lines.append(row(name, result))
    verdict = [
        ("WFB / bare", f"{ratio:.2f}  (goal >= {GOAL_RATIO}: {_met(ratio >= 0.5)})"),
        (
            "WFB over 1 s",
            f"{wfb['over_1s_percent']:.2f}%  (goal < {GOAL_OVER_ONE_SECOND}%: "
            f"{_met(wfb['over_1s_percent'] < GOAL_OVER_ONE_SECOND)})",
        ),
        ("bodies stored", f"{wfb['stored']:,} rows for {acknowledged:,} acknowledged"),
        ("replies sent", f"{wfb['replies']:,} during the run (background work)"),
    ]
    if max(wfb["requests"], bare["requests"]) > results["bodies"]:
        verdict.append(("note", "the run outlasted the bodies; some were re-sent"))
    return "\n".join(lines) + "\n\n" + table(verdict)


def row(name: str, result: dict) -> str:
    return (
        f"  {name:12}{result['rate']:>10,.0f}{result['p50_us'] / 1000:>9.1f}"
        f"{result['p99_us'] / 1000:>9.1f}{result['over_1s_percent']:>8.2f}%"
        f"{result['non2xx']:>9}{result['errors'] + result['timeouts']:>8}"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"\n(finished in {time.monotonic() - started:.0f} s)")
    sys.exit(code)
