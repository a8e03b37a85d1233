"""A policy or calendar edited through the API governs the very next order it selects,
despite the per-process caches of parsed policies and calendar indexes."""

from __future__ import annotations

from typing import Any

from tests.api.support import Desk

ROUND_THE_CLOCK = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
# The desk's clock starts on Monday 09:00 in Asia/Shanghai (01:00Z).
SHORT_MONDAY = {
    "timezone": "Asia/Shanghai",
    "hours": {"mon": [["09:00", "09:20"]], "tue": [["09:00", "18:00"]]},
}


def _policy_body(calendar_id: int, minutes: int, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "definition": {"first_response_minutes": minutes, "resolution_minutes": 10 * minutes},
        "calendar_id": calendar_id,
        "types": ["repair"],
        "rank": 1,
    }


def _due(order: dict[str, Any]) -> str:
    return str(order["sla"]["first_response"]["due_at"])


def test_edited_policy_and_calendar_govern_the_next_order(desk: Desk) -> None:
    cust = desk.customer()["id"]
    cal = desk.post(
        "supervisor", "/api/sla/calendars", {"name": "edit cal", "definition": ROUND_THE_CLOCK}
    )
    name = desk.db.unique("edit policy ")
    pol = desk.post("supervisor", "/api/sla/policies", _policy_body(cal["id"], 60, name))
    first = desk.order(cust)
    assert first["policy_id"] == pol["id"]
    assert _due(first) == "2026-11-23T02:00:00Z"
    assert _due(desk.order(cust)) == "2026-11-23T02:00:00Z"

    r = desk.client.put(
        f"/api/sla/policies/{pol['id']}",
        json={**_policy_body(cal["id"], 30, name), "version": pol["version"]},
        headers=desk.h("supervisor"),
    )
    assert r.status_code == 200, r.text
    pol = r.json()
    assert _due(desk.order(cust)) == "2026-11-23T01:30:00Z"

    r = desk.client.patch(
        f"/api/sla/calendars/{cal['id']}",
        json={"definition": SHORT_MONDAY, "version": cal["version"]},
        headers=desk.h("supervisor"),
    )
    assert r.status_code == 200, r.text
    # 20 minutes on Monday, then 10 from Tuesday 09:00 local.
    assert _due(desk.order(cust)) == "2026-11-24T01:10:00Z"
    r = desk.client.patch(
        f"/api/work-orders/{first['id']}",
        json={"priority": "high", "version": first["version"]},
        headers=desk.h("agent"),
    )
    assert r.status_code == 200, r.text
    assert _due(r.json()) == "2026-11-24T01:10:00Z"

    r = desk.client.put(
        f"/api/sla/policies/{pol['id']}",
        json={
            **_policy_body(cal["id"], 30, name),
            "types": ["complaint"],
            "version": pol["version"],
        },
        headers=desk.h("supervisor"),
    )
    assert r.status_code == 200, r.text
    assert desk.order(cust)["policy_id"] != pol["id"]
