"""Which escalation steps are due: the sweep's replayed orders, their warnings and
breaches on arrays, less the steps already taken (DOMAIN §6, 升级).

A step is ``(order position, target index, level index, due epoch second)``; targets
and levels are indexed as in :data:`TARGETS` and :data:`LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import NEVER
from touchpoint.domain.escalation import EscalationLevel, EscalationPolicy
from touchpoint.domain.sla import NO_INSTANT, SlaBatchReport, TargetOutcomes
from touchpoint.services.sla_clock import (
    PolicyBatch,
    epoch_seconds,
    fetch_int_columns,
    inline_constant,
)
from touchpoint.storage.models import Escalation

__all__ = [
    "CHUNK",
    "LEVELS",
    "LOOKUP_LIMIT",
    "TARGETS",
    "BoolArray",
    "Int64Array",
    "SweptOrders",
    "any_breached",
    "due_steps",
    "no_steps",
    "not_taken",
    "rows_in",
]

TARGETS: Final = ("first_response", "next_update", "resolution")
LEVELS: Final = (EscalationLevel.WARNING, EscalationLevel.BREACH)
CHUNK: Final = 10_000  # ids per IN list (SQLite allows 32,766 parameters)
# Orders whose escalation rows are looked up by id; with more, all open orders' are read.
LOOKUP_LIMIT: Final = 50_000

Int64Array = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def no_steps() -> Int64Array:
    """An empty list of steps."""
    return np.empty((0, 4), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SweptOrders:
    """The swept orders as read and replayed: one element per order, ascending id."""

    ids: Int64Array
    versions: Int64Array
    step_due: Int64Array  # (n, 3): due instant of the recorded steps per target, 0: none
    taken: Int64Array  # bit 2 * target + level per recorded step
    new_next: Int64Array  # fresh next escalation (epoch seconds, NULL_EPOCH: none)
    new_breached: BoolArray
    tier_up: BoolArray  # the order's escalation policy moves it up a tier on breach
    notify: BoolArray  # ... and e-mails the team supervisor


def any_breached(report: SlaBatchReport) -> BoolArray:
    out = np.zeros(len(report), dtype=bool)
    for outcome in (report.first_response, report.next_update, report.resolution):
        if outcome is not None:
            out |= outcome.breached
    return out


def due_steps(
    batch: PolicyBatch, rows: Int64Array, esc: EscalationPolicy, now_s: int
) -> Int64Array:
    """``plan_escalations`` on arrays: each running target's breach or warning due now.

    A target is breached when due at or before now, warned when the business time
    left is at most ``1 - warn_share`` of it (the same float test as the scalar plan).
    ``rows`` are the batch's orders' positions in the sweep. Returns rows ``(position,
    target index, level index, due epoch second)``, at most one per order and target.
    """
    report = batch.report
    found: list[Int64Array] = []
    for t, name in enumerate(TARGETS):
        outcome: TargetOutcomes | None = getattr(report, name)
        if outcome is None:
            continue
        due = outcome.due_at
        running = ~report.paused & (due != NO_INSTANT) & (due != NEVER)
        breach = running & (due <= now_s)
        warn = np.zeros(len(due), dtype=bool)
        early = np.flatnonzero(running & ~breach)
        if len(early):
            index = batch.calendar.index(now_s, int(due[early].max()))
            left = index.business_seconds_at(due[early]) - index.business_seconds_at(
                np.array([now_s], dtype=np.int64)
            )
            limit = (1.0 - esc.warn_share) * outcome.target_minutes * 60.0
            warn[early] = left.astype(np.float64) <= limit
        for level, mask in enumerate((warn, breach)):
            hits = np.flatnonzero(mask)
            found_rows = np.empty((len(hits), 4), dtype=np.int64)
            found_rows[:, 0] = rows[hits]
            found_rows[:, 1] = t
            found_rows[:, 2] = level
            found_rows[:, 3] = due[hits]
            found.append(found_rows)
    return np.concatenate(found) if found else np.empty((0, 4), dtype=np.int64)


def _as_keys(rows: Int64Array) -> NDArray[np.void]:
    """Each row of int64 as one opaque value, for set membership with ``np.isin``."""
    contiguous = np.ascontiguousarray(rows, dtype=np.int64)
    return contiguous.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()


def rows_in(rows: Int64Array, among: Int64Array) -> BoolArray:
    """Which ``rows`` (order id, target, level, due) occur in ``among``.

    When the values fit, each row becomes one int64 (``np.isin`` sorts integers, where
    opaque row keys are compared byte by byte); otherwise rows are compared as keys.
    """
    if len(rows) == 0 or len(among) == 0:
        return np.zeros(len(rows), dtype=bool)
    both = np.concatenate([rows, among])
    lo = [int(v) for v in both.min(axis=0)]
    span = [int(v) - low + 1 for v, low in zip(both.max(axis=0), lo, strict=True)]
    total = 1
    for width in span:
        total *= width
    if total >= 2**62:
        return np.isin(_as_keys(rows), _as_keys(among))

    def keys(a: Int64Array) -> Int64Array:
        out = np.zeros(len(a), dtype=np.int64)
        for col, (low, width) in enumerate(zip(lo, span, strict=True)):
            out = out * width + (a[:, col] - low)
        return out

    return np.isin(keys(rows), keys(among))


def not_taken(
    session: Session, swept: SweptOrders, candidates: Int64Array, open_orders: Select[Any]
) -> Int64Array:
    """Candidates ``(position, target, level, due)`` with no escalation row yet, sorted
    by order and target.

    An order's memory of its steps (the due instant per target and the levels taken for
    it) settles most candidates without a query. The escalation rows are read only for
    the rest: new steps, and due instants that came back to one escalated before.
    """
    if len(candidates) == 0:
        return candidates
    row, t, level, due = candidates.T
    bit = np.left_shift(1, 2 * t + level)
    remembered = (swept.step_due[row, t] == due) & ((swept.taken[row] & bit) != 0)
    unsure = candidates[~remembered]
    if len(unsure):
        keyed = unsure.copy()
        keyed[:, 0] = swept.ids[unsure[:, 0]]
        unsure = unsure[~rows_in(keyed, _escalated(session, keyed[:, 0], open_orders))]
    fresh: Int64Array = unsure[np.lexsort((unsure[:, 1], unsure[:, 0]))]
    return fresh


def _escalated(session: Session, order_ids: Int64Array, open_orders: Select[Any]) -> Int64Array:
    """Escalation rows ``(order id, target, level, due)`` of these orders (or of all
    open orders, when they are many)."""
    target = case(
        {inline_constant(n): inline_constant(i) for i, n in enumerate(TARGETS)},
        value=Escalation.target,
        else_=inline_constant(0),
    )
    level = case(
        {inline_constant(lv.value): inline_constant(i) for i, lv in enumerate(LEVELS)},
        value=Escalation.level,
        else_=inline_constant(0),
    )
    stmt = select(
        Escalation.work_order_id,
        (epoch_seconds(session, Escalation.due_at) * inline_constant(4) + target)
        * inline_constant(2)
        + level,
    )
    wanted = np.unique(order_ids)
    if len(wanted) > LOOKUP_LIMIT:
        parts = [
            fetch_int_columns(
                session, stmt.where(Escalation.work_order_id.in_(open_orders.scalar_subquery()))
            )
        ]
    else:
        ids = wanted.tolist()
        parts = [
            fetch_int_columns(
                session, stmt.where(Escalation.work_order_id.in_(ids[lo : lo + CHUNK]))
            )
            for lo in range(0, len(ids), CHUNK)
        ]
    packed = np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.int64)
    taken = np.empty((len(packed), 4), dtype=np.int64)
    taken[:, 0] = packed[:, 0]
    taken[:, 1] = (packed[:, 1] // 2) % 4
    taken[:, 2] = packed[:, 1] % 2
    taken[:, 3] = packed[:, 1] // 8
    return taken
