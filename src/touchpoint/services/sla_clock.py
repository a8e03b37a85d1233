"""The desk's bridge to the SLA clock (issue 6): every SLA number comes from ``replay``.

Each order's timeline is stored as ``work_order_events`` rows; this module turns them
into ``TimelineEvent`` values and replays them with the order's policy and calendar.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.sla import (
    EventType,
    OrderStatus,
    SlaPolicy,
    SlaReport,
    TimelineEvent,
    replay,
)
from touchpoint.domain.sla_selection import SlaRule, select_policy
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder, WorkOrderEvent

__all__ = [
    "choose_policy",
    "compiled_policy",
    "load_timeline",
    "refresh_sla_cache",
    "sla_json",
    "sla_report",
    "sla_reports",
    "timeline_events",
]

# Parsed definitions, keyed by their canonical JSON text (never by row id: one process
# may talk to several databases, e.g. in tests).
_calendars: dict[str, BusinessCalendar] = {}
_policies: dict[str, SlaPolicy] = {}


def compiled_policy(
    session: Session, policy_id: int
) -> tuple[SlaPolicyRow, BusinessCalendar, SlaPolicy]:
    """The policy row with its parsed calendar and policy (parsing cached by content)."""
    row = session.get(SlaPolicyRow, policy_id)
    if row is None:
        raise LookupError(f"sla policy {policy_id} not found")
    cal_row = session.get(SlaCalendarRow, row.calendar_id)
    if cal_row is None:
        raise LookupError(f"sla calendar {row.calendar_id} not found")
    ckey = json.dumps(cal_row.definition, sort_keys=True)
    cal = _calendars.get(ckey)
    if cal is None:
        cal = BusinessCalendar.from_json(cal_row.definition)
        _calendars[ckey] = cal
    pkey = json.dumps(row.definition, sort_keys=True)
    pol = _policies.get(pkey)
    if pol is None:
        pol = SlaPolicy.from_json(row.definition)
        _policies[pkey] = pol
    return row, cal, pol


def choose_policy(
    session: Session,
    *,
    type: WorkOrderType,
    priority: Priority,
    customer_class: CustomerClass,
    channel: Channel,
) -> int | None:
    """The id of the active policy whose conditions match first (rank, specificity, id)."""
    rows = session.scalars(select(SlaPolicyRow).where(SlaPolicyRow.active.is_(True))).all()
    rules = [
        SlaRule(
            policy_id=r.id,
            rank=r.rank,
            types=frozenset(WorkOrderType(v) for v in r.types),
            priorities=frozenset(Priority(v) for v in r.priorities),
            customer_classes=frozenset(CustomerClass(v) for v in r.customer_classes),
            channels=frozenset(Channel(v) for v in r.channels),
        )
        for r in rows
    ]
    return select_policy(
        rules, type=type, priority=priority, customer_class=customer_class, channel=channel
    )


def timeline_events(rows: Sequence[WorkOrderEvent]) -> list[TimelineEvent]:
    """Stored events (already in time order) as the clock's ``TimelineEvent`` values."""
    return [
        TimelineEvent(
            at=r.at,
            type=EventType(r.type),
            status=OrderStatus(r.status) if r.status is not None else None,
        )
        for r in rows
    ]


def load_timeline(session: Session, order_id: int) -> list[WorkOrderEvent]:
    """An order's events in time order; equal instants keep their recorded order."""
    return list(
        session.scalars(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.work_order_id == order_id)
            .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
        )
    )


def sla_report(session: Session, order: WorkOrder, *, now: datetime) -> SlaReport | None:
    """Replay the order's stored timeline under its policy; None without a policy."""
    if order.policy_id is None:
        return None
    _row, cal, pol = compiled_policy(session, order.policy_id)
    return replay(cal, pol, timeline_events(load_timeline(session, order.id)), now=now)


def sla_reports(
    session: Session, orders: Sequence[WorkOrder], *, now: datetime
) -> dict[int, SlaReport | None]:
    """SLA reports of many orders, loading their timelines in one query."""
    ids = [o.id for o in orders]
    by_order: dict[int, list[WorkOrderEvent]] = {i: [] for i in ids}
    if ids:
        rows = session.scalars(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.work_order_id.in_(ids))
            .order_by(WorkOrderEvent.work_order_id, WorkOrderEvent.at, WorkOrderEvent.id)
        )
        for r in rows:
            by_order[r.work_order_id].append(r)
    out: dict[int, SlaReport | None] = {}
    for o in orders:
        if o.policy_id is None:
            out[o.id] = None
            continue
        _row, cal, pol = compiled_policy(session, o.policy_id)
        out[o.id] = replay(cal, pol, timeline_events(by_order[o.id]), now=now)
    return out


def sla_json(report: SlaReport | None) -> dict[str, Any] | None:
    """The report exactly as ``touchpoint sla replay`` prints it."""
    return None if report is None else dict(report.to_json())


def refresh_sla_cache(order: WorkOrder, report: SlaReport | None) -> None:
    """Keep the sweep/sort cache columns in step with the replay."""
    if report is None:
        order.sla_next_escalation_at = None
        order.sla_breached = False
        return
    order.sla_next_escalation_at = report.next_escalation_at
    order.sla_breached = any(
        t is not None and t.breached
        for t in (report.first_response, report.next_update, report.resolution)
    )
