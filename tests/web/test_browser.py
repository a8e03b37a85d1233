"""Browser tests: the real app under uvicorn, driven by Debian's Chromium via Playwright.

Log in as an agent, take a call, open an order, watch the SLA countdown tick, reply,
resolve, record the return visit and switch the language; screenshots of the queue and
the board go to /tmp for a human look.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.storage.support import Clock
from tests.web.support import LOGINS, migrated_seeded
from touchpoint.settings import Settings
from touchpoint.web import create_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = Path(tempfile.gettempdir())  # screenshots for a human look (the brief asks for /tmp)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    tmp = tmp_path_factory.mktemp("browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="browser-test-secret")  # noqa: S106
    app = create_site(settings, dispatch=False)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _login(page: object, base_url: str, who: str) -> None:
    page.goto(f"{base_url}/login")  # type: ignore[attr-defined]
    page.fill("#username", who)  # type: ignore[attr-defined]
    page.fill("#password", LOGINS[who])  # type: ignore[attr-defined]
    page.click("#login-submit")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/queue")  # type: ignore[attr-defined]


def test_agent_takes_a_call_and_closes_the_order(browser: object, base_url: str) -> None:
    from playwright.sync_api import Page, expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page: Page = ctx.new_page()
    _login(page, base_url, "agent")
    expect(page.locator("h1")).to_have_text("我的班组队列")
    page.screenshot(path=str(SHOTS / "touchpoint-queue.png"), full_page=True)

    # take a call: find the caller by phone (HTMX live search), open an order
    page.click("#nav-call")
    page.fill("#call-q", "13800138002")
    page.locator("#call-results a.pick-customer").first.click()
    expect(page.locator("#caller h2").first).to_contain_text("王芳")
    page.select_option("#o-type", "repair")
    page.select_option("#o-priority", "high")
    page.fill("#o-subject", "家中停电，请尽快抢修")
    page.click("#open-order")
    page.wait_for_url("**/orders/*?done=opened")
    expect(page.locator("#order-status")).to_have_text("已分派")

    # the SLA countdown ticks in the browser
    countdown = page.locator("#sla-panel .countdown[data-due]").first
    expect(countdown).to_have_text(re.compile(r"^-?\d+:\d\d:\d\d$"))  # filled in by countdown.js
    first = countdown.inner_text()
    page.wait_for_timeout(2100)
    assert countdown.inner_text() != first

    # reply, resolve, return visit (closes the order)
    page.fill("#r-body", "抢修人员已出发，预计一小时内到达")
    page.click("#reply-submit")
    expect(page.locator("#timeline")).to_contain_text("抢修人员已出发")
    page.click("#to-resolved")
    expect(page.locator("#order-status")).to_have_text("已解决")
    page.fill("#v-note", "客户确认已恢复供电")
    page.click("#visit-submit")
    expect(page.locator("#order-status")).to_have_text("已关闭")
    expect(page.locator("#timeline")).to_contain_text("回访")

    # switch language: the labels change, the cookie keeps it
    page.click("#lang-switch")
    expect(page.locator("#order-status")).to_have_text("Closed")
    expect(page.locator("#timeline")).to_contain_text("Return visit")
    page.goto(f"{base_url}/queue")
    expect(page.locator("h1")).to_have_text("My teams' queue")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("我的班组队列")
    ctx.close()


def test_supervisor_board_draws_its_charts(browser: object, base_url: str) -> None:
    from playwright.sync_api import Page, expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page: Page = ctx.new_page()
    _login(page, base_url, "supervisor")
    page.goto(f"{base_url}/board")
    expect(page.locator("h1")).to_have_text("班长看板")
    chart = page.locator("#kpi-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "touchpoint-board.png"), full_page=True)
    ctx.close()
