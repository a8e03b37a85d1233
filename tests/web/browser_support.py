"""What the browser tests share: Debian's Chromium as Playwright launches it here, and
the app served by uvicorn on a free loopback port in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright import sync_api as pw

__all__ = ["ARGS", "CHROMIUM", "chromium", "free_port", "log_in", "page_in", "serving"]

CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium keeps calling out of this closed
#: network; never ``playwright install`` (no internet here).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """``app`` under uvicorn (lifespan on) on ``port`` (a free one by default) until the
    block ends; yields its base URL. Skips the test when Debian's Chromium is not
    installed (nothing would drive it)."""
    import uvicorn

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[pw.Browser]:
    """Headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: pw.Page, base_url: str, who: str) -> None:
    """Log ``who`` in through the login form (the seeded desk's password)."""
    from tests.web.support import LOGINS

    page.goto(f"{base_url}/login")
    page.fill("#username", who)
    page.fill("#password", LOGINS[who])
    page.click("#login-submit")
    page.wait_for_url(f"{base_url}/queue")


def page_in(browser: pw.Browser, base_url: str, who: str, lang: str) -> pw.Page:
    """A new page of a fresh context reading ``lang`` (the language cookie), logged in as
    ``who``; close it with ``page.context.close()``."""
    context = browser.new_context()
    context.add_cookies([{"name": "touchpoint_lang", "value": lang, "url": base_url}])
    page = context.new_page()
    log_in(page, base_url, who)
    return page
