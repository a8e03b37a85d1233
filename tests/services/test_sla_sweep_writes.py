"""The sweep's bulk writes: outbox rows, each order's memory of its steps, executemany.

Each test gets a fresh database (the sweep looks at every open order in it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people, policy
from tests.storage.support import BACKENDS, T0, Database, open_database
from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.roles import Role
from touchpoint.services import escalation_plan, escalation_sweep, sla_admin
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.services.escalation_steps import executemany
from touchpoint.services.escalation_sweep import write_parts
from touchpoint.services.notify import create_webhook
from touchpoint.services.sla_admin import escalate_due
from touchpoint.services.sla_clock import sla_reports
from touchpoint.services.work_orders import MessageKind, reply
from touchpoint.storage.models import (
    AuditEntry,
    Escalation,
    OutboxMessage,
    User,
    WorkOrder,
)

FIRST_RESPONSE = {
    "first_response_minutes": 60,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 600,
}
NEXT_UPDATE = {
    "first_response_minutes": None,
    "next_update_minutes": 60,
    "next_update_from": "customer_message",
    "resolution_minutes": None,
}


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path)


def _memory(s: Session, order_id: int) -> tuple[int | None, int | None, int | None, int]:
    s.expire_all()
    o = s.get(WorkOrder, order_id)
    assert o is not None
    return (
        o.sla_step_due_first_response,
        o.sla_step_due_next_update,
        o.sla_step_due_resolution,
        o.sla_steps_taken,
    )


def _minute_apart_orders(db: Database, s: Session, n: int) -> tuple[Actor, list[int]]:
    """A supervisor, and ``n`` orders of one customer under a 60-minute first-response
    policy, opened a minute apart from T0."""
    sup, agent, _ = people(db, s)
    pid = policy(db, s, sup, FIRST_RESPONSE)
    cid = customer(db, s, agent)
    ids = [
        order(s, agent, cid, policy_id=pid, now=T0 + timedelta(minutes=i)).order.id
        for i in range(n)
    ]
    return sup, ids


def _steps(s: Session, order_id: int) -> list[tuple[str, str, datetime]]:
    return [
        (e.target, e.level, e.due_at)
        for e in s.scalars(
            select(Escalation).where(Escalation.work_order_id == order_id).order_by(Escalation.id)
        )
    ]


def test_breach_mails_the_supervisor_and_fires_subscribed_webhooks(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        admin = Actor(user_id=sup.user_id, username=sup.username, role=Role.ADMIN)
        assert agent.user_id is not None
        team = create_team(
            s,
            admin,
            TeamDraft(db.unique("team "), supervisor_id=sup.user_id, member_ids=(agent.user_id,)),
            now=T0,
        )
        for name, events in (("breach", ["work_order.sla_breach"]), ("all", ["*"])):
            create_webhook(s, admin, url=f"http://hooks.test/{name}", events=events, now=T0)
        create_webhook(
            s, admin, url="http://hooks.test/warn", events=["work_order.sla_warning"], now=T0
        )
        pid = policy(db, s, sup, FIRST_RESPONSE)
        cid = customer(db, s, agent)
        o = order(s, agent, cid, policy_id=pid, team_id=team.id, subject="No power").order
        email = s.scalar(select(User.email).where(User.id == sup.user_id))
        woken: list[int] = []
        queued: list[OutboxMessage] = []

        def sweep(minutes: int) -> sla_admin.EscalationSummary:
            before = s.scalar(select(func.max(OutboxMessage.id))) or 0
            summary = escalate_due(
                s, sup, now=T0 + timedelta(minutes=minutes), after_commit=lambda: woken.append(1)
            )
            queued[:] = s.scalars(
                select(OutboxMessage).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
            )
            return summary

        warned = sweep(50)
        assert [(st["target"], st["level"]) for st in warned.steps] == [
            ("first_response", "warning")
        ]
        due = T0 + timedelta(minutes=60)
        rows = list(queued)
        assert [(m.channel, m.target, m.event) for m in rows] == [
            ("webhook", "http://hooks.test/all", "work_order.sla_warning"),
            ("webhook", "http://hooks.test/warn", "work_order.sla_warning"),
        ]
        assert rows[0].payload == {
            "event": "work_order.sla_warning",
            "at": (T0 + timedelta(minutes=50)).isoformat(),
            "work_order_id": o.id,
            "target": "first_response",
            "due_at": due.isoformat(),
        }
        assert woken == [1]

        breached = sweep(61)
        assert [(st["target"], st["level"], st["action"]) for st in breached.steps] == [
            ("first_response", "breach", f"tier L1→L2; supervisor {sup.username} notified")
        ]
        assert breached.steps[0]["due_at"] == due
        rows = list(queued)
        # As a write unit queues them: the webhooks, then the mail.
        assert [(m.channel, m.target, m.event) for m in rows] == [
            ("webhook", "http://hooks.test/breach", "work_order.sla_breach"),
            ("webhook", "http://hooks.test/all", "work_order.sla_breach"),
            ("email", email, "sla.escalate_due"),
        ]
        assert rows[2].payload == {
            "subject": f"[SLA breach] work order #{o.id}: first_response",
            "body": f"Work order #{o.id} (No power) breach on first_response; "
            f"due {due.isoformat()}.",
        }
        assert all(m.sent_at is None and m.attempts == 0 and m.last_error == "" for m in rows)
        assert woken == [1, 1]
        s.expire_all()
        stored = s.get(WorkOrder, o.id)
        assert stored is not None and stored.tier == "L2" and stored.sla_breached

        again = sweep(62)
        assert [st for st in again.steps if st["work_order_id"] == o.id] == []
        assert queued == [] and woken == [1, 1]
        audits = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "sla.escalate_due")
        )
        assert audits == 3  # one per sweep, steps or not


def test_each_order_remembers_the_steps_taken_for_its_current_due_instants(
    db: Database,
) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        pid = policy(db, s, sup, NEXT_UPDATE)
        o = order(s, agent, customer(db, s, agent), policy_id=pid).order
        reply(
            s, agent, o.id, MessageKind.CUSTOMER_MESSAGE, "any news?", now=T0 + timedelta(minutes=5)
        )
        first_due = to_epoch_seconds(T0 + timedelta(minutes=65))
        assert _memory(s, o.id) == (None, None, None, 0)

        escalate_due(s, sup, now=T0 + timedelta(minutes=55))
        assert _memory(s, o.id) == (None, first_due, None, 0b000100)  # next_update warned
        escalate_due(s, sup, now=T0 + timedelta(minutes=66))
        assert _memory(s, o.id) == (None, first_due, None, 0b001100)  # ... and breached

        reply(s, agent, o.id, MessageKind.AGENT_REPLY, "on it", now=T0 + timedelta(minutes=70))
        reply(
            s, agent, o.id, MessageKind.CUSTOMER_MESSAGE, "still?", now=T0 + timedelta(minutes=80)
        )
        report = sla_reports(s, [o], now=T0 + timedelta(minutes=80))[o.id]
        assert report is not None and report.next_update is not None
        assert report.next_update.due_at is not None
        second_due = to_epoch_seconds(report.next_update.due_at)
        assert second_due > first_due

        escalate_due(s, sup, now=report.next_update.due_at - timedelta(minutes=5))
        # A step for a new due instant replaces the target's levels (the old breach
        # must not count for the new instant).
        assert _memory(s, o.id) == (None, second_due, None, 0b000100)
        escalate_due(s, sup, now=report.next_update.due_at + timedelta(minutes=1))
        assert _memory(s, o.id) == (None, second_due, None, 0b001100)
        assert [(t, lv) for t, lv, _due in _steps(s, o.id)] == [
            ("next_update", "warning"),
            ("next_update", "breach"),
            ("next_update", "warning"),
            ("next_update", "breach"),
        ]


@pytest.mark.parametrize("lookup_limit", [50_000, 0], ids=["by-id", "all-open"])
def test_steps_missing_from_memory_are_found_in_the_escalation_rows(
    db: Database, lookup_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(escalation_plan, "LOOKUP_LIMIT", lookup_limit)
    with db.factory() as s:
        sup, ids = _minute_apart_orders(db, s, 3)
        first = escalate_due(s, sup, now=T0 + timedelta(minutes=70))
        assert {st["work_order_id"] for st in first.steps} == set(ids)
        taken = {i: _steps(s, i) for i in ids}
        # Forget (as rows escalated before the memory existed, or a due instant that
        # came back to one escalated earlier): the escalation rows still answer.
        s.execute(
            update(WorkOrder)
            .where(WorkOrder.id.in_(ids[:2]))
            .values(
                sla_step_due_first_response=None,
                sla_step_due_resolution=None,
                sla_steps_taken=0,
            )
        )
        s.execute(
            update(WorkOrder)
            .where(WorkOrder.id == ids[2])
            .values(sla_step_due_first_response=to_epoch_seconds(T0))  # another instant
        )
        s.commit()
        again = escalate_due(s, sup, now=T0 + timedelta(minutes=71))
        assert again.steps == []
        assert {i: _steps(s, i) for i in ids} == taken


def test_executemany_stores_what_execute_stores(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        cid = customer(db, s, agent)
        o = order(s, agent, cid).order
        due = T0 + timedelta(hours=1)
        rows = [
            {
                "work_order_id": o.id,
                "target": target,
                "level": "warning",
                "due_at": due,
                "at": T0,
                "action": "warning",
            }
            for target in ("first_response", "resolution")
        ]
        conn = s.connection()
        conn.execute(insert(Escalation), rows[:1])
        conn.execute(insert(Escalation), rows[1:])
        stored = conn.execute(
            select(Escalation.due_at, Escalation.at)
            .where(Escalation.work_order_id == o.id)
            .order_by(Escalation.id)
        ).all()
        assert stored[0] == stored[1] == (due, T0)
        if db.backend == "sqlite":  # the very same text, so the unique key compares equal
            raw = conn.exec_driver_sql(
                "SELECT due_at, at FROM escalations WHERE work_order_id = ? ORDER BY id", (o.id,)
            ).all()
            assert raw[0] == raw[1]
        s.commit()
        with pytest.raises(IntegrityError):
            s.connection().execute(insert(Escalation), rows[:1])
        s.rollback()
        v0 = o.version
        written = executemany(
            s.connection(),
            update(WorkOrder)
            .where(WorkOrder.id == bindparam("oid"), WorkOrder.version == bindparam("v"))
            .values(tier=bindparam("tier"), version=WorkOrder.version + 1),
            [
                {"oid": o.id, "v": v0, "tier": "L2"},
                {"oid": o.id, "v": v0 + 5, "tier": "expert"},  # stale: no row
            ],
        )
        s.commit()
        assert written == 1
        s.expire_all()
        fresh = s.get(WorkOrder, o.id)
        assert fresh is not None and (fresh.tier, fresh.version) == ("L2", v0 + 1)


def test_a_catch_up_sweep_writes_in_parts(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # A sweep over a large backlog commits a part at a time (SQLite's one writer lock is
    # freed in between), each with its audit row; all steps are taken once, in order.
    monkeypatch.setattr(escalation_sweep, "WRITE_PART_ORDERS", 2)
    with db.factory() as s:
        sup, ids = _minute_apart_orders(db, s, 5)
        summary = escalate_due(s, sup, now=T0 + timedelta(minutes=70))
        assert (summary.breaches, summary.warnings, summary.tier_ups) == (5, 0, 5)
        assert [st["work_order_id"] for st in summary.steps] == ids
        parts = s.scalars(
            select(AuditEntry.after)
            .where(AuditEntry.action == "sla.escalate_due")
            .order_by(AuditEntry.id)
        ).all()
        assert [p["part"] for p in parts] == ["1/3", "2/3", "3/3"]  # type: ignore[index]
        assert [len(p["steps"]) for p in parts] == [2, 2, 1]  # type: ignore[index]
        assert [len(_steps(s, i)) for i in ids] == [1] * 5
        again = escalate_due(s, sup, now=T0 + timedelta(minutes=71))
        assert again.steps == []


def test_write_parts_split_steps_and_cache_rows_by_order() -> None:
    steps = np.array([[0, 0, 1, 9], [0, 2, 1, 9], [3, 0, 0, 9], [7, 2, 1, 9]], dtype=np.int64)
    cache = np.array([1, 2, 5, 8, 9], dtype=np.int64)
    parts = write_parts(steps, cache, 3)
    assert [(p[:, 0].tolist(), c.tolist()) for p, c in parts] == [
        ([0, 0], [1, 2]),  # orders 0, 1, 2
        ([3, 7], [5]),  # orders 3, 5, 7
        ([], [8, 9]),
    ]
    whole = write_parts(steps[:2], cache[:2], 3)  # orders 0, 1, 2: one part
    assert [(p[:, 0].tolist(), c.tolist()) for p, c in whole] == [([0, 0], [1, 2])]


def test_the_desk_s_own_sweep_is_audited_only_when_it_writes(db: Database) -> None:
    # The desk sweeps once a minute: an audit row for every sweep that did nothing would
    # bury the log (1,440 a day); a person's sweep is audited even when it did nothing.
    with db.factory() as s:
        sup, ids = _minute_apart_orders(db, s, 1)

        def audits() -> int:
            rows = select(func.count()).where(AuditEntry.action == "sla.escalate_due")
            return int(s.scalar(rows) or 0)

        before = audits()
        idle = escalate_due(s, Actor.system(), now=T0 + timedelta(minutes=5))
        assert idle.steps == [] and audits() == before
        escalate_due(s, sup, now=T0 + timedelta(minutes=6))
        assert audits() == before + 1
        breach = escalate_due(s, Actor.system(), now=T0 + timedelta(minutes=61))
        assert [st["work_order_id"] for st in breach.steps] == ids
        assert audits() == before + 2
