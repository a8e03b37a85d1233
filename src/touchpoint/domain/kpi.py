"""Service KPIs from per-order facts (DOMAIN.md §3.5): pure arithmetic, no I/O.

First-response and resolution times are business minutes taken from the SLA clock.
SLA compliance counts each tracked target of each order as one opportunity and each
breached target as one defect; the sigma level is ``Φ⁻¹(1 − DPMO/10⁶) + 1.5``.
First-contact resolution counts an order only when it was never transferred, judged
from its explicit assignments (:func:`was_transferred`), not from its current assignee.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from statistics import fmean, median

from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import Tier
from touchpoint.quality import sigma as quality_sigma

__all__ = [
    "Assignment",
    "KpiSummary",
    "OrderFacts",
    "Shift",
    "shift_of",
    "sigma_level",
    "summarise",
    "was_transferred",
]


class Shift(StrEnum):
    """Work shifts by local clock: morning 06–14, afternoon 14–22, night 22–06."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    NIGHT = "night"

    @property
    def is_night(self) -> bool:
        """Night shifts carry extra emotional-labour weight."""
        return self is Shift.NIGHT


def shift_of(local: datetime) -> Shift:
    """The shift a local wall-clock instant falls in."""
    if 6 <= local.hour < 14:
        return Shift.MORNING
    if 14 <= local.hour < 22:
        return Shift.AFTERNOON
    return Shift.NIGHT


def sigma_level(defects: int, opportunities: int) -> float | None:
    """Short-term sigma level ``Φ⁻¹(1 − DPMO/10⁶) + 1.5``.

    Computed by ``touchpoint.quality.sigma`` (one implementation). Returns None when
    there are no opportunities and when the level is unbounded (no defects, or every
    opportunity a defect), since JSON carries no infinities. 3.4 DPMO gives 6.0.
    """
    if defects < 0 or opportunities < 0 or defects > opportunities:
        raise DomainError(f"defects {defects} must lie between 0 and opportunities {opportunities}")
    if opportunities == 0:
        return None
    level = quality_sigma.sigma_level(defects / opportunities * 1e6)
    return level if math.isfinite(level) else None


@dataclass(frozen=True, slots=True)
class Assignment:
    """One explicit assignment of an order (电子工单流转): who, which team and tier held
    it just before and just after."""

    assignee_before: int | None
    assignee_after: int | None
    team_before: int | None
    team_after: int | None
    tier_before: Tier
    tier_after: Tier


def was_transferred(owner_id: int, assignments: Sequence[Assignment]) -> bool:
    """Whether an order with first-contact owner ``owner_id`` was ever transferred.

    ``assignments`` are the order's explicit assignments, oldest first. The hands the
    order started in are the owner's and those of whoever held it before the first
    assignment (the assignee it was opened with, or who took it by working it). An
    assignment is a transfer when it gives the order to anyone else, moves it from one
    team to another, or raises its tier; a later move back does not undo it. An owner
    taking their own order is no transfer, nor is the assignee a status change sets
    (e.g. the supervisor resolving a mass incident's unassigned orders): that is no
    assignment.
    """
    if not assignments:
        return False
    hands = {owner_id, assignments[0].assignee_before}
    return any(
        a.assignee_after not in hands
        or (a.team_before is not None and a.team_after not in (None, a.team_before))
        or a.tier_after.rank > a.tier_before.rank
        for a in assignments
    )


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the KPI board needs to know about one order in the period."""

    order_id: int
    is_complaint: bool
    resolved: bool
    reopened: bool
    first_contact_resolution: bool
    first_response_minutes: int | None
    resolution_minutes: int | None
    targets_tracked: int
    targets_breached: int


@dataclass(frozen=True, slots=True)
class KpiSummary:
    """KPIs over a set of orders; rates are shares in [0, 1], None when undefined."""

    orders: int
    resolved: int
    backlog: int
    first_response_mean_minutes: float | None
    first_response_median_minutes: float | None
    resolution_mean_minutes: float | None
    resolution_median_minutes: float | None
    first_contact_resolution_rate: float | None
    resolution_rate: float | None
    reopen_rate: float | None
    complaint_rate: float | None
    sla_opportunities: int
    sla_breaches: int
    sla_compliance: float | None
    dpmo: float | None
    sigma_level: float | None


def _mean(xs: list[int]) -> float | None:
    return fmean(xs) if xs else None


def _median(xs: list[int]) -> float | None:
    return float(median(xs)) if xs else None


def _rate(k: int, n: int) -> float | None:
    return k / n if n else None


def summarise(facts: Iterable[OrderFacts]) -> KpiSummary:
    """Aggregate order facts into the board's KPIs."""
    items = list(facts)
    n = len(items)
    resolved = [f for f in items if f.resolved]
    fr = [f.first_response_minutes for f in items if f.first_response_minutes is not None]
    rs = [f.resolution_minutes for f in resolved if f.resolution_minutes is not None]
    opp = sum(f.targets_tracked for f in items)
    bad = sum(f.targets_breached for f in items)
    return KpiSummary(
        orders=n,
        resolved=len(resolved),
        backlog=n - len(resolved),
        first_response_mean_minutes=_mean(fr),
        first_response_median_minutes=_median(fr),
        resolution_mean_minutes=_mean(rs),
        resolution_median_minutes=_median(rs),
        first_contact_resolution_rate=_rate(sum(f.first_contact_resolution for f in items), n),
        resolution_rate=_rate(len(resolved), n),
        reopen_rate=_rate(sum(f.reopened for f in items), n),
        complaint_rate=_rate(sum(f.is_complaint for f in items), n),
        sla_opportunities=opp,
        sla_breaches=bad,
        sla_compliance=_rate(opp - bad, opp),
        dpmo=(bad / opp * 1e6) if opp else None,
        sigma_level=sigma_level(bad, opp),
    )
