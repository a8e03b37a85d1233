"""Refused writes and merge reasons in the page's language: a zh-CN page says them in
Chinese from the errors' message codes, with no developer English (``work_order``,
``is stale``, ``same phone``); the en page says them in plain English."""

from __future__ import annotations

import re
from html import unescape

from tests.web.support import Site, csrf_of, post_form

_FLASH = re.compile(r'<div class="flash error">(.*?)</div>', re.S)
_REASONS = re.compile(r'<td class="reasons">(.*?)</td>', re.S)
_LATIN_WORD = re.compile(r"[A-Za-z_]{2,}")


def _flash(html: str) -> str:
    found = _FLASH.findall(html)
    assert len(found) == 1, found
    return unescape(found[0])


def _version(html: str) -> str:
    m = re.search(r'name="version" value="(\d+)"', html)
    assert m is not None
    return m.group(1)


def _open_order(site: Site) -> int:
    r = post_form(
        site.client("agent"),
        "/call?customer_id=2",
        "/call/order",
        {
            "customer_id": "2",
            "type": "repair",
            "channel": "hotline",
            "subject": "停电报修",
            "team_id": "1",
            "take": "1",
        },
    )
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/")[2].split("?")[0])


def test_merge_reasons_are_shown_in_chinese(site: Site) -> None:
    # The page lists what the background refresh stored: run one, as the server would.
    site.app.state.merge_refresher.run_once()
    page = site.client("supervisor").get("/merge")
    assert page.status_code == 200
    reasons = [unescape(r) for r in _REASONS.findall(page.text)]
    # the demo's counter duplicate of 张伟: same phone and the same name
    assert "手机号相同（13800138001）；姓名相似（100）" in reasons
    assert all(not _LATIN_WORD.search(r) for r in reasons), reasons
    assert "same phone" not in page.text and "similar names" not in page.text
    assert "work_orders:" not in page.text  # the merge history names what moved in Chinese


def test_merge_reasons_are_shown_in_english_words_on_the_en_page(site: Site) -> None:
    # The page lists what the background refresh stored: run one, as the server would.
    site.app.state.merge_refresher.run_once()
    page = site.client("supervisor", "en").get("/merge").text
    assert "Same phone (13800138001); Similar names (100)" in unescape(page)


def test_a_stale_version_is_explained_in_chinese(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent")
    page = c.get(f"/orders/{oid}").text
    token, version = csrf_of(page), _version(page)
    first = c.post(
        f"/orders/{oid}/status",
        data={"csrf_token": token, "to": "in_progress", "version": version},
    )
    assert first.status_code == 303
    stale = c.post(
        f"/orders/{oid}/status",
        data={"csrf_token": token, "to": "resolved", "version": version},
    )
    assert stale.status_code == 409
    flash = _flash(stale.text)
    current = int(version) + 1
    assert flash.startswith("您编辑期间此记录已被他人修改")
    assert f"（工单 {oid}：您编辑的是第 {version} 版，当前已是第 {current} 版。）" in flash
    assert not _LATIN_WORD.search(flash), flash
    for developer in ("work_order", "is stale", "reload and retry", "current is"):
        assert developer not in stale.text


def test_a_stale_version_in_plain_english_on_the_en_page(site: Site) -> None:
    oid = _open_order(site)
    c = site.client("agent", "en")
    page = c.get(f"/orders/{oid}").text
    token, version = csrf_of(page), _version(page)
    data = {"csrf_token": token, "to": "in_progress", "version": version}
    assert c.post(f"/orders/{oid}/status", data=data).status_code == 303
    stale = c.post(f"/orders/{oid}/status", data={**data, "to": "resolved"})
    assert stale.status_code == 409
    flash = _flash(stale.text)
    assert flash.endswith(
        f"(Work order {oid}: you edited version {version}; "
        f"it is now at version {int(version) + 1}.)"
    )
    assert "work_order" not in flash and "is stale" not in flash


def test_a_bad_phone_is_explained_in_chinese(site: Site) -> None:
    c = site.client("agent")
    r = post_form(
        c, "/customers/4", "/customers/4/identities", {"kind": "phone", "value": "坏号码"}
    )
    assert r.status_code == 400
    flash = _flash(r.text)
    assert flash == "请修正表单。（“坏号码”不是有效的电话号码。）"
    assert "is not a phone number" not in r.text
    r = post_form(c, "/customers/4", "/customers/4/identities", {"kind": "email", "value": "无"})
    assert _flash(r.text).endswith("（“无”不是有效的电子邮件地址。）")


def test_a_form_field_error_names_the_field_in_chinese(site: Site) -> None:
    c = site.client("agent")
    oid = _open_order(site)
    r = post_form(c, f"/orders/{oid}", f"/orders/{oid}/status", {"to": "resolved", "version": "x"})
    assert r.status_code == 400
    assert _flash(r.text).endswith("（版本：“x”不是整数。）")


def test_merge_refusals_are_explained_in_chinese(site: Site) -> None:
    c = site.client("supervisor")
    r = post_form(c, "/merge", "/merge", {"survivor_id": "3", "merged_id": "3"})
    assert r.status_code == 400
    assert _flash(r.text).endswith("（客户 3 不能合并到其自身。）")
    r = post_form(c, "/merge", "/merge", {"survivor_id": "3", "merged_id": "2147483000"})
    assert r.status_code == 404
    assert _flash(r.text) == "未找到。（客户 2147483000）"
    r = post_form(c, "/merge", "/merge", {"survivor_id": "3", "merged_id": "5"})
    assert r.status_code == 303
    undo = re.search(r'action="/merge/(\d+)/undo"', c.get("/merge").text)
    assert undo is not None
    assert post_form(c, "/merge", f"/merge/{undo.group(1)}/undo", {}).status_code == 303
    again = post_form(c, "/merge", f"/merge/{undo.group(1)}/undo", {})
    assert again.status_code == 400
    flash = _flash(again.text)
    assert flash.endswith(f"（合并记录 {undo.group(1)} 已撤销过。）")
    assert not _LATIN_WORD.search(flash) and "already undone" not in again.text


def test_the_404_page_names_the_missing_record_in_chinese(site: Site) -> None:
    r = site.client("agent").get("/orders/2147483000")
    assert r.status_code == 404
    assert '<p id="not-found-detail">工单 2147483000</p>' in r.text
    assert "work_order" not in r.text
