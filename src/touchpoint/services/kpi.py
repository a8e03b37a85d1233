"""The supervisor's KPI board per team and agent over a period (DOMAIN.md §3.5, §5).

Times come from the SLA clock's replay (business minutes); first-contact resolution
means resolved without reopen, without transfer and without a further customer message
after creation. Transfers are read from the order's own history: the audit rows of its
explicit assignments (``work_order.assign``; the timeline records no assignee), judged
by :func:`touchpoint.domain.kpi.was_transferred`. The current assignee says nothing:
resolving a mass incident makes the supervisor the assignee of unassigned orders, and
an order sent away and back ends with its owner again.

Scale: each order's facts are stored (``services.kpi_facts``, kept current by the desk
clock's sweep), with its team and assignee, so the board counts the facts rows of its
period from one index without reading the orders (``services.kpi_tallies``: counts,
sums and histograms of whole minutes, from which the means and medians are exact), then
takes back the rows of the orders the database lists as changed since (or computed
under an outdated SLA policy or calendar) and replays those orders,
:data:`CHUNK_ORDERS` at a time with the request's deadline checked between chunks. The
board is the same whichever orders the sweep has reached; only its time differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.kpi import KpiSummary, KpiTally, Shift, shift_of
from touchpoint.domain.time_zones import report_zone
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import Actor, require
from touchpoint.services.kpi_surveys import SurveyKpis, survey_kpis
from touchpoint.services.kpi_tallies import period_tallies
from touchpoint.services.work_orders import visible_orders
from touchpoint.storage.models import Contact, Incident, Team, User, WorkOrder

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
    # Return visits and loops of the group's orders (``services.kpi_surveys``).
    surveys: SurveyKpis = field(default_factory=SurveyKpis)


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
    surveys: SurveyKpis = field(default_factory=SurveyKpis)


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
    zone = report_zone(tz)
    column = "team_id" if group_by is GroupBy.TEAM else "assignee_id"
    groups = period_tallies(
        session, actor, column, created=(start, end), at=min(end, now), chunk=CHUNK_ORDERS
    )
    overall = KpiTally()
    for tally in groups.values():
        overall.add_tally(tally)
    survey_groups = survey_kpis(session, start, end, column)
    surveys_overall = SurveyKpis()
    for survey_group in survey_groups.values():
        surveys_overall.add(survey_group)
    backlog, breached = _backlog_now(session, actor)
    opened, still_open = _incident_counts(session, start, end)
    # The hostile loads name agents whatever the rows are: read the agents' names once.
    agents = _labels(session, GroupBy.AGENT)
    labels = agents if group_by is GroupBy.AGENT else _labels(session, GroupBy.TEAM)
    return KpiBoard(
        start=start,
        end=end,
        group_by=group_by,
        overall=overall.summary(),
        rows=_group_rows(groups, labels, survey_groups),
        backlog_now=backlog,
        breached_now=breached,
        incidents_opened=opened,
        incidents_open=still_open,
        hostile=_hostile_loads(session, start, end, zone, agents),
        surveys=surveys_overall,
    )


#: Orders without current stored facts replayed at a time: the board holds one chunk of
#: orders (with their timelines) besides the tallies, never the whole period as objects.
CHUNK_ORDERS = 5000


def _group_rows(
    groups: dict[int | None, KpiTally],
    labels: dict[int | None, str],
    surveys: dict[int | None, SurveyKpis],
) -> list[KpiRow]:
    """One row per team or per current assignee (``labels``: their names), ordered by
    id with the orders of no team / no assignee last (labelled "—"); a team or agent with
    return visits in the period but no order of it has a row too (no order counted)."""
    keys = sorted(groups.keys() | surveys.keys(), key=lambda k: (k is None, k or 0))
    return [
        KpiRow(
            k,
            labels.get(k, "—") if k is not None else "—",
            groups.get(k, KpiTally()).summary(),
            surveys.get(k, SurveyKpis()),
        )
        for k in keys
    ]


def _backlog_now(session: Session, actor: Actor) -> tuple[int, int]:
    """The orders the actor sees that are still open now, and how many of them have
    breached an SLA target: the desk's state today, whatever the board's period.

    Counted one open status at a time: the status index then finds the few open orders,
    where "not resolved or closed", or a list of five statuses, looks to SQLite's
    planner (which knows orders per status only on average) like most of the table."""
    done = {WorkOrderStatus.RESOLVED, WorkOrderStatus.CLOSED}
    backlog = breached = 0
    for status in sorted(s.value for s in WorkOrderStatus if s not in done):
        n, late = session.execute(
            visible_orders(actor)
            .where(WorkOrder.status == status)
            .with_only_columns(
                func.count(), func.sum(case((WorkOrder.sla_breached.is_(True), 1), else_=0))
            )
        ).one()
        backlog += int(n or 0)
        breached += int(late or 0)
    return backlog, breached


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
    session: Session,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    names: dict[int | None, str],
) -> list[HostileLoad]:
    """Hostile contacts in ``[start, end)`` per agent (``names``: the agents' names) and
    shift, the shift read on the desk's local clock ``zone``: the emotional-labour load
    a supervisor spreads out. Heaviest first, then by agent id."""
    hostile: dict[tuple[int | None, Shift], int] = {}
    for agent_id, contact_at in session.execute(
        select(Contact.agent_id, Contact.at).where(
            Contact.hostile.is_(True), Contact.at >= start, Contact.at < end
        )
    ):
        hkey = (agent_id, shift_of(contact_at.astimezone(zone)))
        hostile[hkey] = hostile.get(hkey, 0) + 1
    return [
        HostileLoad(a, names.get(a, "—") if a is not None else "—", s, n)
        for (a, s), n in sorted(hostile.items(), key=lambda kv: (-kv[1], kv[0][0] or 0))
    ]


def _labels(session: Session, group_by: GroupBy) -> dict[int | None, str]:
    """Names by id of the teams or of the agents (their columns only, no entities)."""
    if group_by is GroupBy.TEAM:
        return {tid: name for tid, name in session.execute(select(Team.id, Team.name))}
    users = session.execute(select(User.id, User.display_name, User.username))
    return {uid: display or username for uid, display, username in users}
