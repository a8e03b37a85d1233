"""Gaps 3 and 4 of the five-gap report from the desk (DOMAIN.md §3.2): compliance with
the standards' SLA metrics, and each pledge's promise against what was delivered, over
the orders created in a period.

Both come from one replay of the period's orders by the SLA clock
(``services.sla_clock.sla_reports``, at ``min(end, now)``, :data:`CHUNK` orders at a
time with the request's deadline checked between chunks), read as the KPI board reads
it (``domain.kpi.standing_facts``): a target is tracked when it is breached, has a
completed span or has a due instant; it is met when tracked and not breached at that
instant; minutes to first response or resolution are the business minutes used when
the target was met (so a pledge's delivered values are those of the orders that got
their response or resolution; an order still waiting is not in the distribution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from touchpoint.domain.sla import SlaReport, TargetReport
from touchpoint.services.base import Actor
from touchpoint.services.kpi_facts import load_orders
from touchpoint.services.order_reads import visible_orders
from touchpoint.services.sla_clock import sla_reports
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.gap_models import ServicePledge
from touchpoint.storage.models import WorkOrder

__all__ = ["CHUNK", "DeskDelivery", "TargetCount", "desk_delivery"]

#: Orders replayed at a time.
CHUNK: Final = 5000


@dataclass(slots=True)
class TargetCount:
    """How many of the period's orders track an SLA target, and how many met it."""

    tracked: int = 0
    met: int = 0


@dataclass(frozen=True, slots=True)
class DeskDelivery:
    """The period's SLA counts by target name and each pledge's delivered values (business
    minutes of the orders its filter takes that got a response or resolution)."""

    orders: int
    targets: dict[str, TargetCount] = field(default_factory=dict)
    delivered: dict[int, list[int]] = field(default_factory=dict)


def _tracked(target: TargetReport) -> bool:
    return target.breached or target.used_minutes is not None or target.due_at is not None


def _minutes(report: SlaReport | None, metric: str) -> int | None:
    """An order's business minutes to its first response or resolution (None: not yet)."""
    if report is None:
        return None
    target = report.first_response if metric == "first_response_minutes" else report.resolution
    if target is None or target.met_at is None:
        return None
    return target.used_minutes


def _takes(pledge: ServicePledge, order: WorkOrder) -> bool:
    return (
        (pledge.order_type is None or order.type == pledge.order_type)
        and (pledge.channel is None or order.channel == pledge.channel)
        and (pledge.team_id is None or order.team_id == pledge.team_id)
    )


def desk_delivery(
    session: Session,
    actor: Actor,
    pledges: Sequence[ServicePledge],
    *,
    start: datetime,
    end: datetime,
    at: datetime,
) -> DeskDelivery:
    """Count the SLA targets met and collect each pledge's delivered minutes, for the
    orders the actor sees that were created in ``[start, end)``, replayed at ``at``."""
    ids = list(
        session.scalars(
            visible_orders(actor)
            .where(WorkOrder.created_at >= start, WorkOrder.created_at < end)
            .with_only_columns(WorkOrder.id)
            .order_by(WorkOrder.id)
        )
    )
    targets: dict[str, TargetCount] = {}
    delivered: dict[int, list[int]] = {p.id: [] for p in pledges}
    for i in range(0, len(ids), CHUNK):
        check_deadline()
        orders = load_orders(session, ids[i : i + CHUNK])
        reports = sla_reports(session, orders, now=at)
        for order in orders:
            report = reports[order.id]
            if report is not None:
                for name, target in report.targets.items():
                    if _tracked(target):
                        count = targets.setdefault(name, TargetCount())
                        count.tracked += 1
                        count.met += not target.breached
            for pledge in pledges:
                minutes = _minutes(report, pledge.metric)
                if minutes is not None and _takes(pledge, order):
                    delivered[pledge.id].append(minutes)
    return DeskDelivery(orders=len(ids), targets=targets, delivered=delivered)
