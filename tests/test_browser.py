"""A newcomer's first run: `make run`, then the sandbox page in a real browser
(Debian's chromium driven by Playwright) shows the demo flow answering."""

import os
import random
import re
import signal
import socket
import subprocess
import threading

import pytest

from tests.browser import needs_browser, new_page, shot
from tests.processes import ROOT, wait_until_up

BASE = "http://127.0.0.1:8000"
LOGIN_LINE = re.compile(r"Demo login: (\S+) / (\S+)")

pytestmark = needs_browser


@pytest.fixture
def make_run(tmp_path):
    """`make run` as a newcomer types it; yields the demo login it printed."""
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", 8000)) != 0, "port 8000 is taken"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEST_", "WFB_", "HUEY_"))
           and k not in ("DATABASE_URL", "REDIS_URL")}  # fmt: skip
    log = tmp_path / "make-run.log"
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )  # fmt: skip
    found = {}
    ready = threading.Event()

    def read():
        with log.open("w") as out:
            for line in process.stdout:
                out.write(line)
                out.flush()
                if match := LOGIN_LINE.search(line):
                    found.update(email=match[1], password=match[2])
                    ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(300), log.read_text()[-3000:]
        wait_until_up(f"{BASE}/openapi.json", log, seconds=60)
        yield found
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def page(browser):
    return new_page(browser)


def test_make_run_serves_the_sandbox_with_the_demo_flow_answering(make_run, page):
    page.goto(f"{BASE}/app")
    page.fill("input[name=email]", make_run["email"])
    page.fill("input[name=password]", make_run["password"])
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r"/app/sandbox"))
    # A customer of its own, so that an earlier run's chat cannot answer for this one.
    page.fill("input[name=phone]", f"+9198{random.randrange(10**8):08d}")
    page.click("button:has-text('Open this chat')")

    page.fill(".composer-input", "hi")
    page.click(".composer-send")
    chat = page.locator("#chat")
    chat.get_by_text("Welcome to Demo Salon").wait_for()
    chat.get_by_text("What would you like to do?").wait_for()
    shot(page, "sandbox-greeting")

    page.locator("button.reply-button", has_text="Book a visit").last.click()
    chat.get_by_text("What is your email?").wait_for()
    page.fill(".composer-input", "priya@example.com")
    page.click(".composer-send")

    chat.get_by_text("We will email priya@example.com shortly").wait_for()
    shot(page, "sandbox-flow-done")
    assert chat.get_by_text("Thanks! A confirmation is on its way").count() == 0
