"""The bulk SLA path (one query, one ``replay_many`` per policy) equals per-order replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.escalation import (
    EscalationLevel,
    EscalationPolicy,
    PendingTarget,
    plan_escalations,
)
from touchpoint.domain.sla import replay
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.sla_admin import escalate_due
from touchpoint.services.sla_clock import (
    compiled_policy,
    load_timeline,
    sla_reports,
    timeline_events,
)
from touchpoint.services.work_orders import MessageKind, reply, transition_work_order
from touchpoint.storage.models import Escalation, WorkOrder

FAST = {
    "first_response_minutes": 30,
    "next_update_minutes": 60,
    "next_update_from": "customer_message",
    "resolution_minutes": 240,
}
SLOW = {
    "first_response_minutes": 120,
    "next_update_minutes": 90,
    "next_update_from": "agent_reply",
    "resolution_minutes": None,
}


def _business_seconds(cal: BusinessCalendar) -> Callable[[datetime, datetime], float]:
    def seconds(a: datetime, b: datetime) -> float:
        return float(cal.between(a, b))

    return seconds


def test_bulk_reports_and_sweep_equal_per_order_replay(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        pids = [policy(db, s, sup, FAST), policy(db, s, sup, SLOW)]
        cid = customer(db, s, agent)
        orders: list[WorkOrder] = []
        for i in range(12):
            start = T0 + timedelta(minutes=7 * i)
            o = order(s, agent, cid, policy_id=pids[i % 2], now=start).order
            at = start + timedelta(minutes=3)
            if i % 3 == 1:
                o = reply(s, agent, o.id, MessageKind.AGENT_REPLY, "on it", now=at).order
            if i % 4 == 2:
                o = reply(s, agent, o.id, MessageKind.CUSTOMER_MESSAGE, "any news?", now=at).order
            if i % 5 == 3:
                o = transition_work_order(
                    s, agent, o.id, WorkOrderStatus.WAITING_CUSTOMER, version=o.version, now=at
                ).order
            if i == 11:
                o = transition_work_order(
                    s, agent, o.id, WorkOrderStatus.RESOLVED, version=o.version, now=at
                ).order
            orders.append(o)
        ids = [o.id for o in orders]
        stepped = 0

        for minutes in (20, 95, 200):
            now = T0 + timedelta(minutes=minutes)
            fresh = list(s.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids))))
            bulk = sla_reports(s, fresh, now=now)
            expected_steps = []
            taken = {
                (e.work_order_id, e.target, e.level, e.due_at)
                for e in s.scalars(select(Escalation).where(Escalation.work_order_id.in_(ids)))
            }
            for o in sorted(fresh, key=lambda o: o.id):
                assert o.policy_id is not None
                prow, cal, pol = compiled_policy(s, o.policy_id)
                one = replay(cal, pol, timeline_events(load_timeline(s, o.id)), now=now)
                assert bulk[o.id] == one
                if one.paused or WorkOrderStatus(o.status).is_done:
                    continue
                pending = [
                    PendingTarget(name, t.target_minutes, t.due_at)
                    for name, t in (
                        ("first_response", one.first_response),
                        ("next_update", one.next_update),
                        ("resolution", one.resolution),
                    )
                    if t is not None and t.due_at is not None
                ]
                done = frozenset(
                    (t, EscalationLevel(lv), due) for oid, t, lv, due in taken if oid == o.id
                )
                for step in plan_escalations(
                    pending,
                    now=now,
                    business_seconds=_business_seconds(cal),
                    policy=EscalationPolicy(warn_share=prow.warn_share),
                    done=done,
                ):
                    expected_steps.append((o.id, step.target, step.level.value, step.due_at))
            summary = escalate_due(s, sup, now=now)
            got = [
                (st["work_order_id"], st["target"], st["level"], st["due_at"])
                for st in summary.steps
                if st["work_order_id"] in ids
            ]
            assert got == expected_steps
            stepped += len(got)
            s.expire_all()
            for o in s.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids))):
                report = bulk[o.id]
                assert report is not None
                if not WorkOrderStatus(o.status).is_done:
                    assert o.sla_next_escalation_at == report.next_escalation_at
        assert stepped > 0


def test_rows_in_matches_row_membership_with_and_without_packing() -> None:
    import numpy as np

    from touchpoint.services.escalation_plan import rows_in

    rng = np.random.default_rng(5)
    among = rng.integers(0, 50, size=(200, 4)).astype(np.int64)
    rows = np.concatenate([among[:60], rng.integers(0, 50, size=(100, 4))])
    expected = np.array([any((r == a).all() for a in among) for r in rows])
    assert (rows_in(rows, among) == expected).all()
    wide = rows.copy()
    wide[:, 3] += 2**61  # spans too wide to pack: compared as opaque keys
    wide_among = among.copy()
    wide_among[:, 3] += 2**61
    wide_among[0, 3] = 0
    expected_wide = np.array([any((r == a).all() for a in wide_among) for r in wide])
    assert (rows_in(wide, wide_among) == expected_wide).all()
    assert not rows_in(rows, among[:0]).any()


def test_fetch_int_columns_equals_plain_rows(db: Database) -> None:
    import numpy as np

    from touchpoint.services.sla_clock import fetch_int_columns, fetch_rows, int_columns
    from touchpoint.storage.models import WorkOrderEvent

    with db.factory() as s:
        sup, agent, _ = people(db, s)
        pid = policy(db, s, sup, FAST)
        cid = customer(db, s, agent)
        for i in range(3):
            order(s, agent, cid, policy_id=pid, now=T0 + timedelta(minutes=i))
        stmt = select(WorkOrderEvent.work_order_id, WorkOrderEvent.id).order_by(
            WorkOrderEvent.work_order_id.desc(), WorkOrderEvent.id
        )
        got = fetch_int_columns(s, stmt)
        assert got.shape[1] == 2 and len(got) >= 3
        assert np.array_equal(got, int_columns(fetch_rows(s, stmt), 2))
        empty = fetch_int_columns(s, stmt.where(WorkOrderEvent.id < 0))
        assert empty.shape == (0, 2)
        # In any order: the same rows, each whole (columns kept aligned).
        anyhow = fetch_int_columns(s, stmt, in_order=False)
        assert sorted(map(tuple, anyhow.tolist())) == sorted(map(tuple, got.tolist()))
        empty = fetch_int_columns(s, stmt.where(WorkOrderEvent.id < 0), in_order=False)
        assert empty.shape == (0, 2)


def test_events_recorded_out_of_time_order_replay_in_time_order(db: Database) -> None:
    from touchpoint.services.sla_clock import stored_timeline
    from touchpoint.storage.models import WorkOrderEvent

    with db.factory() as s:
        sup, agent, _ = people(db, s)
        pid = policy(db, s, sup, FAST)
        cid = customer(db, s, agent)
        o = order(s, agent, cid, policy_id=pid, now=T0).order
        o = reply(
            s, agent, o.id, MessageKind.CUSTOMER_MESSAGE, "hello?", now=T0 + timedelta(minutes=50)
        ).order
        # Recorded later, happened earlier (e.g. an imported call note).
        s.add(
            WorkOrderEvent(
                work_order_id=o.id, at=T0 + timedelta(minutes=10), type="agent_reply", body="x"
            )
        )
        s.commit()
        now = T0 + timedelta(minutes=70)
        events = timeline_events(load_timeline(s, o.id))
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert stored_timeline(s, o.id) == events
        _prow, cal, pol = compiled_policy(s, pid)
        expected = replay(cal, pol, events, now=now)
        assert sla_reports(s, [o], now=now)[o.id] == expected
        escalate_due(s, sup, now=now)  # the sweep's bulk path sorts them too
