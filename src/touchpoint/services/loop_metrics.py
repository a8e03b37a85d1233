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
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.sla import NO_INSTANT
from touchpoint.domain.sla.vocabulary import Int64Array
from touchpoint.domain.survey_answers import detractor
from touchpoint.domain.time_zones import local_period
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import Actor, require
from touchpoint.services.kpi_facts import current_facts, sla_stamps
from touchpoint.services.sla_clock import (
    NULL_EPOCH,
    compiled_policy,
    epoch_seconds,
    fetch_int_columns,
    fetch_rows,
    replay_batches,
)
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import OrderKpiFacts, SlaCalendarRow, SlaPolicyRow, WorkOrder
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse

__all__ = ["LoopMetrics", "loop_metrics"]

_DONE = [s.value for s in WorkOrderStatus if s.is_done]
#: Recovery orders per query of their re-survey answers (SQLite binds at most 32,766).
_CHUNK = 10_000
#: The columns of a recovery order's row (:func:`_recovery_orders`).
_ID, _CLOSED, _POLICY, _RESOLVED, _ANSWERED, _CURRENT, _RESOLUTION_MINUTES = range(7)


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


def _hours_to_close(session: Session, closed: Int64Array) -> float | None:
    """The median business hours from answer to resolution of the ``closed`` rows
    (:func:`_recovery_orders`): one index per calendar over the span of its orders,
    ``B(resolved) - B(answered)`` as ``between`` counts it (0 when the resolution is not
    after the answer); orders without a policy or a resolution instant are left out."""
    closed = closed[(closed[:, _POLICY] >= 0) & (closed[:, _RESOLVED] != NULL_EPOCH)]
    policies = np.unique(closed[:, _POLICY])
    calendars = _calendars(session, {int(p) for p in policies})
    hours: list[float] = []
    for policy_id in policies.tolist():
        calendar = calendars.get(policy_id)
        if calendar is None:
            continue
        check_deadline()
        mine = closed[closed[:, _POLICY] == policy_id]
        a, b = mine[:, _ANSWERED], mine[:, _RESOLVED]
        index = calendar.index(int(a.min()), int(b.max()))
        seconds = np.where(b > a, index.business_seconds_at(b) - index.business_seconds_at(a), 0)
        hours += (seconds / 3600).tolist()
    return statistics.median(hours) if hours else None


def _replayed_within(session: Session, rows: Int64Array, now: datetime) -> int:
    """How many of ``rows`` (closed, with a policy) met their resolution target (met,
    not breached), replayed together as ``sla_reports`` replays them."""
    if len(rows) == 0:
        return 0
    rows = rows[np.argsort(rows[:, _ID], kind="stable")]
    session.flush()  # as sla_reports: events added in this transaction count
    within = 0
    for batch in replay_batches(session, rows[:, _ID], rows[:, _POLICY], now=now):
        target = batch.report.resolution
        if target is not None:
            within += int(((target.met_at != NO_INSTANT) & ~target.breached).sum())
    return within


def _within_target(session: Session, closed: Int64Array, now: datetime) -> int:
    """The ``closed`` orders whose SLA resolution target was met (met, not breached).

    An order with current stored KPI facts (``services.kpi_facts``) met it when its
    stored resolution minutes (the replay's business minutes used, kept when the target
    was met) are within its policy's resolution target: that is the replay's own test.
    The others (facts missing or behind the order or its policy) are replayed."""
    tracked = closed[closed[:, _POLICY] >= 0]
    stored = tracked[tracked[:, _CURRENT] == 1]
    targets = {
        pid: compiled_policy(session, pid)[2].resolution_minutes
        for pid in np.unique(stored[:, _POLICY]).tolist()
    }
    within = 0
    for pid, minutes in targets.items():
        if minutes is None:
            continue
        used = stored[stored[:, _POLICY] == pid, _RESOLUTION_MINUTES]
        within += int(((used >= 0) & (used <= minutes)).sum())
    check_deadline()
    return within + _replayed_within(session, tracked[tracked[:, _CURRENT] == 0], now)


def _resurveys(
    session: Session, order_ids: Int64Array, lo: datetime, hi: datetime
) -> list[tuple[Any, ...]]:
    """The CSAT and NPS (as the answers keep them) of the return visits of the period's
    recovery orders ``order_ids``, by their invitations. SQLite is asked for the orders'
    invitations by id, in chunks (cheaper than walking the period's responses again);
    PostgreSQL joins from the period's answers (id lists of this size cost it more)."""
    scores = select(SurveyResponse.csat, SurveyResponse.nps).join(
        SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id
    )
    rows: list[tuple[Any, ...]] = []
    if session.get_bind().dialect.name != "sqlite":
        origin = aliased(SurveyResponse)
        rows = fetch_rows(
            session,
            scores.join(WorkOrder, WorkOrder.id == SurveyInvitation.work_order_id)
            .join(origin, origin.id == WorkOrder.origin_response_id)
            .where(origin.submitted_at >= lo, origin.submitted_at < hi),
        )
    else:
        ids = sorted(order_ids.tolist())
        for part in range(0, len(ids), _CHUNK):
            check_deadline()
            chunk = ids[part : part + _CHUNK]
            rows += fetch_rows(session, scores.where(SurveyInvitation.work_order_id.in_(chunk)))
    return rows


def _recovery_orders(session: Session, period: ColumnElement[bool]) -> Int64Array:
    """The period's recovery orders as integer rows: id, closed (1 or
    0), policy (-1 for none), resolution and answer instants (epoch seconds), whether
    its stored KPI facts are current (1 or 0) and their resolution minutes (-1: none)."""
    done = case((WorkOrder.status.in_(_DONE), 1), else_=0)
    current = case((current_facts(sla_stamps(session)), 1), else_=0)
    return fetch_int_columns(
        session,
        select(
            WorkOrder.id,
            done,
            func.coalesce(WorkOrder.policy_id, -1),
            epoch_seconds(session, WorkOrder.resolved_at),
            epoch_seconds(session, SurveyResponse.submitted_at),
            current,
            func.coalesce(OrderKpiFacts.resolution_minutes, -1),
        )
        .join(SurveyResponse, SurveyResponse.id == WorkOrder.origin_response_id)
        .outerjoin(OrderKpiFacts, OrderKpiFacts.work_order_id == WorkOrder.id)
        .where(period),
    )


def loop_metrics(
    session: Session, actor: Actor, *, start: date, end: date, tz: str, now: datetime
) -> LoopMetrics:
    """The loop counts of the detractor answers submitted from ``start`` to ``end``."""
    require(actor, actor.role.can_read_reports, "read loop metrics")
    lo, hi = local_period(start, end, tz)
    period = and_(SurveyResponse.submitted_at >= lo, SurveyResponse.submitted_at < hi)
    rows = _recovery_orders(session, period)
    if len(rows) == 0:
        return LoopMetrics(0, 0, 0, None, 0, 0)
    closed = rows[rows[:, _CLOSED] == 1]
    check_deadline()
    within = _within_target(session, closed, now)
    check_deadline()
    resurveys = _resurveys(session, rows[:, _ID], lo, hi)
    return LoopMetrics(
        triggered=len(rows),
        closed=len(closed),
        closed_within_target=within,
        median_business_hours_to_close=_hours_to_close(session, closed),
        resurveyed=len(resurveys),
        recovered=sum(1 for csat, nps in resurveys if not detractor(csat, nps)),
    )
