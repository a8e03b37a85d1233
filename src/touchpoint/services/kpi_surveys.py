"""The KPI board's survey columns (issue 23): per team or agent, the return visits of the
period's orders and the loops they opened.

For the orders created in the period (grouped as the board groups them: by team or by
current assignee): ``invitations`` counts their issued return-visit invitations (not the
scheduled or skipped ones), ``responses`` the return-visit answers about them (mailed or
by phone), ``response_rate`` = answers to invitations / invitations; ``csat`` is the share
of 4–5 among the answers giving a CSAT; ``nps`` the Net Promoter Score of those giving an
NPS, with its adjusted-Wald 95% interval (Rocks 2016). A group with fewer than
:data:`MIN_ANSWERS` answers shows their count and no score. ``loops`` counts the recovery
orders opened by answers about the group's orders, ``loops_closed`` those resolved or
closed, ``median_hours_to_close`` the median hours from the answer to the recovery
order's resolution.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, select, true
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.quality.csi import nps_from_counts
from touchpoint.services.return_visit_reads import ReturnVisitStatus
from touchpoint.services.sla_clock import NULL_EPOCH, epoch_seconds, fetch_int_columns
from touchpoint.storage.models import WorkOrder
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse, SurveyWave

__all__ = ["MIN_ANSWERS", "SurveyKpis", "survey_kpis"]

#: Below this many answers a group shows its count, not a score.
MIN_ANSWERS = 5
_DONE = [s.value for s in WorkOrderStatus if s.is_done]
_NOT_ISSUED = [ReturnVisitStatus.SCHEDULED.value, ReturnVisitStatus.SKIPPED.value]
_NO_GROUP = -1  # an order of no team (or no assignee), as an integer column


@dataclass
class SurveyKpis:
    """One group's survey columns (scores None below :data:`MIN_ANSWERS` answers)."""

    invitations: int = 0
    answered_invitations: int = 0
    responses: int = 0
    csat_counts: dict[int, int] = field(default_factory=dict)
    nps_counts: dict[int, int] = field(default_factory=dict)
    loops: int = 0
    loops_closed: int = 0
    hours_to_close: list[float] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        """Enough answers for a score."""
        return self.responses >= MIN_ANSWERS

    @property
    def response_rate(self) -> float | None:
        """Answered invitations over issued ones."""
        return self.answered_invitations / self.invitations if self.invitations else None

    @property
    def csat(self) -> float | None:
        """Share of 4–5 among the CSAT answers (None below the minimum)."""
        n = sum(self.csat_counts.values())
        if n < MIN_ANSWERS:
            return None
        return sum(c for v, c in self.csat_counts.items() if v >= 4) / n

    @property
    def nps(self) -> tuple[float, float, float] | None:
        """NPS and its 95% interval (None below the minimum)."""
        n = sum(self.nps_counts.values())
        if n < MIN_ANSWERS:
            return None
        promoters = sum(c for v, c in self.nps_counts.items() if v >= 9)
        detractors = sum(c for v, c in self.nps_counts.items() if v <= 6)
        score = nps_from_counts(promoters, n - promoters - detractors, detractors)
        if score.nps is None or score.ci95 is None:
            return None
        return score.nps, score.ci95[0], score.ci95[1]

    @property
    def median_hours_to_close(self) -> float | None:
        """Median hours from the answer to the recovery order's resolution."""
        return statistics.median(self.hours_to_close) if self.hours_to_close else None

    def add(self, other: SurveyKpis) -> None:
        """Add another group's counts (for the board's overall row)."""
        self.invitations += other.invitations
        self.answered_invitations += other.answered_invitations
        self.responses += other.responses
        for mine, theirs in (
            (self.csat_counts, other.csat_counts),
            (self.nps_counts, other.nps_counts),
        ):
            for value, count in theirs.items():
                mine[value] = mine.get(value, 0) + count
        self.loops += other.loops
        self.loops_closed += other.loops_closed
        self.hours_to_close += other.hours_to_close


def _key(column: str) -> Any:
    return WorkOrder.team_id if column == "team_id" else WorkOrder.assignee_id


def survey_kpis(session: Session, period: Select[Any], column: str) -> dict[int | None, SurveyKpis]:
    """The survey columns of the orders of ``period`` (a select of visible orders),
    grouped by ``column`` (``team_id`` or ``assignee_id``)."""
    # The period's conditions on the joined order (not ``id IN (the period's orders)``,
    # which reads the period twice).
    orders = period.whereclause if period.whereclause is not None else true()
    key = _key(column)
    rv_wave = select(SurveyWave.id).where(SurveyWave.return_visit_month.is_not(None))
    groups: dict[int | None, SurveyKpis] = defaultdict(SurveyKpis)
    invited = session.execute(
        select(key, func.count(), func.count(SurveyResponse.id))
        .select_from(SurveyInvitation)
        .join(WorkOrder, WorkOrder.id == SurveyInvitation.work_order_id)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(
            orders,
            SurveyInvitation.wave_id.in_(rv_wave),
            SurveyInvitation.status.not_in(_NOT_ISSUED),
        )
        .group_by(key)
    )
    for group, n, answered in invited:
        groups[group].invitations, groups[group].answered_invitations = int(n), int(answered)
    _answers(session, orders, rv_wave, key, groups)
    _loops(session, orders, key, groups)
    return dict(groups)


def _answers(
    session: Session, orders: Any, rv_wave: Any, key: Any, groups: dict[int | None, SurveyKpis]
) -> None:
    """Counts of each CSAT and NPS value per group (values picked out by the database)."""
    csat = SurveyResponse.answers["CSAT"].as_integer()
    nps = SurveyResponse.answers["NPS"].as_integer()
    rows = session.execute(
        select(key, csat, nps, func.count())
        .select_from(SurveyResponse)
        .join(WorkOrder, WorkOrder.id == SurveyResponse.work_order_id)
        .where(orders, SurveyResponse.wave_id.in_(rv_wave))
        .group_by(key, csat, nps)
    )
    for group, csat_value, nps_value, n in rows:
        kpis = groups[group]
        kpis.responses += int(n)
        if csat_value is not None:
            kpis.csat_counts[int(csat_value)] = kpis.csat_counts.get(int(csat_value), 0) + int(n)
        if nps_value is not None:
            kpis.nps_counts[int(nps_value)] = kpis.nps_counts.get(int(nps_value), 0) + int(n)


def _loops(session: Session, orders: Any, key: Any, groups: dict[int | None, SurveyKpis]) -> None:
    """Recovery orders opened by answers about the group's orders, read as integer
    columns (no Python object per value: a year's loops are tens of thousands)."""
    recovery = aliased(WorkOrder)
    done = case((recovery.status.in_(_DONE), 1), else_=0)
    rows = fetch_int_columns(
        session,
        select(
            func.coalesce(key, _NO_GROUP),
            done,
            epoch_seconds(session, recovery.resolved_at),
            epoch_seconds(session, SurveyResponse.submitted_at),
        )
        .select_from(recovery)
        .join(WorkOrder, WorkOrder.id == recovery.recovery_of)
        .join(SurveyResponse, SurveyResponse.id == recovery.origin_response_id)
        .where(orders, recovery.origin_response_id.is_not(None)),
    )
    for group, closed, resolved_at, answered_at in rows.tolist():
        kpis = groups[None if group == _NO_GROUP else group]
        kpis.loops += 1
        if closed:
            kpis.loops_closed += 1
            if resolved_at != NULL_EPOCH:
                kpis.hours_to_close.append((resolved_at - answered_at) / 3600)
