"""Browser tests: the real app under uvicorn, driven by Debian's Chromium via Playwright.

Log in as an agent, take a call, open an order, watch the SLA countdown tick, reply,
resolve, record the return visit and switch the language; screenshots of the queue and
the board go to /tmp for a human look. Then the desk's gap forms: transfer up a tier,
open/link/resolve an incident, edit a customer and add an identity (with a stale tab
getting the 409), and the zh-CN labels after a language switch.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.storage.support import Clock
from tests.web.browser_support import chromium, log_in, serving
from tests.web.support import migrated_seeded
from touchpoint.settings import Settings
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(tempfile.gettempdir())  # screenshots for a human look (the brief asks for /tmp)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="browser-test-secret")  # noqa: S106
    with serving(create_site(settings, dispatch=False)) as base:
        yield base


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    with chromium() as b:
        yield b


def test_pages_and_a_json_answer_load_without_a_failed_request(
    browser: pw.Browser, base_url: str
) -> None:
    """Every resource the pages ask for is served, the icon included (a browser asks
    for /favicon.ico when a page names none, and logs the 404 as an error)."""
    ctx = browser.new_context(locale="en")
    page = ctx.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on(
        "console", lambda m: failed.append(f"{m.text} {m.location}") if m.type == "error" else None
    )
    log_in(page, base_url, "agent")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base_url}/api/noop")  # a JSON answer: the browser asks for /favicon.ico
    page.wait_for_load_state("networkidle")
    ctx.close()
    assert failed == []


def test_agent_takes_a_call_and_closes_the_order(browser: object, base_url: str) -> None:
    from playwright.sync_api import Page, expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page: Page = ctx.new_page()
    log_in(page, base_url, "agent")
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
    log_in(page, base_url, "supervisor")
    page.goto(f"{base_url}/board")
    expect(page.locator("h1")).to_have_text("班长看板")
    chart = page.locator("#kpi-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "touchpoint-board.png"), full_page=True)
    ctx.close()


def _context(browser: pw.Browser, locale: str = "zh-CN") -> pw.BrowserContext:
    return browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})


def _open_order_from_call(page: pw.Page, base_url: str, customer_id: int, subject: str) -> int:
    """Take a call for ``customer_id`` and open an order (taken by the logged-in user)."""
    page.goto(f"{base_url}/call?customer_id={customer_id}")
    page.select_option("#o-type", "repair")
    page.fill("#o-subject", subject)
    page.click("#open-order")
    page.wait_for_url("**/orders/*?done=opened")
    m = re.search(r"/orders/(\d+)\?done=opened$", page.url)
    assert m is not None
    return int(m.group(1))


def _option_values(page: pw.Page, select: str) -> list[str]:
    values = page.locator(f"{select} option").evaluate_all("os => os.map(o => o.value)")
    return [str(v) for v in values]


def test_transfer_to_another_agent_and_team_moves_up_a_tier(
    browser: pw.Browser, base_url: str
) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser)
    page = ctx.new_page()
    log_in(page, base_url, "agent")
    oid = _open_order_from_call(page, base_url, 6, "表计烧坏，需二线处理")
    expect(page.locator("#order-tier")).to_have_text("一线")
    expect(page.locator("#order-assignee")).to_have_text("Agent")
    expect(page.locator("#assign h2")).to_have_text("转派 / 指派")
    assert _option_values(page, "#a-tier") == ["L1", "L2", "expert"]

    # transfer to agent2 in the repair team, up to L2
    agent2 = page.locator("#a-assignee option", has_text="Agent2").get_attribute("value")
    repair = page.locator("#a-team option", has_text="Repair L2").get_attribute("value")
    assert agent2 and repair
    page.select_option("#a-assignee", agent2)
    page.select_option("#a-team", repair)
    page.select_option("#a-tier", "L2")
    page.click("#assign-submit")
    page.wait_for_url(f"**/orders/{oid}?done=assigned")
    expect(page.locator(".flash.ok")).to_have_text("工单已转派。首问负责人仍然负责到底。")
    expect(page.locator("#order-tier")).to_have_text("二线技术支持")
    expect(page.locator("#order-assignee")).to_have_text("Agent2")
    expect(page.locator("#order-team")).to_have_text("Repair L2")
    expect(page.locator("#assign-owner")).to_have_text("Agent")  # 首问负责人 never changes
    assert _option_values(page, "#a-tier") == ["L2", "expert"]  # only up from here

    # up to the expert team, keeping the assignee and the team
    page.select_option("#a-tier", "expert")
    page.click("#assign-submit")
    page.wait_for_url(f"**/orders/{oid}?done=assigned")
    expect(page.locator("#order-tier")).to_have_text("专家组")
    expect(page.locator("#order-assignee")).to_have_text("Agent2")
    expect(page.locator("#order-team")).to_have_text("Repair L2")
    expect(page.locator("#assign-owner")).to_have_text("Agent")
    assert _option_values(page, "#a-tier") == ["expert"]
    ctx.close()


def test_incident_open_link_and_resolve(browser: pw.Browser, base_url: str) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser)
    page = ctx.new_page()
    log_in(page, base_url, "supervisor")
    oid = _open_order_from_call(page, base_url, 8, "小区停电 browser incident")

    # open an incident with the announcement agents read out
    title = "滨江路停电 Binjiang Rd outage (browser)"
    announcement = "滨江路片区因变压器故障停电，预计18:00前恢复供电。"
    page.click("#nav-incidents")
    expect(page.locator("h1")).to_have_text("突发事件")
    page.fill("#i-title", title)
    page.fill("#i-area", "Binjiang Rd 1–88")
    page.fill("#i-announcement", announcement)
    page.click("#incident-submit")
    page.wait_for_url("**/incidents?done=opened")
    expect(page.locator(".flash.ok")).to_contain_text("突发事件已登记")
    card = page.locator(".card", has=page.locator("h2", has_text=title))
    card_id = card.get_attribute("id")
    assert card_id is not None and card_id.startswith("incident-")
    iid = int(card_id.removeprefix("incident-"))
    expect(page.locator(f"#announcement-{iid}")).to_contain_text(announcement)

    # agents see the announcement when they take a call
    agent_ctx = _context(browser)
    agent_page = agent_ctx.new_page()
    log_in(agent_page, base_url, "agent")
    agent_page.click("#nav-call")
    expect(agent_page.locator("main")).to_contain_text(announcement)
    agent_ctx.close()

    # link the order, then resolve the incident with a notice to each customer
    page.fill(f"#l-{iid}", f"#{oid}")
    page.click(f"#link-submit-{iid}")
    page.wait_for_url("**/incidents?done=linked")
    expect(page.locator(".flash.ok")).to_have_text("工单已关联到突发事件。")
    card = page.locator(f"#incident-{iid}")
    expect(card.locator(f'a[href="/orders/{oid}"]')).to_have_count(1)
    notice = "滨江路已恢复供电，感谢您的耐心等待。"
    page.fill(f"#n-{iid}", notice)
    page.click(f"#resolve-submit-{iid}")
    page.wait_for_url("**/incidents?done=resolved")
    expect(page.locator(".flash.ok")).to_contain_text("突发事件已恢复")
    expect(card.locator("h2 .badge")).to_have_text("已解决")
    expect(page.locator(f"#notice-{iid}")).to_contain_text(notice)
    expect(page.locator(f"#link-form-{iid}")).to_have_count(0)
    row = card.locator("tr", has=page.locator(f'a[href="/orders/{oid}"]'))
    expect(row.locator(".badge")).to_have_text("已解决")

    # the linked order is resolved, with the notice on its timeline
    page.goto(f"{base_url}/orders/{oid}")
    expect(page.locator("#order-status")).to_have_text("已解决")
    expect(page.locator("#timeline")).to_contain_text(notice)
    expect(page.locator("#timeline")).to_contain_text(f"resolved with incident #{iid}")
    ctx.close()


def test_customer_edit_and_identity_with_a_stale_form(browser: pw.Browser, base_url: str) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser)
    page = ctx.new_page()
    log_in(page, base_url, "agent")
    url = f"{base_url}/customers/10"
    page.goto(url)
    stale = ctx.new_page()
    stale.goto(url)  # a second tab, left open on the same version
    expect(stale.locator("h1")).to_contain_text("吴霞")

    # edit name, class and guest history
    page.fill("#e-name", "吴霞 Wu Xia")
    page.select_option("#e-class", "vip")
    page.fill("#e-prefs", "渠道: 短信\n房间：安静")
    page.click("#customer-save")
    page.wait_for_url("**/customers/10?done=edited")
    expect(page.locator(".flash.ok")).to_have_text("客户资料已保存。")
    expect(page.locator("h1")).to_contain_text("吴霞 Wu Xia")
    expect(page.locator("h1 .badge").first).to_have_text("VIP")
    expect(page.locator("#preferences")).to_contain_text("短信")
    expect(page.locator("#preferences")).to_contain_text("安静")

    # add an e-mail identity
    page.select_option("#id-kind", "email")
    page.fill("#id-value", "wu.xia@example.com")
    page.click("#identity-add")
    page.wait_for_url("**/customers/10?done=identity")
    expect(page.locator(".flash.ok")).to_have_text("身份标识已添加。")
    expect(page.locator("#identities")).to_contain_text("wu.xia@example.com")

    # the other tab still holds the old version: 409, nothing saved, input kept
    stale.fill("#e-name", "Stale edit")
    with stale.expect_response(lambda r: r.url.endswith("/customers/10/edit")) as answer:
        stale.click("#customer-save")
    assert answer.value.status == 409
    expect(stale.locator(".flash.error")).to_contain_text("您编辑期间此记录已被他人修改")
    expect(stale.locator("#e-name")).to_have_value("Stale edit")
    expect(stale.locator("h1")).to_contain_text("吴霞 Wu Xia")  # the current version is shown
    expect(stale.locator("#identities")).to_contain_text("wu.xia@example.com")
    page.reload()
    expect(page.locator("h1")).to_contain_text("吴霞 Wu Xia")
    expect(page.locator("#e-name")).to_have_value("吴霞 Wu Xia")

    # checked against the current version, the form saves on the second submit
    stale.fill("#e-name", "吴霞")
    stale.click("#customer-save")
    stale.wait_for_url("**/customers/10?done=edited")
    expect(stale.locator("h1")).to_contain_text("吴霞")
    expect(stale.locator("h1")).not_to_contain_text("Wu Xia")
    ctx.close()


def test_switching_language_shows_chinese_labels_on_the_incident_page(
    browser: pw.Browser, base_url: str
) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser, locale="en-US")
    page = ctx.new_page()
    log_in(page, base_url, "supervisor")
    page.goto(f"{base_url}/incidents")
    expect(page.locator("h1")).to_have_text("Incidents")
    expect(page.locator("#open-incident h2")).to_have_text("Open an incident")
    expect(page.locator("#incident-submit")).to_have_text("Open incident")
    demo = page.locator(".card", has=page.locator("h2", has_text="新华路片区停电"))
    expect(demo.locator("h2 .badge")).to_have_text("Resolved")
    expect(page.locator("#lang-switch")).to_have_text("中文")

    page.click("#lang-switch")
    page.wait_for_url(f"{base_url}/incidents")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("突发事件")
    expect(page.locator("#open-incident h2")).to_have_text("登记突发事件")
    expect(page.locator("label[for=i-title]")).to_have_text("标题")
    expect(demo.locator("h2 .badge")).to_have_text("已解决")
    expect(demo.locator(".flash strong")).to_have_text("自动播报:")
    expect(page.locator("#lang-switch")).to_have_text("English")
    # the cookie keeps the choice on the next page
    page.goto(f"{base_url}/queue")
    expect(page.locator("h1")).to_have_text("我的班组队列")
    ctx.close()
