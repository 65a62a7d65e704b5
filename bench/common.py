"""What both benchmarks share: a workspace, the product's processes, a seeded org.

A `Bench` owns everything a run makes: a temporary directory, the processes it
starts (each in its own process group, so its children go with it), the scaled
mode's PostgreSQL database and Redis db. Leaving the `with` block, by the end of the
run, an error, Ctrl-C or SIGTERM, stops and removes all of it.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_URL = "postgresql://postgres@127.0.0.1/test"
REDIS_URL = "redis://127.0.0.1:6379/15"
APP_SECRET = "bench_app_secret_0001"
ACCESS_TOKEN = "EAAG-bench-access-token"
PHONE_NUMBER_ID = "200000000000001"
REPLY = "Thanks {{contact.name}}, we got your message."
FLOW = {
    "name": "Answer everything",
    "trigger": {"type": "any"},
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}},
        {"id": "reply", "type": "message", "data": {"text": REPLY}},
        {"id": "end", "type": "end"},
    ],
    "edges": [
        {"source": "start", "target": "reply"},
        {"source": "reply", "target": "end"},
    ],
}


@dataclass
class Seeded:
    """The org a benchmark posts to."""

    org_id: int
    secret: str
    phone_number_id: str
    path: str


class Bench:
    """A run's workspace and processes; a context manager that cleans up after it."""

    def __init__(self, mode: str = "embedded"):
        if mode not in ("embedded", "scaled"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.dir = Path(tempfile.mkdtemp(prefix="wfb-bench-"))
        self.processes: list[subprocess.Popen] = []
        self.database = f"wfb_bench_{uuid.uuid4().hex[:10]}"
        self._database_made = False
        self._old_sigterm = None

    def __enter__(self) -> "Bench":
        self._old_sigterm = signal.signal(signal.SIGTERM, _exit_on_signal)
        return self

    def __exit__(self, *exc) -> None:
        try:
            for process in reversed(self.processes):
                stop(process)
            if self.mode == "scaled":
                self._drop_scaled_stores()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            signal.signal(signal.SIGTERM, self._old_sigterm or signal.SIG_DFL)

    @property
    def database_url(self) -> str:
        if self.mode == "scaled":
            return f"postgresql://postgres@127.0.0.1/{self.database}"
        return f"sqlite:///{self.dir / 'wfb.db'}"

    @property
    def background(self) -> str:
        """How the product's background work runs in this mode, for the output."""
        if self.mode == "scaled":
            return "PostgreSQL + Redis, huey_consumer process (8 threads)"
        return "SQLite, Huey consumer inside each web worker"

    def env(self, **extra: str) -> dict:
        """The product's environment for this mode."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WFB_", "DATABASE_", "REDIS_", "META_"))
        }
        env.update(
            WFB_ENV="development",
            SECRET_KEY="bench-secret-key-with-enough-length-for-hs256",
            WFB_ENCRYPTION_KEY="bench-encryption-passphrase",
            DATABASE_URL=self.database_url,
            HUEY_SQLITE_PATH=str(self.dir / "huey.db"),
            RATELIMIT_ENABLED="false",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        if self.mode == "scaled":
            env["REDIS_URL"] = REDIS_URL
        env.update(extra)
        return env

    def prepare(self, graph_url: str, messages_per_second: int = 1000) -> Seeded:
        """Make the database, run the migrations and seed the org through the API."""
        if self.mode == "scaled":
            self._make_scaled_stores()
        env = self.env(META_GRAPH_URL=graph_url, WFB_EMBEDDED_WORKER="false")
        command = [str(BIN / "flask"), "--app", "wsgi.py", "db", "upgrade"]
        command += ["--directory", "migrations"]
        subprocess.run(
            command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
        )
        return seed(env, messages_per_second)

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        """Start a process in its own group, its output in a log file of the run."""
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115  (kept by Popen)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        process.bench_name = name
        self.processes.append(process)
        return process

    def start_web(
        self, app: str, port: int, env: dict, workers: int = 2
    ) -> subprocess.Popen:
        """gunicorn with the product's config (gevent) on 127.0.0.1:`port`."""
        env = dict(env, WFB_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers))
        command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app]
        process = self.start("gunicorn", command, env)
        wait_for_http(port, process, self.log(process))
        return process

    def start_worker(self, env: dict) -> subprocess.Popen:
        """The scaled mode's worker, as the Procfile runs it."""
        command = [str(BIN / "huey_consumer"), "wfb.worker.huey"]
        command += ["--workers", "8", "--worker-type", "thread"]
        return self.start("worker", command, env)

    def stop(self, process: subprocess.Popen) -> None:
        stop(process)
        self.processes.remove(process)

    def log(self, process: subprocess.Popen) -> Path:
        return self.dir / f"{process.bench_name}.log"

    def _make_scaled_stores(self) -> None:
        import psycopg2
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        connection = psycopg2.connect(PG_URL)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        connection.close()
        self._database_made = True

    def _drop_scaled_stores(self) -> None:
        import psycopg2
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        if not self._database_made:
            return
        connection = psycopg2.connect(PG_URL)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        connection.close()


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process that a Bench started, and every process of its group."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    # The group may outlive its leader (a worker that ignored the first signal).
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(port: int, process: subprocess.Popen, log: Path, timeout=60.0):
    """Wait until something answers HTTP on the port; fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /ping HTTP/1.0\r\nHost: bench\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} in {timeout:.0f} s")


def seed(env: dict, messages_per_second: int = 1000) -> Seeded:
    """Sign up an org and give it credentials, a flow and a number, via the API."""
    from wfb import create_app
    from wfb.extensions import db
    from wfb.settings import Settings

    app = create_app(Settings.from_env(env))
    client = app.test_client()
    answer = _call(client, "/auth/signup", None, _signup())
    token, org_id = answer["access_token"], answer["user"]["org_id"]
    _call(client, "/settings/whatsapp", token, _credentials())
    flow = _call(client, "/flows", token, FLOW)
    number = {
        "phone_number_id": PHONE_NUMBER_ID,
        "display_phone_number": "15550001111",
        "label": "Bench",
        "flow_id": flow["id"],
        "messages_per_second": messages_per_second,
    }
    _call(client, "/phone-numbers", token, number)
    with app.app_context():
        db.engine.dispose()
    return Seeded(org_id, APP_SECRET, PHONE_NUMBER_ID, f"/webhook/{org_id}")


def _signup() -> dict:
    return {
        "organization_name": "Bench Salon",
        "name": "Bench Admin",
        "email": "admin@bench.test",
        "password": "correct-horse-battery",
    }


def _credentials() -> dict:
    return {
        "waba_id": "100000000000001",
        "app_id": "300000000000001",
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": "bench-verify-token",
    }


def _call(client, path: str, token: str | None, body: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(path, json=body, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"POST {path} answered {response.status_code}")
    return response.json


def text_webhook(phone_number_id: str, wa_id: str, wamid: str, text: str) -> bytes:
    """Meta's inbound text webhook for one message, compact as Meta sends it."""
    from tests.support import text_message

    data = text_message(
        text,
        wamid,
        wa_id=wa_id,
        name=f"Customer {wa_id[-5:]}",
        phone_number_id=phone_number_id,
        timestamp=str(int(time.time())),
    )
    return json.dumps(data, separators=(",", ":")).encode()


def wamid(serial: int, run: str) -> str:
    return f"wamid.HBgLbench{run}{serial:010d}"


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0 to 100) of the values lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(share / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name.ljust(width)}  {value}" for name, value in rows)


def python() -> str:
    return str(BIN / "python") if (BIN / "python").exists() else sys.executable
