"""Every page renders in zh-CN and en, checks roles and CSRF, and refuses stale forms."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.web.support import Site, csrf_of, post_form
from touchpoint.services import base
from touchpoint.storage import writer_lock as writer_lock_module
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.models import Customer, WorkOrder, WorkOrderEvent

PAGES = [
    "/queue",
    "/call",
    "/customers",
    "/customers/1",
    "/orders/1",
    "/board",
    "/merge",
    "/incidents",
]


def _order_id(location: str) -> int:
    m = re.fullmatch(r"/orders/(\d+)\?done=opened", location)
    assert m is not None, location
    return int(m.group(1))


def _rows(site: Site, model: type[WorkOrderEvent], order_id: int) -> int:
    engine = make_engine(site.url)
    try:
        with make_session_factory(engine)() as s:
            return len(s.scalars(select(model).where(model.work_order_id == order_id)).all())
    finally:
        engine.dispose()


def _open_order(site: Site, who: str = "agent", type: str = "repair") -> int:
    c = site.client(who)
    r = post_form(
        c,
        "/call?customer_id=2",
        "/call/order",
        {
            "customer_id": "2",
            "type": type,
            "channel": "hotline",
            "priority": "high",
            "subject": "停电报修 test",
            "team_id": "1",
            "take": "1",
        },
    )
    assert r.status_code == 303, r.text
    return _order_id(r.headers["location"])


@pytest.mark.parametrize("url", [*PAGES, "/merge/1/undo"])
def test_anonymous_viewers_are_sent_to_login(site: Site, url: str) -> None:
    c = site.client()
    r = c.post(url) if url.endswith("/undo") else c.get(url)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_htmx_requests_get_an_hx_redirect_to_login(site: Site) -> None:
    r = site.client().get("/queue", headers={"HX-Request": "true"})
    assert r.status_code == 204
    assert r.headers["HX-Redirect"].startswith("/login")


def test_login_rejects_a_wrong_password_and_a_missing_csrf_token(site: Site) -> None:
    c = site.client(lang="en")
    page = c.get("/login")
    bad = c.post(
        "/login",
        data={"username": "agent", "password": "nope-nope", "csrf_token": csrf_of(page.text)},
    )
    assert bad.status_code == 401
    assert "Unknown user or wrong password." in bad.text
    forged = c.post("/login", data={"username": "agent", "password": "agent-demo-1"})
    assert forged.status_code == 403
    assert "touchpoint_session" not in forged.cookies


@pytest.mark.parametrize(
    ("who", "url", "zh", "en"),
    [
        ("agent", "/queue", "我的班组队列", "My teams' queue"),
        ("agent", "/call?q=13800138002", "王芳", "Find the caller"),
        ("agent", "/customers?q=王", "王芳", "Customers"),
        ("agent", "/customers/1", "客户接触卡片", "Contact card"),
        ("agent", "/orders/1", "处理时间线", "Timeline"),
        ("supervisor", "/board", "班长看板", "Supervisor board"),
        ("supervisor", "/merge", "疑似重复客户", "Likely duplicates"),
        ("analyst", "/board?group_by=agent", "各坐席 KPI", "KPIs per agent"),
    ],
)
def test_pages_render_in_both_languages(site: Site, who: str, url: str, zh: str, en: str) -> None:
    zh_page = site.client(who, "zh_CN").get(url)
    assert zh_page.status_code == 200, zh_page.text
    assert zh in unescape(zh_page.text)
    assert 'lang="zh-CN"' in zh_page.text
    en_page = site.client(who, "en").get(url)
    assert en_page.status_code == 200
    assert en in unescape(en_page.text)
    assert 'lang="en"' in en_page.text


def test_language_switch_sets_the_cookie_and_returns(site: Site) -> None:
    c = site.client("agent", "zh_CN")
    assert "工单队列" in c.get("/queue").text
    r = post_form(c, "/queue", "/lang", {"lang": "en", "next": "/queue"})
    assert r.status_code == 303
    assert r.headers["location"] == "/queue"
    c.cookies.set("touchpoint_lang", r.cookies["touchpoint_lang"])
    text = unescape(c.get("/queue").text)
    assert "My teams' queue" in text
    assert "工单队列" not in text


@pytest.mark.parametrize(
    ("who", "url"),
    [("agent", "/board"), ("agent", "/merge"), ("hotel", "/merge"), ("analyst", "/call")],
)
def test_roles_without_access_get_the_403_page(site: Site, who: str, url: str) -> None:
    r = site.client(who, "en").get(url)
    assert r.status_code == 403
    assert "Your role may not open this page." in r.text


def test_agents_do_not_see_other_teams_orders(site: Site) -> None:
    engine = make_engine(site.url)
    with make_session_factory(engine)() as s:
        hotel_order = s.scalars(select(WorkOrder).where(WorkOrder.team_id == 3)).first()
    engine.dispose()
    assert hotel_order is not None
    r = site.client("agent", "en").get(f"/orders/{hotel_order.id}")
    assert r.status_code == 404
    assert f'/orders/{hotel_order.id}"' not in site.client("agent").get("/queue").text


def test_analysts_see_masked_identities(site: Site) -> None:
    analyst = site.client("analyst", "en").get("/customers/2").text
    agent = site.client("agent", "en").get("/customers/2").text
    assert "13800138002" in agent
    assert "13800138002" not in analyst
    assert "masked" in analyst


def test_queue_polls_and_returns_only_rows_to_htmx(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent")
    full = c.get("/queue").text
    assert 'hx-trigger="every 30s"' in full
    row = re.search(rf'<tr class="sla-\w+">\s*<td><a href="/orders/{oid}">.*?</tr>', full, re.S)
    assert row is not None
    assert 'class="countdown' in row.group(0) and "data-due=" in row.group(0)
    part = c.get("/queue", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "<html" not in part.text and "<table" in part.text


def test_queue_filters(site: Site) -> None:
    c = site.client("agent", "en")
    repair = c.get("/queue?type=repair").text
    assert "Repair / fault" in repair
    consult = c.get("/queue?type=praise&status=closed").text
    assert "The queue is empty." in consult


def test_take_a_call_then_work_the_order_to_closure(site: Site) -> None:
    c = site.client("agent", "en")
    found = c.get("/call", params={"q": "138 0013 8002"})
    assert "/call?customer_id=2" in found.text
    oid = _open_order(site)
    page = c.get(f"/orders/{oid}?done=opened")
    assert page.status_code == 200
    assert "Work order opened." in page.text
    assert "First-contact owner" in page.text and "Next escalation" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/reply",
        {"kind": "agent_reply", "body": "工程师已出发", "version": version.group(1)},
    )
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "工程师已出发" in page and "Saved to the timeline." in page
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    r = post_form(
        c, f"/orders/{oid}", f"/orders/{oid}/status", {"to": "resolved", "version": v.group(1)}
    )
    assert r.status_code == 303
    page = c.get(f"/orders/{oid}").text
    assert 'id="visit-form"' in page
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/return-visit",
        {"satisfied": "yes", "version": v.group(1), "close": "1", "note": "满意"},
    )
    assert r.status_code == 303
    page = c.get(f"/orders/{oid}").text
    assert 'id="order-status">Closed<' in page


def test_a_stale_form_shows_the_conflict_and_writes_nothing(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    token = csrf_of(page)
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    first = c.post(
        f"/orders/{oid}/status",
        data={"csrf_token": token, "to": "in_progress", "version": v.group(1)},
    )
    assert first.status_code == 303
    before = _rows(site, WorkOrderEvent, oid)
    stale = c.post(
        f"/orders/{oid}/status",
        data={
            "csrf_token": token,
            "to": "resolved",
            "note": "late text",
            "version": v.group(1),
        },
    )
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text
    assert "late text" in stale.text  # the agent's text is kept in the form, not saved
    assert _rows(site, WorkOrderEvent, oid) == before
    assert "In progress" in stale.text


def test_a_reply_on_an_order_changed_since_it_was_read_is_added(site: Site) -> None:
    """Appends never conflict: another tab's move does not refuse a reply."""
    oid = _open_order(site)
    c = site.client("agent", "en")
    post = _reply_form(c, oid, "written in the other tab")
    page = c.get(f"/orders/{oid}").text
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    moved = c.post(
        f"/orders/{oid}/status",
        data={"csrf_token": csrf_of(page), "to": "in_progress", "version": v.group(1)},
    )
    assert moved.status_code == 303
    before = _rows(site, WorkOrderEvent, oid)
    assert post().status_code == 303
    assert _rows(site, WorkOrderEvent, oid) == before + 1
    assert "written in the other tab" in c.get(f"/orders/{oid}").text


def _reply_form(c: Any, oid: int, body: str) -> Callable[[], Any]:
    """Load the order page and post an agent reply with the version it showed."""
    page = c.get(f"/orders/{oid}").text
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    return lambda: c.post(
        f"/orders/{oid}/reply",
        data={
            "csrf_token": csrf_of(page),
            "kind": "agent_reply",
            "body": body,
            "version": v.group(1),
        },
    )


def test_a_form_kept_waiting_by_another_write_says_so_and_writes_nothing(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = _open_order(site)
    post = _reply_form(site.client("agent", "zh_CN"), oid, "written while busy")
    before = _rows(site, WorkOrderEvent, oid)
    monkeypatch.setattr(writer_lock_module, "WAIT_SECONDS", 0.2)
    engine = make_engine(site.url)
    lock = writer_lock_module.writer_lock(engine)  # another write holds the file's lock
    lock.acquire()
    try:
        busy = post()
    finally:
        lock.release()
        engine.dispose()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "系统正忙于处理其他更改" in busy.text
    assert "written while busy" in busy.text  # kept in the form, not saved
    assert _rows(site, WorkOrderEvent, oid) == before


def test_sqlite_s_own_busy_timeout_on_a_form_says_so_too(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = _open_order(site)
    post = _reply_form(site.client("agent", "en"), oid, "typed while locked")

    def locked(_unit: object) -> bool:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(base.WriteUnit, "finish", locked)
    busy = post()
    assert busy.status_code == 503
    assert "The desk is busy with other changes" in busy.text
    assert "typed while locked" in busy.text


def test_posts_without_the_csrf_token_are_refused(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent", "en")
    before = _rows(site, WorkOrderEvent, oid)
    for data in ({}, {"csrf_token": "0" * 64}):
        r = c.post(
            f"/orders/{oid}/reply",
            data={**data, "kind": "internal_note", "body": "x", "version": "1"},
        )
        assert r.status_code == 403
        assert "security token" in r.text
    assert _rows(site, WorkOrderEvent, oid) == before
    other = site.client("agent2", "en")
    stolen = csrf_of(other.get("/queue").text)
    r = c.post(
        f"/orders/{oid}/reply",
        data={"csrf_token": stolen, "kind": "internal_note", "body": "x", "version": "1"},
    )
    assert r.status_code == 403


def test_invalid_forms_show_the_reason(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent", "en")
    r = post_form(c, f"/orders/{oid}", f"/orders/{oid}/status", {"to": "flying", "version": "1"})
    assert r.status_code == 400
    assert "Please correct the form." in r.text and "flying" in r.text


def test_complaint_recovery_and_justice_at_the_return_visit(site: Site) -> None:
    oid = _open_order(site, type="complaint")
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    assert 'id="recovery-form"' in page
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/recovery",
        {
            "step": "investigate",
            "what": "抄表错误",
            "why": "系统数据迁移",
            "apology": "非常抱歉",
            "remedy": "重新核算电费",
            "compensation_kind": "credit",
            "compensation_amount": "50.00",
            "notice": "我们正在核查您的电费",
        },
    )
    assert r.status_code == 303, r.text
    page = c.get(f"/orders/{oid}").text
    assert "抄表错误" in page and "50.00" in page and "Recovery notice" in page
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    assert (
        post_form(
            c, f"/orders/{oid}", f"/orders/{oid}/status", {"to": "resolved", "version": v.group(1)}
        ).status_code
        == 303
    )
    page = c.get(f"/orders/{oid}").text
    assert 'value="closed"' not in page  # a complaint cannot close before its return visit
    v = re.search(r'name="version" value="(\d+)"', page)
    assert v is not None
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/return-visit",
        {
            "satisfied": "no",
            "outcome": "4",
            "process": "3",
            "treatment": "5",
            "version": v.group(1),
            "close": "1",
        },
    )
    assert r.status_code == 303
    page = c.get(f"/orders/{oid}").text
    assert "Outcome 4/5" in page and 'id="order-status">Closed<' in page


def test_log_a_contact_lands_on_the_contact_card(site: Site) -> None:
    c = site.client("agent", "en")
    r = post_form(
        c,
        "/call?customer_id=3",
        "/call/contact",
        {
            "customer_id": "3",
            "channel": "hotline",
            "outcome": "answered",
            "summary": "询问电费",
            "hostile": "1",
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/customers/3?done=contact"
    page = c.get("/customers/3").text
    assert "询问电费" in page and "Hostile" in page


def test_new_customer_from_a_call(site: Site) -> None:
    c = site.client("agent", "en")
    r = post_form(c, "/call", "/call/customer", {"name": "新来电客户", "phone": "13900000000"})
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "新来电客户" in page and 'id="open-order-form"' in page


def test_merge_and_undo(site: Site) -> None:
    c = site.client("supervisor", "en")
    # The page lists what the background refresh stored: run one, as the server would.
    assert site.app.state.merge_refresher.run_once().swept
    page = c.get("/merge").text
    pair = re.search(
        r'name="survivor_id" value="(\d+)"><input type="hidden" name="merged_id" value="(\d+)"',
        page,
    )
    assert pair is not None, "the demo has a duplicate customer"
    survivor, merged = pair.groups()
    r = post_form(c, "/merge", "/merge", {"survivor_id": survivor, "merged_id": merged})
    assert r.status_code == 303
    page = c.get("/merge?done=merged").text
    assert "Customers merged." in page
    undo = re.search(r'action="/merge/(\d+)/undo"', page)
    assert undo is not None
    engine = make_engine(site.url)
    with make_session_factory(engine)() as s:
        assert s.get(Customer, int(merged)).merged_into_id == int(survivor)  # type: ignore[union-attr]
    r = post_form(c, "/merge", f"/merge/{undo.group(1)}/undo", {})
    assert r.status_code == 303
    with make_session_factory(engine)() as s:
        assert s.get(Customer, int(merged)).merged_into_id is None  # type: ignore[union-attr]
    engine.dispose()
    again = post_form(c, "/merge", f"/merge/{undo.group(1)}/undo", {})
    assert again.status_code == 400 and "already undone" in again.text


def test_board_embeds_echarts_options_built_in_python(site: Site) -> None:
    page = site.client("supervisor", "en").get("/board?start=2026-11-01&end=2026-11-30").text
    assert "/static/vendor/echarts-6.1.0.min.js" in page
    m = re.search(r"id=\"kpi-chart\" data-chart='([^']*)'", page)
    assert m is not None
    option = json.loads(unescape(m.group(1)))
    names = [s["name"] for s in option["series"]]
    assert names == ["SLA compliance", "First-contact resolution", "Resolution rate", "Reopen rate"]
    assert option["xAxis"]["data"], "the demo has teams with orders"
    assert "Sigma level" in page and "Backlog now" in page and "Hostile contacts per agent" in page
    bad = site.client("supervisor", "en").get("/board?start=nonsense")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_board_kpi_table_downloads_as_the_page_shows_it(site: Site) -> None:
    c = site.client("analyst")
    query = "start=2026-11-01&end=2026-12-31&group_by=team"
    page = c.get(f"/board?{query}").text
    assert f'href="/board?{query.replace("&", "&amp;")}&amp;download=csv"' in page
    table = re.search(r'<table id="kpi-table">(.*?)</table>', page, re.S)
    assert table is not None
    page_rows = re.findall(r"<tr[^>]*><th>([^<]*)</th><td class=\"num\">(\d+)</td>", table.group(1))
    r = c.get(f"/board?{query}&download=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="board-2026-11-01-2026-12-31-kpis.csv"' in r.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["班组", "工单数"] and lines[0][4] == "一次解决率 (%)"
    assert len(page_rows) >= 2 and [(row[0], row[1]) for row in lines[1:]] == page_rows
    assert lines[-1][0] == "全部"
    xlsx = c.get(f"/board?{query}&download=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # Every export is audited, a page's table too: who took which file, with its rows.
    audit = site.client("admin").get("/admin/audit", params={"action": "export.table"}).text
    entries = re.findall(r'<tr id="audit-\d+">(.*?)</tr>', audit, re.S)
    assert len(entries) == 2, audit[-3000:]
    assert "导出 #board-2026-11-01-2026-12-31-kpis.xlsx" in entries[0]
    assert "导出 #board-2026-11-01-2026-12-31-kpis.csv" in entries[1]
    assert all("Analyst" in e or "analyst" in e for e in entries)
    assert f'"rows": {len(lines) - 1}' in entries[1]  # the rows it held


def test_static_files_are_served_locally(site: Site) -> None:
    c = site.client()
    for path in ("/static/vendor/htmx-2.0.11.min.js", "/static/countdown.js", "/static/charts.js"):
        assert c.get(path).status_code == 200
    assert "cdn" not in c.get("/login").text.lower()


def test_merge_page_pages_the_stored_list(site: Site) -> None:
    assert site.app.state.merge_refresher.run_once().swept
    c = site.client("supervisor", "en")
    first = c.get("/merge").text
    assert 'name="survivor_id"' in first and "Previous page" not in first
    beyond = c.get("/merge?offset=100000").text
    assert "No likely duplicates." in beyond and 'href="/merge?offset=99950"' in beyond
    assert c.get("/merge?offset=-1").status_code in (400, 422)
