"""Pages of forms: the status moves the order page offers come from the domain, and a
refused write draws its page again (status, message, typed text) the same way on every
page, or the 404 page where the record itself is gone."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

from tests.web.support import Site, post_form
from touchpoint.services.survey_links import DESK_TIME_ZONE

_MOVE = re.compile(r'id="to-([a-z_]+)"')


def _version(html: str) -> str:
    m = re.search(r'name="version" value="(\d+)"', html)
    assert m is not None
    return m.group(1)


def _open_complaint(site: Site) -> int:
    c = site.client("agent")
    data = {
        "customer_id": "2",
        "type": "complaint",
        "channel": "hotline",
        "subject": "电费异常 moves test",
        "team_id": "1",
        "take": "1",
    }
    r = post_form(c, "/call?customer_id=2", "/call/order", data)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/orders/(\d+)\?done=opened", r.headers["location"])
    assert m is not None
    return int(m.group(1))


def test_the_order_page_offers_the_domain_s_allowed_moves(site: Site) -> None:
    oid = _open_complaint(site)
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    assert _MOVE.findall(page) == [
        "in_progress",
        "waiting_customer",
        "waiting_third_party",
        "resolved",
    ]
    resolve = {"to": "resolved", "version": _version(page)}
    assert post_form(c, f"/orders/{oid}", f"/orders/{oid}/status", resolve).status_code == 303
    page = c.get(f"/orders/{oid}").text
    assert _MOVE.findall(page) == ["assigned", "in_progress"]  # no closing before the visit
    visit = {
        "satisfied": "yes",
        "outcome": "4",
        "process": "4",
        "treatment": "5",
        "version": _version(page),
    }
    assert post_form(c, f"/orders/{oid}", f"/orders/{oid}/return-visit", visit).status_code == 303
    page = c.get(f"/orders/{oid}?done=visit").text
    assert "Return visit recorded." in page
    assert _MOVE.findall(page) == ["assigned", "in_progress", "closed"]


def test_a_refused_order_write_keeps_the_typed_text(site: Site) -> None:
    oid = _open_complaint(site)
    c = site.client("agent", "en")
    r = post_form(
        c,
        f"/orders/{oid}",
        f"/orders/{oid}/reply",
        {"kind": "shouting", "body": "已记录客户诉求 kept", "version": "1"},
    )
    assert r.status_code == 400
    assert "Please correct the form." in r.text and "shouting" in r.text
    assert "已记录客户诉求 kept</textarea>" in r.text


def test_undoing_a_merge_that_does_not_exist_is_refused_on_the_merge_screen(site: Site) -> None:
    c = site.client("supervisor", "en")
    r = post_form(c, "/merge", "/merge/999999/undo", {})
    assert r.status_code == 404
    assert "Likely duplicates" in r.text and "Not found." in r.text


def test_a_call_logged_for_a_missing_customer_gets_the_404_page(site: Site) -> None:
    c = site.client("agent", "en")
    r = post_form(c, "/call", "/call/contact", {"customer_id": "999999", "channel": "hotline"})
    assert r.status_code == 404
    assert "This record does not exist" in r.text


def test_a_bad_board_period_falls_back_to_the_last_seven_days(site: Site) -> None:
    r = site.client("supervisor", "en").get("/board?start=2026-11-30&end=2026-11-01")
    assert r.status_code == 400
    assert "Please correct the form. (The end date must not be before the start date.)" in unescape(
        r.text
    )
    today = site.clock.now.astimezone(ZoneInfo(DESK_TIME_ZONE)).date()
    assert f'value="{(today - timedelta(days=6)).isoformat()}"' in r.text
