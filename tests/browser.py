"""Debian's chromium driven by Playwright, for the tests that use a real browser."""

import os
import shutil
from pathlib import Path

import pytest

from tests.processes import ROOT

CHROMIUM = shutil.which("chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
# Without the network-quiet flags chromium keeps dialling hosts this machine cannot
# reach; the sandbox is off because the tests run as root.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

needs_browser = [
    pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium"),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_DATABASE_URL")),
        reason="the browser runs once, in the embedded pass",
    ),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def new_page(browser):
    """A page in a context of its own, so each person has their own cookies."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15000)
    return page


def shot(page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ for a reviewer to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
