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
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import Actor, require
from touchpoint.services.recovery_loop import is_detractor
from touchpoint.services.sla_clock import sla_reports
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse

__all__ = ["LoopMetrics", "loop_metrics"]

_DONE = (WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value)


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


def _hours_to_close(session: Session, closed: list[tuple[WorkOrder, datetime]]) -> float | None:
    calendars = _calendars(session, {o.policy_id for o, _ in closed if o.policy_id is not None})
    hours = []
    for order, answered_at in closed:
        calendar = calendars.get(order.policy_id) if order.policy_id is not None else None
        if calendar is None or order.resolved_at is None:
            continue
        hours.append(calendar.between(answered_at, order.resolved_at) / 3600)
    return statistics.median(hours) if hours else None


def _resurveys(session: Session, order_ids: list[int]) -> list[dict[str, Any]]:
    """The answers to the recovery orders' own return visits."""
    answers: list[dict[str, Any]] = []
    for part in range(0, len(order_ids), 1000):
        check_deadline()
        answers += session.scalars(
            select(SurveyResponse.answers)
            .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
            .where(SurveyInvitation.work_order_id.in_(order_ids[part : part + 1000]))
        ).all()
    return answers


def loop_metrics(
    session: Session, actor: Actor, *, start: date, end: date, tz: str, now: datetime
) -> LoopMetrics:
    """The loop counts of the detractor answers submitted from ``start`` to ``end``."""
    require(actor, actor.role.can_read_reports, "read loop metrics")
    lo, hi = _bounds(start, end, tz)
    rows = session.execute(
        select(WorkOrder, SurveyResponse.submitted_at)
        .join(SurveyResponse, SurveyResponse.id == WorkOrder.origin_response_id)
        .where(SurveyResponse.submitted_at >= lo, SurveyResponse.submitted_at < hi)
    ).all()
    closed = [(order, at) for order, at in rows if order.status in _DONE]
    reports = sla_reports(session, [order for order, _ in closed], now=now)
    within = sum(
        1
        for order, _ in closed
        if (report := reports.get(order.id)) is not None
        and report.resolution is not None
        and report.resolution.met_at is not None
        and not report.resolution.breached
    )
    answers = _resurveys(session, [order.id for order, _ in rows])
    return LoopMetrics(
        triggered=len(rows),
        closed=len(closed),
        closed_within_target=within,
        median_business_hours_to_close=_hours_to_close(session, closed),
        resurveyed=len(answers),
        recovered=sum(1 for a in answers if not is_detractor(a)),
    )
