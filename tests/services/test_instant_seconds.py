"""Instants read back as seconds by the database agree with the domain's (fractions
dropped), also in the last half millisecond of a second, where SQLite's date functions
round to the next one: an order's stored events and its new ones are then one timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.services.support import customer, moved, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.recovery import JusticeScores
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services.sla_clock import epoch_seconds, stored_timeline
from touchpoint.services.work_orders import record_return_visit
from touchpoint.storage.models import WorkOrderEvent

LATE = T0 + timedelta(hours=2, microseconds=999_600)  # xx:xx:00.9996


def test_seconds_read_by_the_database_drop_the_fraction(db: Database, session: Session) -> None:
    _sup, agent, _ = people(db, session)
    detail = order(session, agent, customer(db, session, agent), now=LATE)
    stmt = select(epoch_seconds(session, WorkOrderEvent.at)).where(
        WorkOrderEvent.work_order_id == detail.order.id
    )
    assert session.scalars(stmt).all() == [to_epoch_seconds(LATE)]
    assert [e.at for e in stored_timeline(session, detail.order.id)] == [
        LATE.replace(microsecond=0)
    ]


def test_a_return_visit_that_closes_in_the_same_late_instant(
    db: Database, session: Session
) -> None:
    sup, agent, _ = people(db, session)
    pid = policy(db, session, sup, {"resolution_minutes": 600})
    cid = customer(db, session, agent)
    o = order(session, agent, cid, type=WorkOrderType.COMPLAINT, policy_id=pid, now=LATE)
    resolved = moved(session, agent, o, WorkOrderStatus.RESOLVED, LATE + timedelta(minutes=5))
    # The visit's note is stored before the closing status event is replayed with it.
    closed = record_return_visit(
        session,
        agent,
        resolved.order.id,
        satisfied=True,
        justice=JusticeScores(outcome=4, process=4, treatment=5),
        close=True,
        now=LATE + timedelta(minutes=30),
    )
    assert closed.order.status == WorkOrderStatus.CLOSED.value
