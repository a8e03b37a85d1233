"""The outer loop (Medallia's: fix the cause, not only the customer): the coded list of
complaint causes supervisors keep, and complaints and detractor loops counted by cause,
team and month, with repeat complainants.

A complaint's cause is its recovery's coded cause (``None``: not coded yet). A repeat
complainant is a customer whose complaint follows another of theirs within
:data:`REPEAT_DAYS` days; it is counted in the month of the later complaint.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError, empty_field
from touchpoint.domain.time_zones import local_period
from touchpoint.domain.work_orders import WorkOrderType
from touchpoint.services.base import Actor, check_version, get_or_404, require, snapshot, write
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import ComplaintCause, Recovery, WorkOrder

__all__ = [
    "REPEAT_DAYS",
    "OuterLoopRow",
    "create_cause",
    "list_causes",
    "outer_loop",
    "update_cause",
]

REPEAT_DAYS = 90
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CHUNK = 50_000


def _labels(label_zh: str, label_en: str) -> tuple[str, str]:
    if not label_zh.strip():
        raise empty_field("label_zh")
    if not label_en.strip():
        raise empty_field("label_en")
    return label_zh.strip(), label_en.strip()


def create_cause(
    session: Session, actor: Actor, *, code: str, label_zh: str, label_en: str, now: datetime
) -> ComplaintCause:
    """Add a cause to the list (``code``: lower-case letters, digits, underscores)."""
    require(actor, actor.role.can_supervise, "keep the complaint causes")
    if not _CODE.match(code):
        raise DomainError(f"code: {code!r} must be lower-case letters, digits or _ (1-40)")
    zh, en = _labels(label_zh, label_en)
    with write(session, actor, "complaint_cause.create", now=now) as unit:
        cause = ComplaintCause(code=code, label_zh=zh, label_en=en, active=True, created_at=now)
        session.add(cause)
        session.flush()
        unit.audit("complaint_cause", cause.id, before=None, after=snapshot(cause))
    return cause


def update_cause(
    session: Session,
    actor: Actor,
    cause_id: int,
    *,
    label_zh: str,
    label_en: str,
    active: bool,
    version: int | None,
    now: datetime,
) -> ComplaintCause:
    """Reword a cause or retire it (a retired cause codes no new recovery; the ones it
    coded keep it)."""
    require(actor, actor.role.can_supervise, "keep the complaint causes")
    zh, en = _labels(label_zh, label_en)
    with write(session, actor, "complaint_cause.update", now=now) as unit:
        cause = get_or_404(session, ComplaintCause, cause_id)
        check_version("complaint_cause", cause_id, cause.version, version)
        before = snapshot(cause)
        cause.label_zh, cause.label_en, cause.active = zh, en, active
        session.flush()
        unit.audit("complaint_cause", cause.id, before=before, after=snapshot(cause))
    return cause


def list_causes(session: Session, *, active_only: bool = False) -> list[ComplaintCause]:
    """The causes, by code."""
    query = select(ComplaintCause).order_by(ComplaintCause.code)
    if active_only:
        query = query.where(ComplaintCause.active.is_(True))
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class OuterLoopRow:
    """Complaints of one cause, team and month (local month ``YYYY-MM``)."""

    month: str
    cause: str | None
    team_id: int | None
    complaints: int
    detractor_loops: int
    repeat_complainants: int


def outer_loop(
    session: Session, actor: Actor, *, start: date, end: date, tz: str
) -> list[OuterLoopRow]:
    """Complaints opened from ``start`` to ``end`` (local dates, inclusive) by cause, team
    and month: how many, how many were detractor loops (opened by a survey answer), and
    how many came from a customer who had complained within the 90 days before."""
    require(actor, actor.role.can_read_reports, "read the outer loop")
    lo, hi = local_period(start, end, tz)
    zone = lo.tzinfo
    query = (
        select(
            WorkOrder.id,
            WorkOrder.customer_id,
            WorkOrder.team_id,
            WorkOrder.created_at,
            WorkOrder.origin_response_id,
            ComplaintCause.code,
        )
        .outerjoin(Recovery, Recovery.work_order_id == WorkOrder.id)
        .outerjoin(ComplaintCause, ComplaintCause.id == Recovery.cause_id)
        .where(
            WorkOrder.type == WorkOrderType.COMPLAINT.value,
            WorkOrder.created_at >= lo - timedelta(days=REPEAT_DAYS),
            WorkOrder.created_at < hi,
        )
        .order_by(WorkOrder.customer_id, WorkOrder.created_at)
        .execution_options(yield_per=_CHUNK)
    )
    counts: Counter[tuple[str, str | None, int | None, str]] = Counter()
    last_complaint: dict[int, datetime] = {}
    for part in session.execute(query).partitions():
        check_deadline()
        for _id, customer_id, team_id, created, origin, code in part:
            previous = last_complaint.get(customer_id)
            last_complaint[customer_id] = created
            if created < lo:
                continue
            key = (created.astimezone(zone).strftime("%Y-%m"), code, team_id)
            counts[(*key, "complaints")] += 1
            if origin is not None:
                counts[(*key, "loops")] += 1
            if previous is not None and created - previous <= timedelta(days=REPEAT_DAYS):
                counts[(*key, "repeat")] += 1
    keys = sorted(
        {k[:3] for k in counts},
        key=lambda k: (k[0], k[1] or "", k[2] if k[2] is not None else -1),
    )
    return [
        OuterLoopRow(
            month=month,
            cause=cause,
            team_id=team_id,
            complaints=counts[(month, cause, team_id, "complaints")],
            detractor_loops=counts[(month, cause, team_id, "loops")],
            repeat_complainants=counts[(month, cause, team_id, "repeat")],
        )
        for month, cause, team_id in keys
    ]
