"""Starting the product's real processes (gunicorn, huey_consumer) for a test."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def product_env(**values) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "WFB_"))}
    env.update(
        WFB_ENV="test",
        SECRET_KEY="process-test-secret-key-long-enough-for-hs256",
        WFB_ENCRYPTION_KEY="process-test-encryption-passphrase",
        RATELIMIT_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in values.items()})
    return env


def migrate(env: dict) -> None:
    command = [
        str(BIN / "flask"),
        "--app",
        "wsgi.py",
        "db",
        "upgrade",
        "--directory",
        "migrations",
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def running(command: list[str], env: dict, log: Path):
    """Run a process group for the duration of the block, then end all of it."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def gunicorn(port: int, workers: int) -> list[str]:
    return [
        str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "wsgi:app",
    ]  # fmt: skip


def wait_until_up(url: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up:\n{log.read_text()[-3000:]}")


def wait_for(predicate, seconds: float = 10, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@contextmanager
def embedded_product(tmp_path: Path, **settings):
    """The product as `make run` serves it (gunicorn, one worker with its queue
    inside, its own SQLite files) on a free port; yields its base URL."""
    env = product_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'wfb.db'}",
        HUEY_SQLITE_PATH=str(tmp_path / "huey.db"),
        WFB_EMBEDDED_WORKER="true",
        **settings,
    )
    migrate(env)
    port = free_port()
    log = tmp_path / "web.log"
    with running(gunicorn(port, workers=1), env, log):
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/openapi.json", log)
        yield url
