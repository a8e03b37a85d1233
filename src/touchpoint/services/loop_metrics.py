"""How fast and how well service-recovery loops close (``GET /api/loop``; Sprinklr's loop
metrics: cases triggered, closed, closed within SLA).

Over the detractor answers submitted between two local dates of the desk's time zone
(both inclusive): ``triggered`` counts the answers that opened a recovery order;
``closed`` those orders now resolved or closed; ``closed_within_target`` those whose
SLA resolution target was met; ``median_business_hours_to_close`` the median business
hours from the answer to the order's resolution, on the order's own calendar;
``resurveyed`` the answers to the recovery orders' own return visits; ``recovered`` those
that were no detractor's; ``recovery_rate`` = recovered / resurveyed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.calendar import BusinessCalendar, to_epoch_seconds
from touchpoint.domain.errors import DomainError
from touchpoint.domain.sla import NO_INSTANT
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import Actor, require
from touchpoint.services.recovery_loop import is_detractor
from touchpoint.services.sla_clock import replay_batches
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse

__all__ = ["LoopMetrics", "loop_metrics"]

_DONE = (WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value)
#: A closed recovery order: id, policy, resolution, and when its answer was submitted.
_Closed = tuple[int, int | None, datetime | None, datetime]


@dataclass(frozen=True, slots=True)
class LoopMetrics:
    """The loop counts of a period (see the module's docstring)."""

    triggered: int
    closed: int
    closed_within_target: int
    median_business_hours_to_close: float | None
    resurveyed: int
    recovered: int

    @property
    def recovery_rate(self) -> float | None:
        """Recovered over re-surveyed; None when nobody answered a re-survey."""
        return self.recovered / self.resurveyed if self.resurveyed else None


def _bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    if end < start:
        raise DomainError(f"to: {end.isoformat()} is before from {start.isoformat()}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"tz: {tz!r} is not a known time zone") from None
    lo = datetime.combine(start, time(0), zone)
    hi = datetime.combine(end + timedelta(days=1), time(0), zone)
    return lo, hi


def _calendars(session: Session, policy_ids: set[int]) -> dict[int, BusinessCalendar]:
    """Each policy's business calendar."""
    if not policy_ids:
        return {}
    rows = session.execute(
        select(SlaPolicyRow.id, SlaCalendarRow.definition)
        .join(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
        .where(SlaPolicyRow.id.in_(policy_ids))
    )
    return {pid: BusinessCalendar.from_json(definition) for pid, definition in rows}


def _epoch(at: datetime) -> int:
    return to_epoch_seconds(at if at.tzinfo else at.replace(tzinfo=UTC))


def _hours_to_close(session: Session, closed: list[_Closed]) -> float | None:
    """The median business hours from answer to resolution: one index per calendar over
    the span of its orders, ``B(resolved) - B(answered)`` (``between``), 0 when the
    resolution is not after the answer."""
    by_policy: dict[int, list[tuple[int, int]]] = {}
    for _oid, policy_id, resolved_at, answered_at in closed:
        if policy_id is not None and resolved_at is not None:
            by_policy.setdefault(policy_id, []).append((_epoch(answered_at), _epoch(resolved_at)))
    calendars = _calendars(session, set(by_policy))
    hours: list[float] = []
    for policy_id, spans in by_policy.items():
        calendar = calendars.get(policy_id)
        if calendar is None:
            continue
        check_deadline()
        pairs = np.array(spans, dtype=np.int64)
        a, b = pairs[:, 0], pairs[:, 1]
        index = calendar.index(int(a.min()), int(b.max()))
        seconds = np.where(b > a, index.business_seconds_at(b) - index.business_seconds_at(a), 0)
        hours += (seconds / 3600).tolist()
    return statistics.median(hours) if hours else None


def _within_target(session: Session, period: ColumnElement[bool], now: datetime) -> int:
    """The closed recovery orders of the period whose SLA resolution target was met (met,
    not breached), replayed together (``sla_reports``' batches) from their events."""
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.policy_id)
        .join(SurveyResponse, SurveyResponse.id == WorkOrder.origin_response_id)
        .where(period, WorkOrder.status.in_(_DONE), WorkOrder.policy_id.is_not(None))
        .order_by(WorkOrder.id)
    ).all()
    if not rows:
        return 0
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    pids = np.array([r[1] for r in rows], dtype=np.int64)
    query = (
        select(WorkOrder.id)
        .join(SurveyResponse, SurveyResponse.id == WorkOrder.origin_response_id)
        .where(period, WorkOrder.status.in_(_DONE), WorkOrder.policy_id.is_not(None))
    )
    session.flush()  # as sla_reports: events added in this transaction count
    within = 0
    for batch in replay_batches(session, ids, pids, now=now, orders_query=query):
        target = batch.report.resolution
        if target is not None:
            within += int(((target.met_at != NO_INSTANT) & ~target.breached).sum())
    return within


def _resurveys(session: Session, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    """The answers to the return visits of the period's recovery orders."""
    origin = aliased(SurveyResponse)
    return list(
        session.scalars(
            select(SurveyResponse.answers)
            .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
            .join(WorkOrder, WorkOrder.id == SurveyInvitation.work_order_id)
            .join(origin, origin.id == WorkOrder.origin_response_id)
            .where(origin.submitted_at >= lo, origin.submitted_at < hi)
        )
    )


def loop_metrics(
    session: Session, actor: Actor, *, start: date, end: date, tz: str, now: datetime
) -> LoopMetrics:
    """The loop counts of the detractor answers submitted from ``start`` to ``end``."""
    require(actor, actor.role.can_read_reports, "read loop metrics")
    lo, hi = _bounds(start, end, tz)
    period = and_(SurveyResponse.submitted_at >= lo, SurveyResponse.submitted_at < hi)
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.status, WorkOrder.policy_id, WorkOrder.resolved_at)
        .add_columns(SurveyResponse.submitted_at)
        .join(SurveyResponse, SurveyResponse.id == WorkOrder.origin_response_id)
        .where(period)
    ).all()
    closed: list[_Closed] = [
        (oid, policy_id, resolved_at, at)
        for oid, status, policy_id, resolved_at, at in rows
        if status in _DONE
    ]
    check_deadline()
    within = _within_target(session, period, now) if closed else 0
    check_deadline()
    answers = _resurveys(session, lo, hi) if rows else []
    return LoopMetrics(
        triggered=len(rows),
        closed=len(closed),
        closed_within_target=within,
        median_business_hours_to_close=_hours_to_close(session, closed),
        resurveyed=len(answers),
        recovered=sum(1 for a in answers if not is_detractor(a)),
    )
