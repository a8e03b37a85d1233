"""The supervisor's SLA page: the policies in selection order with their targets and
conditions, changed through a form with a version check (409 keeps what was typed), a
new policy; the business calendars with their weekly hours, changed and added as JSON,
refused in the page's language when the JSON or the calendar is wrong."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.web.support import Site, csrf_of, post_form
from touchpoint.services.recovery_loop import recovery_policy_id
from touchpoint.storage.db import make_engine


def _policy_form(html: str, policy_id: int) -> dict[str, Any]:
    """The fields of a policy's form as the page filled them in."""
    form = re.search(
        rf'<form method="post" action="/sla/policies/{policy_id}".*?</form>', html, re.S
    )
    assert form is not None
    text = form.group(0)
    fields: dict[str, Any] = dict(
        re.findall(r'name="(\w+)"[^>]*?value="([^"]*)"(?![^>]*type="checkbox")', text)
    )
    for name in ("types", "priorities", "customer_classes", "channels"):
        fields[name] = re.findall(rf'name="{name}" value="(\w+)" checked', text)
    fields["next_update_from"] = re.findall(r'<option value="(\w+)" selected>', text)[-1]
    fields["calendar_id"] = re.search(
        r'name="calendar_id">.*?<option value="(\d+)" selected>', text, re.S
    ).group(1)  # type: ignore[union-attr]
    fields["active"] = "1" if re.search(r'name="active" value="1" checked', text) else ""
    fields.pop("csrf_token", None)
    return fields


def _policy_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<div class="card" id="policy-(\d+)">', html)]


def test_only_supervisors_and_admins_see_the_sla_page(site: Site) -> None:
    sup = site.client("supervisor").get("/sla")
    assert sup.status_code == 200 and 'id="nav-sla"' in sup.text
    assert "Repair 24×7: respond 30 min, restore 4 h" in sup.text
    assert site.client("admin").get("/sla").status_code == 200
    for who in ("agent", "analyst"):
        c = site.client(who)
        assert c.get("/sla").status_code == 403 and 'id="nav-sla"' not in c.get("/queue").text


def test_a_policy_is_changed_with_a_version_check(site: Site) -> None:
    sup = site.client("supervisor")
    page = sup.get("/sla").text
    repair = next(
        i
        for i in _policy_ids(page)
        if f'id="policy-form-{i}"' in page
        and "Repair 24×7" in page.split(f'id="policy-{i}"')[1][:200]
    )
    form = _policy_form(page, repair)
    assert form["resolution_minutes"] == "240" and form["types"] == ["repair"]
    changed = {**form, "resolution_minutes": "300", "next_update_minutes": "",
               "types": ["repair", "complaint"], "warn_percent": "70"}  # fmt: skip
    r = sup.post(f"/sla/policies/{repair}", data={"csrf_token": csrf_of(page), **changed})
    assert r.status_code == 303 and r.headers["location"].startswith("/sla?done=policy_saved")
    after = sup.get(r.headers["location"]).text
    assert "服务时限策略已保存" in after
    saved = _policy_form(after, repair)
    assert saved["resolution_minutes"] == "300" and saved["next_update_minutes"] == ""
    assert saved["types"] == ["complaint", "repair"] and saved["warn_percent"] == "70"
    assert int(saved["version"]) == int(form["version"]) + 1

    # The form drawn before that save is stale: 409, its typed values shown, nothing saved.
    old_form = {"csrf_token": csrf_of(page), **form, "resolution_minutes": "999"}
    stale = sup.post(f"/sla/policies/{repair}", data=old_form)
    assert stale.status_code == 409
    assert _policy_form(stale.text, repair)["resolution_minutes"] == "999"
    assert _policy_form(sup.get("/sla").text, repair)["resolution_minutes"] == "300"
    bad = sup.post(f"/sla/policies/{repair}",
                   data={"csrf_token": csrf_of(after), **saved, "channels": "pigeon"})  # fmt: skip
    assert bad.status_code == 400 and "渠道：“pigeon”" in bad.text


def test_a_new_policy_and_a_taken_name(site: Site) -> None:
    sup = site.client("supervisor")
    page = sup.get("/sla").text
    calendar = re.search(r'<div class="card" id="calendar-(\d+)">', page)
    assert calendar is not None
    new = {
        "policy_form": "new", "name": "VIP 投诉 2 小时", "rank": "3",
        "calendar_id": calendar.group(1), "first_response_minutes": "10",
        "resolution_minutes": "120", "next_update_minutes": "", "next_update_from": "agent_reply",
        "warn_percent": "75", "active": "1", "types": "complaint",
        "customer_classes": ["vip", "key_account"],
    }  # fmt: skip
    r = post_form(sup, "/sla", "/sla/policies", new)
    assert r.status_code == 303, r.text
    listed = sup.get("/sla").text
    first = _policy_ids(listed)[0]  # rank 3: tried first
    made = _policy_form(listed, first)
    assert made["name"] == "VIP 投诉 2 小时" and made["next_update_from"] == "agent_reply"
    assert made["customer_classes"] == ["key_account", "vip"]
    again = post_form(sup, "/sla", "/sla/policies", new)
    assert again.status_code == 409 and "名称“VIP 投诉 2 小时”已被使用。" in again.text
    assert 'value="VIP 投诉 2 小时"' in again.text
    negative = post_form(
        sup, "/sla", "/sla/policies", {**new, "name": "负数", "resolution_minutes": "-5"}
    )
    assert negative.status_code == 400, negative.text[-2000:]
    assert (
        "解决（工作分钟）：请填写不小于 0 的整数工作分钟，或留空不跟踪（而不是 -5）。"
        in negative.text
    )


def test_calendars_are_changed_and_added_as_json(site: Site) -> None:
    sup = site.client("supervisor")
    page = sup.get("/sla").text
    found = re.search(r'<div class="card" id="calendar-(\d+)">\s*<h2>Office hours', page)
    assert found is not None
    cid = found.group(1)
    version = re.search(
        rf'action="/sla/calendars/{cid}".*?name="version" value="(\d+)"', page, re.S
    )
    assert version is not None
    office = {
        "timezone": "Asia/Shanghai",
        "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
    form = {
        "csrf_token": csrf_of(page),
        "version": version.group(1),
        "calendar_form": cid,
        "name": "Office hours (Asia/Shanghai)",
    }
    bad_json = sup.post(f"/sla/calendars/{cid}", data={**form, "definition": '{"timezone": '})
    assert bad_json.status_code == 400 and "日历不是有效的 JSON" in bad_json.text
    assert "{&#34;timezone&#34;:</textarea>" in bad_json.text  # the typed text kept
    wrong = {"timezone": "Asia/Shanghai", "hours": {"mon": [["25:00", "26:00"]]}}
    cases = [
        (wrong, "hours.mon[0][0]：&#39;25:00&#39; 不是 HH:MM 格式的时刻。"),
        ({"timezone": "Mars/Base"}, "&#39;Mars/Base&#39; 不是已知的时区"),
        (
            {"timezone": "UTC", "hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
            "hours.mon[1]：时段 [&#39;11:00&#39;, &#39;13:00&#39;] "
            "与前一个时段（08:00–12:00）重叠。",
        ),
        (
            {"timezone": "UTC", "holidays": ["2026-02-30"]},
            "holidays[0]：日期 &#39;2026-02-30&#39; 不存在。",
        ),
        ({"timezone": "UTC", "shifts": []}, "“shifts”不是日历的字段"),
    ]
    for definition, said in cases:
        refused = sup.post(
            f"/sla/calendars/{cid}", data={**form, "definition": json.dumps(definition)}
        )
        assert refused.status_code == 400 and said in refused.text, (said, refused.text[-3000:])
        assert "is not" not in refused.text and "overlaps" not in refused.text
    r = sup.post(f"/sla/calendars/{cid}", data={**form, "definition": json.dumps(office)})
    assert r.status_code == 303, r.text
    after = sup.get(r.headers["location"]).text
    week = re.search(
        rf'id="calendar-{cid}">.*?<table class="calendar-week">(.*?)</table>', after, re.S
    )
    assert week is not None and week.group(1).count("09:00–18:00") == 5
    assert week.group(1).count("非工作时间") == 2
    night = {"timezone": "Asia/Shanghai", "hours": {"mon": [["22:00", "24:00"]]}}
    added = post_form(
        sup,
        "/sla",
        "/sla/calendars",
        {"calendar_form": "new", "name": "Night shift", "definition": json.dumps(night)},
    )
    assert added.status_code == 303 and "Night shift" in sup.get("/sla").text


def test_the_recovery_policy_is_renamed_and_still_the_loop_s(site: Site) -> None:
    engine = make_engine(site.url)  # the policy the closed loop makes when first needed
    with engine.begin() as connection:
        made = recovery_policy_id(connection, None)
    sup = site.client("supervisor")
    page = sup.get("/sla").text
    pid = next(
        i
        for i in _policy_ids(page)
        if "服务补救 Service recovery" in page.split(f'id="policy-{i}"')[1][:200]
    )
    form = _policy_form(page, pid)
    assert pid == made
    assert not re.search(rf'id="policy-{pid}-name" name="name"[^>]*readonly', page)
    slower = {**form, "name": "投诉补救", "resolution_minutes": "9000"}
    renamed = sup.post(f"/sla/policies/{pid}", data={"csrf_token": csrf_of(page), **slower})
    assert renamed.status_code == 303, renamed.text
    assert "投诉补救" in sup.get("/sla").text
    with engine.begin() as connection:  # the loop finds it by its purpose, not its name
        assert recovery_policy_id(connection, None) == made
    engine.dispose()
