"""The desk shows the SLA clock's numbers: an order driven through the API carries the
``sla`` object that ``replay`` (and ``touchpoint sla replay``) computes from its own stored
timeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.api.support import Desk
from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.sla import EventType, OrderStatus, SlaPolicy, TimelineEvent, replay
from touchpoint.storage.models import WorkOrderEvent

CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {
        "mon": [["08:30", "12:00"], ["13:30", "17:30"]],
        "tue": [["08:30", "12:00"], ["13:30", "17:30"]],
        "wed": [["08:30", "12:00"], ["13:30", "17:30"]],
        "thu": [["08:30", "12:00"], ["13:30", "17:30"]],
        "fri": [["08:30", "12:00"], ["13:30", "17:30"]],
    },
    "holidays": ["2026-11-25"],
    "special_days": {"2026-11-28": [["08:30", "12:00"]]},
}
POLICY = {
    "first_response_minutes": 60,
    "next_update_minutes": 120,
    "next_update_from": "customer_message",
    "resolution_minutes": 480,
}


def _stored_timeline(desk: Desk, order_id: int) -> list[WorkOrderEvent]:
    with desk.db.factory() as s:
        return list(
            s.scalars(
                select(WorkOrderEvent)
                .where(WorkOrderEvent.work_order_id == order_id)
                .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
            )
        )


def _case_events(rows: list[WorkOrderEvent]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in rows:
        ev: dict[str, Any] = {"at": r.at.isoformat().replace("+00:00", "Z"), "type": r.type}
        if r.type == "created":
            ev["status"] = r.status
        elif r.type == "status":
            ev["to"] = r.status
        out.append(ev)
    return out


def _setup_policy(desk: Desk) -> int:
    cal = desk.post(
        "supervisor",
        "/api/sla/calendars",
        {"name": desk.db.unique("office hours "), "definition": CALENDAR},
    )
    assert cal["definition"]["timezone"] == "Asia/Shanghai"
    pol = desk.post(
        "supervisor",
        "/api/sla/policies",
        {
            "name": desk.db.unique("repair "),
            "definition": POLICY,
            "calendar_id": cal["id"],
            "types": ["repair"],
            "rank": 10,
        },
    )
    return int(pol["id"])


def test_order_sla_equals_replay_of_its_stored_timeline(desk: Desk, tmp_path: Path) -> None:
    policy_id = _setup_policy(desk)
    c = desk.customer()
    o = desk.order(c["id"])
    assert o["policy_id"] == policy_id
    oid = o["id"]
    h = desk.h("agent")

    def step(minutes: float, url: str, body: dict[str, Any]) -> dict[str, Any]:
        desk.clock.advance(minutes=minutes)
        r = desk.client.post(url, json=body, headers=h)
        assert r.status_code in (200, 201), r.text
        return r.json()  # type: ignore[no-any-return]

    step(
        10,
        "/api/contacts",
        {
            "customer_id": c["id"],
            "channel": "hotline",
            "direction": "inbound",
            "work_order_id": oid,
            "summary": "still no power",
        },
    )
    cur = step(25, f"/api/work-orders/{oid}/messages", {"kind": "agent_reply", "body": "on it"})
    cur = step(
        5, f"/api/work-orders/{oid}/transitions", {"version": cur["version"], "to": "in_progress"}
    )
    cur = step(
        20, f"/api/work-orders/{oid}/messages", {"kind": "internal_note", "body": "call grid"}
    )
    cur = step(
        40,
        f"/api/work-orders/{oid}/transitions",
        {"version": cur["version"], "to": "waiting_third_party"},
    )
    cur = step(
        180, f"/api/work-orders/{oid}/messages", {"kind": "customer_message", "body": "any news?"}
    )
    cur = step(
        30, f"/api/work-orders/{oid}/transitions", {"version": cur["version"], "to": "in_progress"}
    )
    desk.clock.advance(hours=20)

    got = desk.client.get(f"/api/work-orders/{oid}", headers=h).json()
    rows = _stored_timeline(desk, oid)
    assert [r.type for r in rows] == [
        "created",
        "customer_message",
        "agent_reply",
        "status",
        "internal_note",
        "status",
        "customer_message",
        "status",
    ]
    events = [
        TimelineEvent(r.at, EventType(r.type), OrderStatus(r.status) if r.status else None)
        for r in rows
    ]
    expected = replay(
        BusinessCalendar.from_json(CALENDAR),
        SlaPolicy.from_json(POLICY),
        events,
        now=desk.clock.now,
    ).to_json()
    assert got["sla"] == json.loads(json.dumps(expected))
    assert got["sla"]["first_response"]["met_at"] is not None
    assert got["sla"]["status"] == "in_progress"

    case = tmp_path / "CASE.json"
    case.write_text(
        json.dumps({"calendar": CALENDAR, "policy": POLICY, "events": _case_events(rows)}),
        encoding="utf-8",
    )
    now_text = desk.clock.now.isoformat().replace("+00:00", "Z")
    out = subprocess.run(
        [sys.executable, "-m", "touchpoint", "sla", "replay", str(case), "--now", now_text],
        capture_output=True,
        text=True,
        check=True,
    )
    assert got["sla"] == json.loads(out.stdout)


def test_queue_lists_orders_by_next_escalation(desk: Desk) -> None:
    _setup_policy(desk)
    c = desk.customer()
    first = desk.order(c["id"], priority="low")
    desk.clock.advance(minutes=5)
    second = desk.order(c["id"], priority="urgent")
    queue = desk.client.get("/api/queue", headers=desk.h("agent")).json()
    ids = [w["id"] for w in queue]
    assert ids.index(first["id"]) < ids.index(second["id"])
    for w in queue:
        if w["sla"] is not None and not w["sla"]["paused"]:
            assert w["sla"]["next_escalation_at"] is not None


def test_bad_calendar_is_400_naming_the_field(desk: Desk) -> None:
    bad = {**CALENDAR, "timezone": "Mars/Olympus"}
    r = desk.client.post(
        "/api/sla/calendars", json={"name": "bad", "definition": bad}, headers=desk.h("supervisor")
    )
    assert r.status_code == 400 and "timezone" in r.json()["detail"]
    r = desk.client.post(
        "/api/sla/calendars", json={"name": "x", "definition": CALENDAR}, headers=desk.h("agent")
    )
    assert r.status_code == 403
