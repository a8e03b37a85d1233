"""Replaying many stored orders: timelines loaded in bulk, grouped by policy, one
``replay_many`` per policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.sla import SlaBatchReport, SlaPolicy, Timelines, replay_many
from touchpoint.domain.sla.vocabulary import Int64Array
from touchpoint.services.sla_clock.bulk import fetch_int_columns, fetch_rows, int_columns
from touchpoint.services.sla_clock.policies import compiled_policy
from touchpoint.services.sla_clock.timeline import packed_event, timeline_select, unpack_events
from touchpoint.storage.models import SlaPolicyRow, WorkOrder, WorkOrderEvent

__all__ = ["PolicyBatch", "replay_batches"]

# Largest IN list sent at once (SQLite allows 32,766 bound parameters).
_CHUNK: Final = 10_000


@dataclass(frozen=True, eq=False)
class PolicyBatch:
    """The orders of one SLA policy replayed together; ``report.order_ids`` are the
    work-order ids, ascending."""

    policy_row: SlaPolicyRow
    calendar: BusinessCalendar
    policy: SlaPolicy
    report: SlaBatchReport


def replay_batches(
    session: Session,
    order_ids: Int64Array,
    policy_ids: Int64Array,
    *,
    now: datetime,
    orders_query: Select[Any] | None = None,
    orders_where: ColumnElement[bool] | None = None,
) -> list[PolicyBatch]:
    """Replay many orders, one ``replay_many`` per policy, loading their timelines in bulk.

    ``order_ids`` (ascending) and ``policy_ids`` describe the orders. Their events are
    read in one query, selected by ``orders_where`` (a condition on ``work_orders``,
    e.g. "open", joined to the events in order-id order), by ``orders_query`` (a query
    of order ids, so that no id list is sent) or else by ``order_ids`` in chunks.
    Orders without any event are left out.
    """
    if len(order_ids) == 0:
        return []
    events = _load_events(session, order_ids, orders_query, orders_where)
    ev_order = events[:, 0]
    at, kind, status = unpack_events(events[:, 1])
    del events
    late = (ev_order[1:] == ev_order[:-1]) & (at[1:] < at[:-1])
    if late.any():  # an event recorded with an earlier instant: sort by (order, at, id)
        perm = np.lexsort((at, ev_order))
        ev_order, at, kind, status = ev_order[perm], at[perm], kind[perm], status[perm]
    if len(ev_order) == 0:
        return []
    by_policy, groups = _policy_groups(ev_order, order_ids, policy_ids)
    if by_policy is not None:
        ev_order, at, kind, status = (
            ev_order[by_policy],
            at[by_policy],
            kind[by_policy],
            status[by_policy],
        )
    batches: list[PolicyBatch] = []
    for pid, part in groups:
        prow, cal, pol = compiled_policy(session, pid)
        timelines = Timelines.from_columns(ev_order[part], at[part], kind[part], status[part])
        batches.append(PolicyBatch(prow, cal, pol, replay_many(cal, pol, timelines, now)))
    return batches


def _load_events(
    session: Session,
    order_ids: Int64Array,
    orders_query: Select[Any] | None,
    orders_where: ColumnElement[bool] | None,
) -> Int64Array:
    """The orders' events as ``(order id, packed event)`` rows (see :func:`replay_batches`
    for the three ways of selecting them), by order id, in recorded order per order."""
    if orders_where is not None:
        return fetch_int_columns(
            session,
            select(WorkOrderEvent.work_order_id, packed_event(session))
            .join_from(WorkOrder, WorkOrderEvent, WorkOrderEvent.work_order_id == WorkOrder.id)
            .where(orders_where)
            .order_by(WorkOrder.id, WorkOrderEvent.id),
        )
    if orders_query is not None:
        return fetch_int_columns(
            session,
            timeline_select(session).where(
                WorkOrderEvent.work_order_id.in_(orders_query.scalar_subquery())
            ),
        )
    base = timeline_select(session)
    ids = [int(i) for i in order_ids]
    rows: list[tuple[Any, ...]] = []
    for lo in range(0, len(ids), _CHUNK):
        chunk = ids[lo : lo + _CHUNK]
        rows.extend(fetch_rows(session, base.where(WorkOrderEvent.work_order_id.in_(chunk))))
    return int_columns(rows, 2)


def _policy_groups(
    ev_order: Int64Array, order_ids: Int64Array, policy_ids: Int64Array
) -> tuple[Int64Array | None, list[tuple[int, slice]]]:
    """The events of each policy present: a permutation that groups them by policy (None
    when they need no reordering) and each policy's slice of the permuted events.

    Each run of one order's events takes the order's policy; events of orders not among
    ``order_ids`` are left out of every slice.
    """
    n = len(ev_order)
    run_starts = np.flatnonzero(np.concatenate(([True], ev_order[1:] != ev_order[:-1])))
    run_ids = ev_order[run_starts]
    where = np.minimum(np.searchsorted(order_ids, run_ids), len(order_ids) - 1)
    run_policy = np.where(order_ids[where] == run_ids, policy_ids[where], -1)
    present = _distinct(run_policy[run_policy >= 0])
    if len(present) == 0:
        return None, []
    if len(present) == 1 and (run_policy >= 0).all():
        return None, [(int(present[0]), slice(0, n))]
    # Group the events by policy with one stable (radix) sort of small policy codes:
    # the cost does not grow with the number of policies, and each order keeps its
    # events' order. Events of unknown orders get the code past the last policy.
    code = np.where(run_policy >= 0, np.searchsorted(present, run_policy), len(present))
    run_lengths = np.diff(np.append(run_starts, n))
    ev_code = np.repeat(code.astype(np.int16 if len(present) < 2**15 else np.int64), run_lengths)
    perm = np.argsort(ev_code, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(ev_code, minlength=len(present)))))
    groups = [
        (int(pid), slice(int(bounds[i]), int(bounds[i + 1])))
        for i, pid in enumerate(present.tolist())
    ]
    return perm, groups


def _distinct(values: Int64Array) -> Int64Array:
    """Sorted distinct values; a bincount when they are small non-negative ids (policy
    ids), which costs one pass where ``np.unique`` sorts or hashes."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high < 1 << 20:
        return np.flatnonzero(np.bincount(values, minlength=high + 1)).astype(np.int64)
    return np.unique(values)
