"""The web page served for real, and a real browser to read it with.

``running_web`` serves the application with uvicorn on a free loopback port over a given database,
exactly as ``raqib serve`` does. ``chromium`` is Debian's Chromium, headless, driven by Playwright
(the Python package): Playwright is never asked to download a browser of its own, and a machine
without ``/usr/bin/chromium`` fails the browser tests with a pointer to ``scripts/test``, which
installs it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from config.schema import RaqibConfig
from storage.db import Database
from web.server import make_server, serve_in_background

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"  # git-ignored: screenshots and other things a person may look at
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: the tests run as root. Nothing in the background may reach beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_web(
    config: RaqibConfig,
    database: Database,
    start_timeout: float = 15,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
) -> Iterator[str]:
    """The web application bound to ``host`` (loopback by default), in a thread; yields the base
    URL to reach it on loopback (no trailing slash)."""
    port = free_port()
    server = make_server(config, database, host, port, token)
    thread = serve_in_background(server)
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise AssertionError(f"the web server did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def launch_chromium(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. Run scripts/test, which "
            "installs it (apt-get install chromium), or install it by hand; Playwright must not download one.",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module (each test opens its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
