"""The outer loop (issue 23): supervisors keep the coded complaint causes (zh-CN/en); a
recovery is coded with one; complaints and detractor loops are counted by cause, team and
month, with repeat complainants (a second complaint within 90 days). On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.support import Desk, open_desk
from tests.storage.support import Database


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("outer"), site=True)


def _cause(desk: Desk, code: str, zh: str, en: str) -> dict[str, Any]:
    body = {"code": code, "label_zh": zh, "label_en": en}
    return desk.post("supervisor", "/api/complaint-causes", body)  # type: ignore[no-any-return]


def _complaint(desk: Desk, customer: int, cause_id: int | None) -> dict[str, Any]:
    order = desk.order(customer, type="complaint")
    if cause_id is not None:
        body = {"step": "cool_down", "cause_id": cause_id}
        r = desk.client.put(
            f"/api/work-orders/{order['id']}/recovery", json=body, headers=desk.h("agent")
        )
        assert r.status_code == 200, r.text
    return order


def test_causes_are_kept_by_supervisors_and_code_recoveries(site: Desk) -> None:
    desk = site
    r = desk.client.post(
        "/api/complaint-causes",
        json={"code": "x", "label_zh": "x", "label_en": "x"},
        headers=desk.h("agent"),
    )
    assert r.status_code == 403
    billing = _cause(desk, "billing_error", "计费差错", "Billing error")
    late = _cause(desk, "late_repair", "抢修超时", "Late repair")
    again = desk.client.post(
        "/api/complaint-causes",
        json={"code": "billing_error", "label_zh": "重复", "label_en": "Again"},
        headers=desk.h("supervisor"),
    )
    assert again.status_code == 409
    listed = desk.client.get("/api/complaint-causes", headers=desk.h("agent")).json()
    assert [c["code"] for c in listed][:2] == ["billing_error", "late_repair"]
    retired = desk.client.patch(
        f"/api/complaint-causes/{late['id']}",
        json={"label_zh": "抢修超时", "label_en": "Late repair", "active": False, "version": 1},
        headers=desk.h("supervisor"),
    )
    assert retired.status_code == 200 and retired.json()["active"] is False
    order = desk.order(desk.customer()["id"], type="complaint")
    r = desk.client.put(
        f"/api/work-orders/{order['id']}/recovery",
        json={"step": "cool_down", "cause_id": late["id"]},
        headers=desk.h("agent"),
    )
    assert r.status_code == 400 and "retired" in r.json()["detail"]
    coded = _complaint(desk, desk.customer()["id"], billing["id"])
    recovery = desk.client.get(
        f"/api/work-orders/{coded['id']}/recovery", headers=desk.h("agent")
    ).json()
    assert recovery["cause_id"] == billing["id"]


def test_complaints_by_cause_team_and_month_with_repeats_and_loops(site: Desk) -> None:
    desk = site
    cause = _cause(desk, "meter_fault", "电表故障", "Meter fault")
    repeat_customer = int(desk.customer()["id"])
    _complaint(desk, repeat_customer, cause["id"])
    desk.clock.advance(days=10)
    _complaint(desk, repeat_customer, cause["id"])
    _complaint(desk, int(desk.customer()["id"]), None)
    survey = desk.post("supervisor", "/api/surveys", {"name": "NPS", "template": "nps"})
    wave = desk.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    invited = desk.post(
        "supervisor",
        f"/api/waves/{wave['id']}/invitations",
        {"customer_ids": [desk.customer()["id"]], "channel": "link", "ignore_throttle": True},
    )["invitations"]
    token = invited[0]["url"].rsplit("/s/", 1)[1]
    assert desk.client.post(f"/s/{token}", json={"answers": {"NPS": 0}}).status_code == 201
    day = desk.clock.now.date()
    start = (day - timedelta(days=40)).isoformat()
    rows = desk.client.get(
        "/api/complaints/outer-loop",
        params={"from": start, "to": day.isoformat()},
        headers=desk.h("analyst"),
    ).json()
    coded = [r for r in rows if r["cause"] == "meter_fault"]
    assert sum(r["complaints"] for r in coded) == 2
    assert sum(r["repeat_complainants"] for r in coded) == 1
    assert all(r["team_id"] == desk.teams["A"] for r in coded)
    uncoded = [r for r in rows if r["cause"] is None]
    assert sum(r["detractor_loops"] for r in uncoded) >= 1
    assert sum(r["complaints"] for r in uncoded) >= 2
    forbidden = desk.client.get(
        "/api/complaints/outer-loop",
        params={"from": start, "to": day.isoformat()},
        headers=desk.h("agent"),
    )
    assert forbidden.status_code == 403
