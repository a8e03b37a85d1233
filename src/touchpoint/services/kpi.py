"""The supervisor's KPI board per team and agent over a period (DOMAIN.md §3.5, §5).

Times come from the SLA clock's replay (business minutes); first-contact resolution
means resolved without reopen, without transfer and without a further customer message
after creation. Transfers are read from the order's own history: the audit rows of its
explicit assignments (``work_order.assign``; the timeline records no assignee), judged
by :func:`touchpoint.domain.kpi.was_transferred`. The current assignee says nothing:
resolving a mass incident makes the supervisor the assignee of unassigned orders, and
an order sent away and back ends with its owner again.

Scale: the period is read :data:`CHUNK_ORDERS` orders at a time, so memory holds one
chunk of orders and timelines plus one small ``OrderFacts`` per order of the period (the
medians need every value), and the request's deadline is checked between chunks. Every
order of the period is still read and its SLA replayed: a year at a large desk costs
time in proportion to its orders and meets the request's time limit (503) rather than
exhausting memory. Answering a year in well under a second needs each order's facts
stored as it changes (or counted in SQL from cached columns), which this module does
not do yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.kpi import (
    Assignment,
    KpiSummary,
    OrderFacts,
    Shift,
    shift_of,
    summarise,
    was_transferred,
)
from touchpoint.domain.sla import SlaReport
from touchpoint.domain.work_orders import Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.base import Actor, require
from touchpoint.services.sla_clock import sla_reports
from touchpoint.services.work_orders import visible_orders
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import (
    AuditEntry,
    Contact,
    Incident,
    Team,
    User,
    WorkOrder,
    WorkOrderEvent,
)

__all__ = ["CHUNK_ORDERS", "GroupBy", "HostileLoad", "KpiBoard", "KpiRow", "kpi_board"]


class GroupBy(StrEnum):
    """Rows of the board: one per team or one per agent (current assignee)."""

    TEAM = "team"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class KpiRow:
    """KPIs of one team or agent (``key`` None: unassigned / no team)."""

    key: int | None
    label: str
    kpis: KpiSummary


@dataclass(frozen=True, slots=True)
class HostileLoad:
    """Hostile contacts one agent took in one shift (emotional-labour load)."""

    agent_id: int | None
    agent: str
    shift: Shift
    hostile_contacts: int


@dataclass(frozen=True, slots=True)
class KpiBoard:
    """The whole board for ``[start, end)``."""

    start: datetime
    end: datetime
    group_by: GroupBy
    overall: KpiSummary
    rows: list[KpiRow]
    backlog_now: int
    breached_now: int
    incidents_opened: int
    incidents_open: int
    hostile: list[HostileLoad]


def _facts(
    order: WorkOrder, report: SlaReport | None, follow_ups: int, transferred: bool
) -> OrderFacts:
    targets = []
    if report is not None:
        targets = [
            t
            for t in (report.first_response, report.next_update, report.resolution)
            if t is not None
        ]
    tracked = [t for t in targets if t.breached or t.used_minutes is not None or t.due_at]
    done = WorkOrderStatus(order.status).is_done
    fr = report.first_response if report is not None else None
    res = report.resolution if report is not None else None
    return OrderFacts(
        order_id=order.id,
        is_complaint=WorkOrderType(order.type).is_complaint,
        resolved=done,
        reopened=order.reopen_count > 0,
        first_contact_resolution=(
            done and order.reopen_count == 0 and not transferred and follow_ups == 0
        ),
        first_response_minutes=fr.used_minutes if fr is not None and fr.met_at else None,
        resolution_minutes=res.used_minutes if res is not None and res.met_at else None,
        targets_tracked=len(tracked),
        targets_breached=sum(1 for t in tracked if t.breached),
    )


def kpi_board(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    group_by: GroupBy = GroupBy.TEAM,
    tz: str = "Asia/Shanghai",
) -> KpiBoard:
    """KPIs of orders created in ``[start, end)``, replayed at ``min(end, now)``; shifts of
    hostile contacts are read on the local clock of ``tz``."""
    require(actor, actor.role.can_read_reports, "read the KPI board")
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError("start/end: instants need a time-zone offset")
    if end <= start:
        raise DomainError(f"end: {end.isoformat()} must be after start {start.isoformat()}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"tz: {tz!r} is not a known time zone") from None
    period = visible_orders(actor).where(WorkOrder.created_at >= start, WorkOrder.created_at < end)
    groups = _period_facts(session, period, group_by, at=min(end, now))
    backlog, breached = _backlog_now(session, actor)
    opened, still_open = _incident_counts(session, start, end)
    return KpiBoard(
        start=start,
        end=end,
        group_by=group_by,
        overall=summarise(f for facts in groups.values() for f in facts),
        rows=_group_rows(session, groups, group_by),
        backlog_now=backlog,
        breached_now=breached,
        incidents_opened=opened,
        incidents_open=still_open,
        hostile=_hostile_loads(session, start, end, zone),
    )


#: Orders read, replayed and reduced to their facts at a time: the board holds one chunk
#: of orders (with their timelines) and the small facts of those done, never the whole
#: period as objects.
CHUNK_ORDERS = 5000


def _period_facts(
    session: Session, period: Select[WorkOrder], group_by: GroupBy, *, at: datetime
) -> dict[int | None, list[OrderFacts]]:
    """The KPI facts of every order in ``period`` by team or assignee (``group_by``),
    read :data:`CHUNK_ORDERS` orders at a time in id order (``_chunk_facts``).

    Between chunks the request's deadline is checked (``storage.deadline``): the SLA
    replay of a chunk runs in Python, where no database can stop it, so a board too
    large for the request's time limit stops after the chunk at hand."""
    groups: dict[int | None, list[OrderFacts]] = {}
    after = 0
    while True:
        check_deadline()
        chunk = list(
            session.scalars(
                period.where(WorkOrder.id > after).order_by(WorkOrder.id).limit(CHUNK_ORDERS)
            )
        )
        if not chunk:
            return groups
        # The chunk's orders as a query (its id range within the period), for the
        # follow-up and assignment counts.
        ids = period.where(WorkOrder.id >= chunk[0].id, WorkOrder.id <= chunk[-1].id)
        facts = _chunk_facts(session, chunk, ids, at=at)
        for o in chunk:
            key = o.team_id if group_by is GroupBy.TEAM else o.assignee_id
            groups.setdefault(key, []).append(facts[o.id])
        after = chunk[-1].id


def _chunk_facts(
    session: Session, orders: list[WorkOrder], period: Select[WorkOrder], *, at: datetime
) -> dict[int, OrderFacts]:
    """Each order's KPI facts by id: its SLA report replayed at ``at``, its customer's
    follow-up messages and whether it was transferred (both read for all of ``period``,
    which holds ``orders``, in one query each)."""
    reports = sla_reports(session, orders, now=at)
    follow = _customer_messages(session, period)
    moves = _assignments(session, period)
    return {
        o.id: _facts(
            o,
            reports[o.id],
            follow.get(o.id, 0),
            was_transferred(o.owner_id, moves.get(o.id, [])),
        )
        for o in orders
    }


def _customer_messages(session: Session, period: Select[WorkOrder]) -> dict[int, int]:
    """How many customer messages each order in ``period`` holds (orders without one are
    absent): a customer who has to write again was not helped at first contact."""
    follow: dict[int, int] = {}
    for oid, n in session.execute(
        select(WorkOrderEvent.work_order_id, func.count())
        .where(
            WorkOrderEvent.work_order_id.in_(period.with_only_columns(WorkOrder.id)),
            WorkOrderEvent.type == "customer_message",
        )
        .group_by(WorkOrderEvent.work_order_id)
    ):
        follow[oid] = int(n)
    return follow


def _group_rows(
    session: Session, groups: dict[int | None, list[OrderFacts]], group_by: GroupBy
) -> list[KpiRow]:
    """One row per team or per current assignee, ordered by id with the orders of no
    team / no assignee last (labelled "—")."""
    labels = _labels(session, group_by)
    return [
        KpiRow(k, labels.get(k, "—") if k is not None else "—", summarise(v))
        for k, v in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]


def _backlog_now(session: Session, actor: Actor) -> tuple[int, int]:
    """The orders the actor sees that are still open now, and how many of them have
    breached an SLA target: the desk's state today, whatever the board's period."""
    done = [WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value]
    backlog = session.scalar(
        visible_orders(actor).where(WorkOrder.status.not_in(done)).with_only_columns(func.count())
    )
    breached = session.scalar(
        visible_orders(actor)
        .where(WorkOrder.status.not_in(done), WorkOrder.sla_breached.is_(True))
        .with_only_columns(func.count())
    )
    return int(backlog or 0), int(breached or 0)


def _incident_counts(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """Mass incidents opened in ``[start, end)``, and those open now."""
    opened = session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(Incident.opened_at >= start, Incident.opened_at < end)
    )
    still_open = session.scalar(
        select(func.count()).select_from(Incident).where(Incident.status == "open")
    )
    return int(opened or 0), int(still_open or 0)


def _hostile_loads(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo
) -> list[HostileLoad]:
    """Hostile contacts in ``[start, end)`` per agent and shift, the shift read on the
    desk's local clock ``zone``: the emotional-labour load a supervisor spreads out.
    Heaviest first, then by agent id."""
    hostile: dict[tuple[int | None, Shift], int] = {}
    for agent_id, contact_at in session.execute(
        select(Contact.agent_id, Contact.at).where(
            Contact.hostile.is_(True), Contact.at >= start, Contact.at < end
        )
    ):
        hkey = (agent_id, shift_of(contact_at.astimezone(zone)))
        hostile[hkey] = hostile.get(hkey, 0) + 1
    names = _labels(session, GroupBy.AGENT)
    return [
        HostileLoad(a, names.get(a, "—") if a is not None else "—", s, n)
        for (a, s), n in sorted(hostile.items(), key=lambda kv: (-kv[1], kv[0][0] or 0))
    ]


def _assignments(session: Session, period: Select[WorkOrder]) -> dict[int, list[Assignment]]:
    """The explicit assignments of every order in ``period``, oldest first, in one query.

    ``assign_work_order`` writes a timeline event only when a ``new`` order becomes
    ``assigned``, and that event names no assignee, so the assignments are read from the
    write's audit row (before/after snapshots of the order), fields picked out in SQL.
    """
    before, after = AuditEntry.before, AuditEntry.after
    rows = session.execute(
        select(
            AuditEntry.entity_id,
            before["assignee_id"].as_integer(),
            after["assignee_id"].as_integer(),
            before["team_id"].as_integer(),
            after["team_id"].as_integer(),
            before["tier"].as_string(),
            after["tier"].as_string(),
        )
        .where(
            AuditEntry.action == "work_order.assign",
            AuditEntry.entity == "work_order",
            AuditEntry.entity_id.in_(period.with_only_columns(cast(WorkOrder.id, String))),
        )
        .order_by(AuditEntry.id)  # writes are serialised: ids follow the order's history
    )
    out: dict[int, list[Assignment]] = {}
    for oid, who_b, who_a, team_b, team_a, tier_b, tier_a in rows:
        out.setdefault(int(oid), []).append(
            Assignment(who_b, who_a, team_b, team_a, Tier(tier_b), Tier(tier_a))
        )
    return out


def _labels(session: Session, group_by: GroupBy) -> dict[int | None, str]:
    if group_by is GroupBy.TEAM:
        return {t.id: t.name for t in session.scalars(select(Team))}
    return {u.id: u.display_name or u.username for u in session.scalars(select(User))}
