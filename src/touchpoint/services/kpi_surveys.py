"""The KPI board's survey columns (issue 23): per team or agent, the return visits of the
period and the loops they opened.

Each survey row keeps what the board needs of its order: an answer the order's agent and
team when it was given (issue 23: "the answer records the order's agent, team…") and its
whole-number CSAT and NPS, an invitation the order's team and agent when it was issued.
So the columns are counted from the survey rows alone, grouped by the team or agent they
recorded (an order transferred later keeps its answers where they were earned), over the
period's survey events, as ``GET /api/loop`` counts its loops by the answers' dates:

``invitations`` counts the return-visit invitations issued in the period (not the
scheduled or skipped ones), ``response_rate`` = those answered / ``invitations``;
``responses`` the return-visit answers given in the period (mailed or by phone); ``csat``
is the share of 4–5 among the answers giving a CSAT; ``nps`` the Net Promoter Score of
those giving an NPS, with its adjusted-Wald 95% interval (Rocks 2016). A group with fewer
than :data:`MIN_ANSWERS` answers shows their count and no score. ``loops`` counts the
recovery orders opened by those answers, ``loops_closed`` those resolved or closed,
``median_hours_to_close`` the median hours from the answer to the recovery order's
resolution.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.survey_answers import DETRACTOR_CSAT, DETRACTOR_NPS
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.quality.csi import nps_from_counts
from touchpoint.services.return_visit_reads import NOT_ISSUED
from touchpoint.services.sla_clock import NULL_EPOCH, epoch_seconds, fetch_int_columns
from touchpoint.services.surveys import InvitationStatus
from touchpoint.storage.models import WorkOrder
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse, SurveyWave

__all__ = ["MIN_ANSWERS", "SurveyKpis", "survey_kpis"]

#: Below this many answers a group shows its count, not a score.
MIN_ANSWERS = 5
_DONE = [s.value for s in WorkOrderStatus if s.is_done]
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


def survey_kpis(
    session: Session, start: datetime, end: datetime, column: str
) -> dict[int | None, SurveyKpis]:
    """The survey columns of ``[start, end)``, grouped by ``column`` (``team_id`` or
    ``assignee_id``: the team or the agent the survey rows recorded).

    Each read groups by wave too, so that it walks one covering index of the survey rows
    (wave, team or agent, …) in order rather than sorting them; the waves are added up
    here."""
    by_team = column == "team_id"
    rv_wave = select(SurveyWave.id).where(SurveyWave.return_visit_month.is_not(None))
    groups: dict[int | None, SurveyKpis] = defaultdict(SurveyKpis)
    inv = SurveyInvitation
    key = inv.team_id if by_team else inv.agent_id
    invited = session.execute(
        select(inv.wave_id, key, inv.status, func.count())
        .where(inv.wave_id.in_(rv_wave), inv.created_at >= start, inv.created_at < end)
        .group_by(inv.wave_id, key, inv.status)
    )
    for _, group, status, n in invited:
        if status not in NOT_ISSUED:
            groups[group].invitations += int(n)
            if status == InvitationStatus.COMPLETED:
                groups[group].answered_invitations += int(n)
    r = SurveyResponse
    answers = (r.wave_id.in_(rv_wave), r.submitted_at >= start, r.submitted_at < end)
    _answers(session, answers, r.team_id if by_team else r.agent_id, groups)
    _loops(session, answers, r.team_id if by_team else r.agent_id, groups)
    return dict(groups)


def _answers(
    session: Session, answers: tuple[Any, ...], key: Any, groups: dict[int | None, SurveyKpis]
) -> None:
    """Counts of each CSAT and NPS value per group."""
    r = SurveyResponse
    rows = session.execute(
        select(r.wave_id, key, r.csat, r.nps, func.count())
        .where(*answers)
        .group_by(r.wave_id, key, r.csat, r.nps)
    )
    for _, group, csat_value, nps_value, n in rows:
        kpis = groups[group]
        kpis.responses += int(n)
        if csat_value is not None:
            kpis.csat_counts[int(csat_value)] = kpis.csat_counts.get(int(csat_value), 0) + int(n)
        if nps_value is not None:
            kpis.nps_counts[int(nps_value)] = kpis.nps_counts.get(int(nps_value), 0) + int(n)


def _loops(
    session: Session, answers: tuple[Any, ...], key: Any, groups: dict[int | None, SurveyKpis]
) -> None:
    """Recovery orders opened by the period's answers, read as integer columns (no Python
    object per value: a year's loops are tens of thousands)."""
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
        .select_from(SurveyResponse)
        .join(recovery, recovery.origin_response_id == SurveyResponse.id)
        # Only a detractor's answer opens a loop: looking up the others' is wasted.
        .where(
            *answers,
            or_(
                SurveyResponse.csat <= DETRACTOR_CSAT,
                SurveyResponse.nps <= DETRACTOR_NPS,
            ),
        ),
    )
    for group, closed, resolved_at, answered_at in rows.tolist():
        kpis = groups[None if group == _NO_GROUP else group]
        kpis.loops += 1
        if closed:
            kpis.loops_closed += 1
            if resolved_at != NULL_EPOCH:
                kpis.hours_to_close.append((resolved_at - answered_at) / 3600)
