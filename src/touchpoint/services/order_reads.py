"""Work-order reads: one order, lists and queues, each with its live SLA report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, false, or_, select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.sla import SlaReport
from touchpoint.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from touchpoint.services.base import Actor
from touchpoint.services.errors import NotFoundError
from touchpoint.services.return_visit_reads import ReturnVisitSurvey, return_visit_of
from touchpoint.services.sla_clock import load_timeline, sla_json, sla_report, sla_reports
from touchpoint.storage.models import WorkOrder, WorkOrderEvent

__all__ = [
    "WorkOrderDetail",
    "can_see",
    "get_work_order",
    "list_work_orders",
    "load_visible",
    "queue",
    "visible_orders",
    "visible_to",
]


@dataclass(frozen=True, slots=True)
class WorkOrderDetail:
    """An order with its SLA report and, on demand, timeline."""

    order: WorkOrder
    report: SlaReport | None
    events: list[WorkOrderEvent] = field(default_factory=list)
    # The order's latest return visit (read for one order's page; None in lists).
    return_visit: ReturnVisitSurvey | None = None

    @property
    def sla(self) -> dict[str, Any] | None:
        """The SLA report as ``sla replay`` prints it (None without a policy)."""
        return sla_json(self.report)


def visible_orders(actor: Actor) -> Select[WorkOrder]:
    """Orders the actor may see: agents see their teams' queues and their own orders."""
    stmt = select(WorkOrder)
    rule = visible_to(actor, WorkOrder.owner_id, WorkOrder.assignee_id, WorkOrder.team_id)
    return stmt if rule is None else stmt.where(rule)


def visible_to(
    actor: Actor,
    owner_id: SQLColumnExpression[int | None],
    assignee_id: SQLColumnExpression[int | None],
    team_id: SQLColumnExpression[int | None],
) -> ColumnElement[bool] | None:
    """The rule of :func:`visible_orders` on any columns holding an order's owner,
    assignee and team (e.g. a copy of them); None when the actor sees every queue."""
    if actor.role.sees_all_queues:
        return None
    if actor.user_id is None:
        return false()
    conds = [owner_id == actor.user_id, assignee_id == actor.user_id]
    if actor.team_ids:
        conds.append(team_id.in_(sorted(actor.team_ids)))
    return or_(*conds)


def can_see(actor: Actor, order: WorkOrder) -> bool:
    """Whether the actor may see the order (the rule of :func:`visible_orders`)."""
    if actor.role.sees_all_queues:
        return True
    return (
        order.owner_id == actor.user_id
        or order.assignee_id == actor.user_id
        or (order.team_id is not None and order.team_id in actor.team_ids)
    )


def load_visible(session: Session, actor: Actor, order_id: int) -> WorkOrder:
    """The order if the actor may see it (NotFoundError otherwise)."""
    order = session.scalars(select(WorkOrder).where(WorkOrder.id == order_id)).first()
    if order is None or not can_see(actor, order):
        raise NotFoundError("work_order", order_id)
    return order


def get_work_order(
    session: Session, actor: Actor, order_id: int, *, now: datetime, with_events: bool = True
) -> WorkOrderDetail:
    """One order with its live SLA report and timeline."""
    order = load_visible(session, actor, order_id)
    events = load_timeline(session, order.id) if with_events else []
    report = sla_report(session, order, now=now)
    return WorkOrderDetail(order, report, events, return_visit_of(session, order.id))


def list_work_orders(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    status: WorkOrderStatus | None = None,
    open_only: bool = False,
    customer_id: int | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    incident_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    recovery_of: int | None = None,
    type: WorkOrderType | None = None,
    created: tuple[datetime | None, datetime | None] = (None, None),
) -> list[WorkOrderDetail]:
    """Visible orders, newest first, each with its live SLA report (``created``: opened
    at or after its first instant and before its second, either left open)."""
    if not 1 <= limit <= 1000:
        raise DomainError(f"limit: {limit} must lie between 1 and 1000")
    if offset < 0:
        raise DomainError(f"offset: {offset} must not be negative")
    stmt = visible_orders(actor)
    if status is not None:
        stmt = stmt.where(WorkOrder.status == status.value)
    if open_only:
        done = [WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value]
        stmt = stmt.where(WorkOrder.status.not_in(done))
    if type is not None:
        stmt = stmt.where(WorkOrder.type == type.value)
    if created[0] is not None:
        stmt = stmt.where(WorkOrder.created_at >= created[0])
    if created[1] is not None:
        stmt = stmt.where(WorkOrder.created_at < created[1])
    for column, wanted in (
        (WorkOrder.customer_id, customer_id),
        (WorkOrder.team_id, team_id),
        (WorkOrder.assignee_id, assignee_id),
        (WorkOrder.incident_id, incident_id),
        (WorkOrder.recovery_of, recovery_of),
    ):
        if wanted is not None:
            stmt = stmt.where(column == wanted)
    orders = list(
        session.scalars(
            stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    reports = sla_reports(session, orders, now=now)
    return [WorkOrderDetail(o, reports[o.id]) for o in orders]


def queue(
    session: Session, actor: Actor, *, now: datetime, limit: int = 200
) -> list[WorkOrderDetail]:
    """The actor's queue: open orders of its teams (all teams for supervisors), most
    urgent first: earliest next escalation, then priority, then age."""
    details = list_work_orders(session, actor, now=now, open_only=True, limit=min(limit, 1000))
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def key(d: WorkOrderDetail) -> tuple[datetime, int, datetime]:
        esc = d.report.next_escalation_at if d.report is not None else None
        return (esc or far, -Priority(d.order.priority).rank, d.order.created_at)

    return sorted(details, key=key)
