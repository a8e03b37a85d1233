"""The batch replay: deadlines and outcomes of every order of :class:`Timelines` (rules 1–9).

A pending target's due instant is where the order's used time reaches ``U(start) +
target``: inside the history when it was already reached, otherwise after the last
change of the clock (its last resume, or while paused the pause start, as if the pause
had not begun: rule 8), found with ``B⁻¹``. ``now`` enters only at the end, in rule 9's
"pending target past its due time" breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from touchpoint.domain.calendar import NEVER, BusinessCalendar, BusinessTimeIndex, to_epoch_seconds
from touchpoint.domain.sla.clocks import Clocks, RawTarget, raw_targets, replay_clocks
from touchpoint.domain.sla.policy import SlaPolicy
from touchpoint.domain.sla.report import SlaBatchReport, TargetOutcomes
from touchpoint.domain.sla.timeline import Timelines
from touchpoint.domain.sla.vocabulary import NO_INSTANT, Int8Array, Int64Array

__all__ = ["ReplayedBatch", "replay_many"]


def replay_many(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    timelines: Timelines,
    now: datetime | None = None,
) -> SlaBatchReport:
    """Replay every order of ``timelines`` under ``policy`` at once (rules 1–9).

    Vectorised over events with numpy; ``now`` (timezone-aware) only adds rule 9's
    "pending target past its due time" breach. The deadline of a clock that the
    calendar never lets run out is :data:`~touchpoint.domain.calendar.NEVER`.
    """
    now_s = None if now is None else to_epoch_seconds(now, "now")
    if timelines.n_events == 0:
        return _empty_report(policy)
    return ReplayedBatch.of(calendar, policy, timelines).at(now_s)


@dataclass(frozen=True, eq=False)
class ReplayedBatch:
    """A batch replayed up to the point where ``now`` enters (rule 9's breach test):
    clocks, targets and due instants, which depend on the timelines alone."""

    order_ids: Int64Array
    status: Int8Array
    clocks: Clocks
    targets: dict[str, RawTarget]
    dues: dict[str, Int64Array]
    next_escalation_at: Int64Array

    @classmethod
    def of(
        cls, calendar: BusinessCalendar, policy: SlaPolicy, timelines: Timelines
    ) -> ReplayedBatch:
        """Replay a non-empty batch (rules 1–8)."""
        at = timelines.at
        index = calendar.index(int(at.min()), int(at.max()))
        clocks, states = replay_clocks(timelines, index.business_seconds_at(at))
        targets = raw_targets(policy, clocks, states)
        dues = _dues(calendar, index, targets, clocks)
        next_escalation = np.full(len(clocks.starts), NEVER, dtype=np.int64)
        for name, target in targets.items():
            live = target.pending & ~clocks.paused
            next_escalation = np.where(
                live, np.minimum(next_escalation, dues[name]), next_escalation
            )
        return cls(
            order_ids=timelines.order_ids,
            status=states.status[clocks.ends].astype(np.int8),
            clocks=clocks,
            targets=targets,
            dues=dues,
            next_escalation_at=np.where(next_escalation == NEVER, NO_INSTANT, next_escalation),
        )

    def at(self, now: int | None) -> SlaBatchReport:
        """The report at ``now`` (UTC epoch seconds; None: no rule-9 breach test)."""
        outcomes = {
            name: _outcomes(target, self.dues[name], self.clocks, now, name == "next_update")
            for name, target in self.targets.items()
        }
        c = self.clocks
        return SlaBatchReport(
            order_ids=self.order_ids,
            status=self.status,
            paused=c.paused,
            paused_since=np.where(c.paused, c.at[c.anchor], NO_INSTANT),
            next_escalation_at=self.next_escalation_at,
            first_response=outcomes.get("first_response"),
            next_update=outcomes.get("next_update"),
            resolution=outcomes.get("resolution"),
        )


def _dues(
    calendar: BusinessCalendar,
    index: BusinessTimeIndex,
    targets: dict[str, RawTarget],
    clocks: Clocks,
) -> dict[str, Int64Array]:
    """Each target's due instant per order (``NEVER`` where the calendar never gets there)."""
    # One index extension serves every deadline: B values from the same cover_start
    # agree between the short and the extended index.
    queries = {name: _due_queries(target, clocks) for name, target in targets.items()}
    if queries:
        wanted = max(int(q[1][targets[name].pending].max(initial=0)) for name, q in queries.items())
        if wanted > index.reach:
            index = calendar.index(index.cover_start, index.cover_end, reach=wanted)
    dues: dict[str, Int64Array] = {}
    for name in targets:
        _, b_value, floor = queries[name]
        found = index.instants_at(b_value)
        dues[name] = np.where(found == NEVER, NEVER, np.maximum(found, floor))
    return dues


def _due_queries(target: RawTarget, c: Clocks) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Where each pending clock's used time reaches its target, as ``B`` values to invert.

    Returns ``(clock_start, b_value, floor)`` per order: the deadline is
    ``max(at[clock_start], B⁻¹(b_value))``. When the level was reached before the last
    change of the clock, ``b_value`` is found inside the unpaused event interval where
    ``U`` crossed it; otherwise after the anchor, as if the current pause had not begun
    (rule 8), which for a clock started during the pause is its own start.
    """
    start = np.maximum(target.clock_start, 0)
    anchor = c.anchor
    # U'(start): the used time at the clock's start on the "no current pause" timeline.
    u_start = c.u[np.minimum(start, anchor)] + (c.b[np.maximum(start, anchor)] - c.b[anchor])
    level = u_start + target.minutes * 60
    after_anchor = level > c.u[anchor]
    b_after = c.b[anchor] + (level - c.u[anchor])
    # Inside the history: the first event whose U reaches the level, never before start.
    k = np.maximum(np.searchsorted(c.u, level, side="left"), start)
    previous = np.maximum(k - 1, 0)
    b_history = np.where(k > start, c.b[previous] + (level - c.u[previous]), c.b[start])
    return start, np.where(after_anchor, b_after, b_history), c.at[start]


def _outcomes(
    target: RawTarget,
    due: Int64Array,
    c: Clocks,
    now: int | None,
    is_next_update: bool,
) -> TargetOutcomes:
    due_at = np.where(target.pending, due, NO_INSTANT)
    used_minutes = np.where(target.used_seconds >= 0, target.used_seconds // 60, 0)
    breached = (target.used_seconds >= 0) & (target.minutes - used_minutes < 0)
    if now is not None:
        # While paused the clock stopped at paused_since: compare there (rule 9).
        limit = np.where(c.paused, np.minimum(now, c.at[c.anchor]), now)
        breached |= target.pending & (due != NEVER) & (due < limit)
    if is_next_update:
        met = ~target.pending & ~breached
    else:
        met = (target.met_at != NO_INSTANT) & ~breached
    return TargetOutcomes(
        target_minutes=target.minutes,
        due_at=due_at,
        met_at=target.met_at,
        started_at=target.started_at,
        used_seconds=target.used_seconds,
        breached=breached,
        pending=target.pending,
        met=met,
    )


def _empty_report(policy: SlaPolicy) -> SlaBatchReport:
    none_i = np.empty(0, dtype=np.int64)
    none_b = np.empty(0, dtype=bool)

    def empty(minutes: int | None) -> TargetOutcomes | None:
        if minutes is None:
            return None
        return TargetOutcomes(minutes, none_i, none_i, none_i, none_i, none_b, none_b, none_b)

    return SlaBatchReport(
        order_ids=none_i,
        status=np.empty(0, dtype=np.int8),
        paused=none_b,
        paused_since=none_i,
        next_escalation_at=none_i,
        first_response=empty(policy.first_response_minutes),
        next_update=empty(policy.next_update_minutes),
        resolution=empty(policy.resolution_minutes),
    )
