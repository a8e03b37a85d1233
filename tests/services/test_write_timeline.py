"""A write replays the order's timeline as it read it with the order (one statement:
events as texts beside the order's row) plus the events it adds itself. Its SLA answer
must be the one a later read replays from the stored events, also where several events
share an instant (their recorded order decides) and the clock pauses and resumes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.services.support import customer, moved, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.sla_clock import stored_timeline
from touchpoint.services.work_orders import (
    MessageKind,
    WorkOrderDetail,
    assign_work_order,
    get_work_order,
    reply,
)


def _agrees(session: Session, agent: object, detail: WorkOrderDetail) -> None:
    now = detail.order.updated_at
    read = get_work_order(session, agent, detail.order.id, now=now)  # type: ignore[arg-type]
    assert detail.sla == read.sla
    assert detail.order.sla_next_escalation_at == read.order.sla_next_escalation_at


def test_writes_replay_what_a_read_replays(db: Database, session: Session) -> None:
    _sup, agent, _ = people(db, session)
    pid = policy(
        db,
        session,
        _sup,
        {"first_response_minutes": 30, "next_update_minutes": 60, "resolution_minutes": 480},
    )
    o = order(session, agent, customer(db, session, agent), policy_id=pid, now=T0)
    at = T0 + timedelta(minutes=10, microseconds=250_000)
    # Three events in one instant: assigned, the first reply, then waiting (a pause).
    d = assign_work_order(
        session, agent, o.order.id, agent.user_id or 0, version=o.order.version, now=at
    )
    _agrees(session, agent, d)
    d = reply(session, agent, d.order.id, MessageKind.AGENT_REPLY, "on it", now=at)
    _agrees(session, agent, d)
    d = moved(session, agent, d, WorkOrderStatus.WAITING_CUSTOMER, at)
    _agrees(session, agent, d)
    # The customer answers two hours later and the order resumes in the same instant.
    later = T0 + timedelta(hours=2)
    d = reply(session, agent, d.order.id, MessageKind.CUSTOMER_MESSAGE, "here", now=later)
    _agrees(session, agent, d)
    d = moved(session, agent, d, WorkOrderStatus.IN_PROGRESS, later)
    _agrees(session, agent, d)
    # Resolved, and reopened by the customer in the same second: recorded order decides.
    done = T0 + timedelta(hours=3, microseconds=900_000)
    d = moved(session, agent, d, WorkOrderStatus.RESOLVED, done)
    _agrees(session, agent, d)
    d = moved(session, agent, d, WorkOrderStatus.IN_PROGRESS, done)
    _agrees(session, agent, d)
    # The next write reads both from storage, in their recorded order.
    d = reply(
        session, agent, d.order.id, MessageKind.INTERNAL_NOTE, "n", now=done + timedelta(minutes=1)
    )
    _agrees(session, agent, d)
    assert d.report is not None and d.report.status.value == "in_progress"
    timeline = stored_timeline(session, d.order.id)
    assert [(e.at - T0, e.type.value) for e in timeline] == [
        (timedelta(0), "created"),
        (timedelta(minutes=10), "status"),
        (timedelta(minutes=10), "agent_reply"),
        (timedelta(minutes=10), "status"),
        (timedelta(hours=2), "customer_message"),
        (timedelta(hours=2), "status"),
        (timedelta(hours=3), "status"),
        (timedelta(hours=3), "status"),
        (timedelta(hours=3, minutes=1), "internal_note"),
    ]
    assert not d.report.paused
    # Resolution: 10 minutes ran before the pause, which lasted until two hours in; the
    # remaining 470 run from there (24x7 calendar), and the reopening resumes them.
    assert d.report.resolution is not None
    assert d.report.resolution.due_at == T0 + timedelta(hours=2, minutes=470)
