"""Service KPIs from per-order facts (DOMAIN.md §3.5): pure arithmetic, no I/O.

First-response and resolution times are business minutes taken from the SLA clock.
SLA compliance counts each tracked target of each order as one opportunity and each
breached target as one defect; the sigma level is ``Φ⁻¹(1 − DPMO/10⁶) + 1.5``.
First-contact resolution counts an order only when it was never transferred, judged
from its explicit assignments (:func:`was_transferred`), not from its current assignee.

An order's facts move with time only through rule 9 of the SLA clock (a pending target
breaches once its due instant has passed), so they are kept as :class:`StandingFacts`:
the facts of the order's history plus the instants its pending targets breach at,
which give its :class:`OrderFacts` at any instant without a replay. The KPIs of many
orders reduce to a :class:`KpiTally` (counts, sums and histograms of whole minutes),
which adds up across parts of a period and gives exact means and medians.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.errors import DomainError
from touchpoint.domain.sla import SlaReport, TargetReport
from touchpoint.domain.work_orders import Tier
from touchpoint.quality import sigma as quality_sigma

__all__ = [
    "Assignment",
    "KpiSummary",
    "KpiTally",
    "OrderFacts",
    "Shift",
    "StandingFacts",
    "shift_of",
    "sigma_level",
    "standing_facts",
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


@dataclass(frozen=True, slots=True)
class StandingFacts:
    """An order's KPI facts as its history stands, valid until the order changes.

    ``facts.targets_breached`` counts the targets its history breached; ``breach_at``
    holds, ascending, the UTC epoch second each pending target breaches at unless an
    event comes first (rule 9: breached once its due instant lies before ``now``).
    """

    facts: OrderFacts
    breach_at: tuple[int, ...]

    def at(self, instant: int) -> OrderFacts:
        """The order's facts at ``instant`` (UTC epoch seconds), as a replay at that
        instant would give them."""
        late = sum(1 for b in self.breach_at if b < instant)
        if not late:
            return self.facts
        return replace(self.facts, targets_breached=self.facts.targets_breached + late)


def _breach_instant(target: TargetReport, paused_since: datetime | None) -> int | None:
    """When rule 9 breaches a pending target not yet breached: at its due instant, and
    never when the order's clock paused before then (the clock stopped there)."""
    if target.breached or target.due_at is None:
        return None
    due = to_epoch_seconds(target.due_at)
    if paused_since is not None and due >= to_epoch_seconds(paused_since):
        return None
    return due


def standing_facts(
    order_id: int,
    *,
    is_complaint: bool,
    resolved: bool,
    reopen_count: int,
    transferred: bool,
    follow_ups: int,
    report: SlaReport | None,
) -> StandingFacts:
    """An order's standing facts from its SLA report replayed without a ``now`` (the
    history's breaches only; rule 9's are ``breach_at``), its customer's follow-up
    messages and whether it was transferred.

    First-contact resolution: resolved, never reopened, never transferred and no
    customer message after the one that opened it.
    """
    targets: list[TargetReport] = []
    if report is not None:
        targets = [
            t
            for t in (report.first_response, report.next_update, report.resolution)
            if t is not None
        ]
    tracked = [t for t in targets if t.breached or t.used_minutes is not None or t.due_at]
    paused_since = report.paused_since if report is not None and report.paused else None
    breach_at = sorted(
        b for b in (_breach_instant(t, paused_since) for t in tracked) if b is not None
    )
    fr = report.first_response if report is not None else None
    res = report.resolution if report is not None else None
    facts = OrderFacts(
        order_id=order_id,
        is_complaint=is_complaint,
        resolved=resolved,
        reopened=reopen_count > 0,
        first_contact_resolution=(
            resolved and reopen_count == 0 and not transferred and follow_ups == 0
        ),
        first_response_minutes=fr.used_minutes if fr is not None and fr.met_at else None,
        resolution_minutes=res.used_minutes if res is not None and res.met_at else None,
        targets_tracked=len(tracked),
        targets_breached=sum(1 for t in tracked if t.breached),
    )
    return StandingFacts(facts, tuple(breach_at))


#: The plain counts of a :class:`KpiTally` (besides its two histograms).
_TALLY_COUNTS: Final = (
    "orders",
    "resolved",
    "first_contact_resolutions",
    "reopened",
    "complaints",
    "sla_opportunities",
    "sla_breaches",
)


@dataclass(slots=True)
class KpiTally:
    """What :class:`KpiSummary` is computed from, for any number of orders: counts,
    and how many orders took each whole number of business minutes to a first response
    and (resolved orders) to resolution. Tallies of disjoint sets of orders add up
    (:meth:`add_tally`) and a subset's can be taken back (:meth:`remove_tally`), so a
    period may be counted in parts (in SQL, and in Python for the orders replayed on the
    spot) and still give exact means and medians.
    """

    orders: int = 0
    resolved: int = 0
    first_contact_resolutions: int = 0
    reopened: int = 0
    complaints: int = 0
    sla_opportunities: int = 0
    sla_breaches: int = 0
    first_response_minutes: Counter[int] = field(default_factory=Counter)
    resolution_minutes: Counter[int] = field(default_factory=Counter)

    def add(self, facts: OrderFacts) -> None:
        """Count one order."""
        self.orders += 1
        self.resolved += facts.resolved
        self.first_contact_resolutions += facts.first_contact_resolution
        self.reopened += facts.reopened
        self.complaints += facts.is_complaint
        self.sla_opportunities += facts.targets_tracked
        self.sla_breaches += facts.targets_breached
        if facts.first_response_minutes is not None:
            self.first_response_minutes[facts.first_response_minutes] += 1
        if facts.resolved and facts.resolution_minutes is not None:
            self.resolution_minutes[facts.resolution_minutes] += 1

    def add_tally(self, other: KpiTally) -> None:
        """Count the orders of another tally (a disjoint set) too."""
        self._combine(other, 1)

    def remove_tally(self, other: KpiTally) -> None:
        """Stop counting the orders of another tally (a subset of those counted)."""
        self._combine(other, -1)

    def _combine(self, other: KpiTally, sign: int) -> None:
        """Add (``sign`` 1) or take back (-1) another tally's counts and histograms."""
        for name in _TALLY_COUNTS:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))
        for mine, theirs in (
            (self.first_response_minutes, other.first_response_minutes),
            (self.resolution_minutes, other.resolution_minutes),
        ):
            for minutes, n in theirs.items():
                mine[minutes] += sign * n
                if mine[minutes] <= 0:
                    del mine[minutes]

    def summary(self) -> KpiSummary:
        """The KPIs of the counted orders."""
        n, opp, bad = self.orders, self.sla_opportunities, self.sla_breaches
        return KpiSummary(
            orders=n,
            resolved=self.resolved,
            backlog=n - self.resolved,
            first_response_mean_minutes=_mean(self.first_response_minutes),
            first_response_median_minutes=_median(self.first_response_minutes),
            resolution_mean_minutes=_mean(self.resolution_minutes),
            resolution_median_minutes=_median(self.resolution_minutes),
            first_contact_resolution_rate=_rate(self.first_contact_resolutions, n),
            resolution_rate=_rate(self.resolved, n),
            reopen_rate=_rate(self.reopened, n),
            complaint_rate=_rate(self.complaints, n),
            sla_opportunities=opp,
            sla_breaches=bad,
            sla_compliance=_rate(opp - bad, opp),
            dpmo=(bad / opp * 1e6) if opp else None,
            sigma_level=sigma_level(bad, opp),
        )


def _mean(counts: Counter[int]) -> float | None:
    """The mean of whole minutes given as value → count (``statistics.fmean``'s value:
    the exact sum, a float below 2**53, over the count)."""
    n = counts.total()
    return float(sum(v * c for v, c in counts.items())) / n if n else None


def _median(counts: Counter[int]) -> float | None:
    """The median of whole minutes given as value → count (``statistics.median``'s
    value: the middle one, or the mean of the two middle ones)."""
    n = counts.total()
    if not n:
        return None
    low, high = _nth(counts, (n - 1) // 2), _nth(counts, n // 2)
    return float(low) if low == high else (low + high) / 2


def _nth(counts: Counter[int], index: int) -> int:
    """The value at ``index`` (from 0) of the sorted values counted in ``counts``."""
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen > index:
            return value
    raise IndexError(index)


def _rate(k: int, n: int) -> float | None:
    return k / n if n else None


def summarise(facts: Iterable[OrderFacts]) -> KpiSummary:
    """Aggregate order facts into the board's KPIs."""
    tally = KpiTally()
    for f in facts:
        tally.add(f)
    return tally.summary()
