"""Replaying one order: the batch of one, remembered for orders read or edited again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from touchpoint.domain.calendar import NEVER, BusinessCalendar, to_epoch_seconds
from touchpoint.domain.sla.batch import ReplayedBatch
from touchpoint.domain.sla.policy import SlaPolicy
from touchpoint.domain.sla.report import SlaReport
from touchpoint.domain.sla.timeline import TimelineEvent, Timelines
from touchpoint.domain.sla.vocabulary import NO_STATUS_CODE

__all__ = ["replay"]


def replay(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    events: Sequence[TimelineEvent],
    now: datetime | None = None,
) -> SlaReport:
    """Replay one order's timeline under ``policy``: the batch of one.

    ``now`` only adds rule 9's "pending target past its due time" breach. Everything
    else of the replay depends on the calendar, the policy and the events alone, so it is
    remembered for the last few thousand timelines replayed (see :class:`_RememberedOrder`):
    an order read or edited again without a new event is not replayed again.
    """
    key = (
        id(calendar),
        id(policy),
        tuple(
            (
                to_epoch_seconds(e.at, "at"),
                e.type.code,
                NO_STATUS_CODE if e.status is None else e.status.code,
            )
            for e in events
        ),
    )
    found = _REPLAYED.get(key)
    if found is None:
        if len(_REPLAYED) >= _REPLAYED_LIMIT:
            _REPLAYED.clear()
        # The entry holds the calendar and the policy, so that their ids in the key
        # cannot pass to other objects while it lives.
        found = _REPLAYED[key] = _RememberedOrder(
            calendar, policy, ReplayedBatch.of(calendar, policy, Timelines.from_events([events]))
        )
    return found.report(None if now is None else to_epoch_seconds(now, "now"))


class _RememberedOrder:
    """One order's remembered replay (rules 1–8) and its reports so far.

    Rule 9 is the only part of a report that ``now`` enters: a pending target whose due
    instant lies before ``now`` (before ``paused_since`` while paused) is breached. So
    the report is the same for every ``now`` on the same side of each pending target's
    due instant; it is kept per such side, and a ``now`` on known sides costs a few
    comparisons instead of the batch arithmetic (``ReplayedBatch.at``).
    """

    __slots__ = ("_paused_since", "_reports", "_thresholds", "calendar", "policy", "replayed")

    def __init__(
        self, calendar: BusinessCalendar, policy: SlaPolicy, replayed: ReplayedBatch
    ) -> None:
        self.calendar = calendar
        self.policy = policy
        self.replayed = replayed
        c = replayed.clocks
        # Rule 9's inputs, as the batch's outcomes read them for its one order.
        self._paused_since = int(c.at[c.anchor][0]) if bool(c.paused[0]) else None
        self._thresholds = tuple(
            int(replayed.dues[name][0])
            for name, target in replayed.targets.items()
            if bool(target.pending[0]) and int(replayed.dues[name][0]) != NEVER
        )
        self._reports: dict[tuple[bool, ...] | None, SlaReport] = {}

    def report(self, now: int | None) -> SlaReport:
        """The order's report at ``now`` (UTC epoch seconds; None: no breach test)."""
        side: tuple[bool, ...] | None = None
        if now is not None:
            limit = now if self._paused_since is None else min(now, self._paused_since)
            side = tuple(due < limit for due in self._thresholds)
        found = self._reports.get(side)
        if found is None:
            found = self._reports[side] = self.replayed.at(now).report(0)
        return found


_REPLAYED: dict[tuple[int, int, tuple[tuple[int, int, int], ...]], _RememberedOrder] = {}
_REPLAYED_LIMIT: Final = 4096
