"""Work orders through the REST API: owner vs assignee, state machine, 409, roles, audit."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.api.support import Desk
from touchpoint.services import base
from touchpoint.storage import writer_lock as writer_lock_module
from touchpoint.storage.models import AuditEntry, WorkOrder


def _audit_count(desk: Desk) -> int:
    with desk.db.factory() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_open_assign_and_transition_keep_the_first_contact_owner(desk: Desk) -> None:
    c = desk.customer()
    o = desk.order(c["id"])
    assert o["owner_id"] == desk.ids["agent"]
    assert o["status"] == "new" and o["assignee_id"] is None
    o = desk.post(
        "agent",
        f"/api/work-orders/{o['id']}/assignment",
        {
            "version": o["version"],
            "assignee_id": desk.ids["agent2"],
            "tier": "L2",
            "team_id": desk.teams["B"],
        },
        200,
    )
    assert (o["status"], o["assignee_id"], o["owner_id"], o["tier"]) == (
        "assigned",
        desk.ids["agent2"],
        desk.ids["agent"],
        "L2",
    )
    for to in ("in_progress", "waiting_third_party", "in_progress", "resolved", "closed"):
        o = desk.post(
            "agent2",
            f"/api/work-orders/{o['id']}/transitions",
            {"version": o["version"], "to": to},
            200,
        )
        assert o["status"] == to
        assert o["owner_id"] == desk.ids["agent"]
    o = desk.post(
        "agent2",
        f"/api/work-orders/{o['id']}/transitions",
        {"version": o["version"], "to": "in_progress", "note": "came back"},
        200,
    )
    assert o["reopen_count"] == 1 and o["closed_at"] is None
    full = desk.client.get(f"/api/work-orders/{o['id']}", headers=desk.h("agent2")).json()
    kinds = [(e["type"], e["status"]) for e in full["events"]]
    assert kinds[0] == ("created", "new")
    assert kinds[-1] == ("status", "in_progress")


def test_a_transfer_never_lowers_the_tier(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"])
    o = desk.post(
        "agent",
        f"/api/work-orders/{o['id']}/assignment",
        {
            "version": o["version"],
            "assignee_id": desk.ids["agent2"],
            "tier": "L2",
            "team_id": desk.teams["B"],
        },
        200,
    )
    with desk.db.factory() as s:
        audit = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "work_order.assign", AuditEntry.entity_id == str(o["id"]))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()
    assert audit.before is not None and audit.after is not None
    assert (audit.before["team_id"], audit.before["tier"]) == (desk.teams["A"], "L1")
    assert (audit.after["team_id"], audit.after["tier"]) == (desk.teams["B"], "L2")
    before = _audit_count(desk)
    r = desk.client.post(
        f"/api/work-orders/{o['id']}/assignment",
        json={
            "version": o["version"],
            "assignee_id": desk.ids["agent"],
            "tier": "L1",
            "team_id": desk.teams["A"],
        },
        headers=desk.h("agent"),
    )
    assert r.status_code == 400
    assert r.json()["detail"] == (
        "tier: the order is at 'L2' and cannot move down to 'L1'; "
        "a transfer keeps the tier or moves it up (L1 → L2 → expert)"
    )
    now = desk.client.get(f"/api/work-orders/{o['id']}", headers=desk.h("agent")).json()
    assert (now["version"], now["tier"], now["assignee_id"], now["team_id"]) == (
        o["version"],
        "L2",
        desk.ids["agent2"],
        desk.teams["B"],
    )
    assert _audit_count(desk) == before


def test_invalid_transition_is_a_clear_400(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"])
    r = desk.client.post(
        f"/api/work-orders/{o['id']}/transitions",
        json={"version": o["version"], "to": "closed"},
        headers=desk.h("agent"),
    )
    assert r.status_code == 400
    assert "cannot move from 'new' to 'closed'" in r.json()["detail"]


def test_complaint_needs_return_visit_with_justice_before_closing(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"], type="complaint", subject="Rude engineer")
    o = desk.post(
        "agent",
        f"/api/work-orders/{o['id']}/transitions",
        {"version": o["version"], "to": "resolved"},
        200,
    )
    r = desk.client.post(
        f"/api/work-orders/{o['id']}/transitions",
        json={"version": o["version"], "to": "closed"},
        headers=desk.h("agent"),
    )
    assert r.status_code == 400 and "return visit" in r.json()["detail"]
    r = desk.client.post(
        f"/api/work-orders/{o['id']}/return-visits",
        json={"satisfied": True, "close": True},
        headers=desk.h("agent"),
    )
    assert r.status_code == 400 and "justice" in r.json()["detail"]
    o = desk.post(
        "agent",
        f"/api/work-orders/{o['id']}/return-visits",
        {
            "satisfied": True,
            "close": True,
            "note": "apology accepted",
            "justice": {"outcome": 4, "process": 5, "treatment": 5},
        },
    )
    assert o["status"] == "closed" and o["has_return_visit"] is True


def test_stale_version_gets_409_and_nothing_is_lost(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"])
    first = desk.client.patch(
        f"/api/work-orders/{o['id']}",
        json={"version": o["version"], "subject": "First edit"},
        headers=desk.h("agent"),
    )
    assert first.status_code == 200
    before = _audit_count(desk)
    stale = desk.client.patch(
        f"/api/work-orders/{o['id']}",
        json={"version": o["version"], "subject": "Second edit"},
        headers=desk.h("agent"),
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == first.json()["version"]
    assert "stale" in body["detail"]
    now = desk.client.get(f"/api/work-orders/{o['id']}", headers=desk.h("agent")).json()
    assert now["subject"] == "First edit"
    assert _audit_count(desk) == before


def test_every_write_records_exactly_one_audit_row(desk: Desk) -> None:
    before = _audit_count(desk)
    c = desk.customer()
    o = desk.order(c["id"])
    desk.post(
        "agent",
        f"/api/work-orders/{o['id']}/messages",
        {"kind": "agent_reply", "body": "An engineer is on the way"},
    )
    assert _audit_count(desk) == before + 3
    with desk.db.factory() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
    assert [a.action for a in reversed(last)] == [
        "customer.create",
        "work_order.open",
        "work_order.agent_reply",
    ]
    assert last[1].actor_id == desk.ids["agent"] and last[1].after is not None
    assert last[1].after["owner_id"] == desk.ids["agent"]


def test_agents_see_only_their_teams_queues(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"])
    assert (
        desk.client.get(f"/api/work-orders/{o['id']}", headers=desk.h("agent2")).status_code == 404
    )
    ids2 = {w["id"] for w in desk.client.get("/api/queue", headers=desk.h("agent2")).json()}
    assert o["id"] not in ids2
    ids1 = {w["id"] for w in desk.client.get("/api/queue", headers=desk.h("agent")).json()}
    assert o["id"] in ids1
    sup = desk.client.get(f"/api/work-orders/{o['id']}", headers=desk.h("supervisor"))
    assert sup.status_code == 200


def test_roles_are_checked(desk: Desk) -> None:
    c = desk.customer()
    assert desk.client.get("/api/work-orders").status_code == 401
    assert (
        desk.client.get("/api/work-orders", headers={"Authorization": "Bearer junk"}).status_code
        == 401
    )
    r = desk.client.post(
        "/api/work-orders",
        headers=desk.h("analyst"),
        json={"customer_id": c["id"], "type": "repair", "channel": "hotline", "subject": "x"},
    )
    assert r.status_code == 403
    assert desk.client.get("/api/users", headers=desk.h("agent")).status_code == 403
    assert (
        desk.client.get(
            "/api/kpi",
            headers=desk.h("agent"),
            params={"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
        ).status_code
        == 403
    )
    r = desk.client.post(
        "/api/users",
        headers=desk.h("supervisor"),
        json={"username": "x", "password": "long-enough", "role": "admin"},
    )
    assert r.status_code == 403


def test_analysts_see_masked_contact_details_and_exports_are_audited(desk: Desk) -> None:
    c = desk.customer(
        identities=[
            {"kind": "phone", "value": "+86 138-0013-8000"},
            {"kind": "email", "value": "zhang.san@example.com"},
            {"kind": "account", "value": "ACC-42"},
        ]
    )
    seen = desk.client.get(f"/api/customers/{c['id']}", headers=desk.h("analyst")).json()
    values = {i["kind"]: (i["value"], i["masked"]) for i in seen["identities"]}
    assert values["phone"] == ("+86***********00", True) or values["phone"][1] is True
    assert "138-0013" not in values["phone"][0]
    assert values["email"] == ("z***@example.com", True)
    assert values["account"] == ("ACC-42", False)
    before = _audit_count(desk)
    csv = desk.client.get("/api/exports/customers.csv", headers=desk.h("analyst"))
    assert (
        csv.status_code == 200 and "zhang.san@" not in csv.text and "z***@example.com" in csv.text
    )
    assert _audit_count(desk) == before + 1


def test_bad_input_is_4xx_not_5xx(desk: Desk) -> None:
    h = desk.h("agent")
    cases = [
        (
            "/api/work-orders",
            {"customer_id": 999_999, "type": "repair", "channel": "hotline", "subject": "x"},
        ),
        (
            "/api/work-orders",
            {"customer_id": 1, "type": "nonsense", "channel": "hotline", "subject": "x"},
        ),
        ("/api/customers", {"name": "   "}),
        ("/api/customers", {"name": "A", "identities": [{"kind": "email", "value": "nope"}]}),
    ]
    for url, body in cases:
        r = desk.client.post(url, json=body, headers=h)
        assert 400 <= r.status_code < 500, (url, body, r.text)
    assert desk.client.get("/api/work-orders/99999999", headers=h).status_code == 404
    # PostgreSQL refuses NUL in text (400); SQLite stores it: either way never a 5xx.
    r = desk.client.post("/api/customers", json={"name": "A\u0000B"}, headers=h)
    assert r.status_code < 500


def test_owner_column_never_changes_in_storage(desk: Desk) -> None:
    o = desk.order(desk.customer()["id"], assignee_id=None)
    with desk.db.factory() as s:
        row = s.get(WorkOrder, o["id"])
        assert row is not None and row.owner_id == desk.ids["agent"]


def test_cookie_session_needs_csrf_for_writes(desk: Desk) -> None:
    from fastapi.testclient import TestClient

    with TestClient(desk.client.app) as browser:
        with desk.db.factory() as s:
            from touchpoint.storage.models import User

            name = s.get(User, desk.ids["agent"]).username  # type: ignore[union-attr]
        r = browser.post("/api/auth/login", json={"username": name, "password": "password-123"})
        assert r.status_code == 200
        csrf = r.json()["csrf_token"]
        assert browser.get("/api/auth/me").json()["id"] == desk.ids["agent"]
        body = {"name": "Cookie customer"}
        assert browser.post("/api/customers", json=body).status_code == 403
        ok = browser.post("/api/customers", json=body, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201


def test_noop_and_healthz(desk: Desk) -> None:
    assert desk.client.get("/healthz").json() == {"status": "ok"}
    assert desk.client.get("/api/noop", headers=desk.h("agent")).json() == {"ok": True}
    assert desk.client.get("/api/noop").status_code == 401


def test_a_write_kept_waiting_by_another_gets_503_and_writes_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    if desk.db.backend != "sqlite":
        pytest.skip("PostgreSQL writers lock rows, not the database")
    o = desk.order(desk.customer()["id"])
    audits = _audit_count(desk)
    monkeypatch.setattr(writer_lock_module, "WAIT_SECONDS", 0.2)
    with desk.db.factory() as s:
        lock = writer_lock_module.writer_lock(s.get_bind().engine)  # another write holds it
    lock.acquire()
    try:
        r = desk.client.patch(
            f"/api/work-orders/{o['id']}",
            json={"version": o["version"], "subject": "while busy"},
            headers=desk.h("agent"),
        )
    finally:
        lock.release()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "1"
    assert "nothing was written" in r.json()["detail"]
    assert _audit_count(desk) == audits
    again = desk.client.patch(
        f"/api/work-orders/{o['id']}",
        json={"version": o["version"], "subject": "after the wait"},
        headers=desk.h("agent"),
    )
    assert again.status_code == 200 and again.json()["subject"] == "after the wait"


def test_sqlite_s_own_busy_timeout_is_a_503_too(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer outside the desk's lock (a script on the file) outlasting SQLite's timeout.
    def locked(_unit: object) -> bool:
        raise OperationalError(
            "UPDATE work_orders ...", {}, sqlite3.OperationalError("database is locked")
        )

    o = desk.order(desk.customer()["id"])
    monkeypatch.setattr(base.WriteUnit, "finish", locked)
    r = desk.client.patch(
        f"/api/work-orders/{o['id']}",
        json={"version": o["version"], "subject": "x"},
        headers=desk.h("agent"),
    )
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert "busy" in r.json()["detail"]
