"""The escalation sweep (升级): warn at ``warn_share`` of a target, escalate on breach.

The open orders are read as integer columns and replayed with one ``replay_many`` per
policy, before any lock is taken; the steps due are found on arrays
(``services.escalation_plan``) and taken in bulk (``services.escalation_steps``), in
parts of at most :data:`WRITE_PART_ORDERS` orders, each part one write unit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import Integer, Select, bindparam, cast, func, select, update
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.escalation import EscalationPolicy
from touchpoint.domain.sla import NO_INSTANT
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import Actor, AfterCommit, require, write
from touchpoint.services.escalation_plan import (
    Int64Array,
    SweptOrders,
    any_breached,
    due_steps,
    no_steps,
    not_taken,
)
from touchpoint.services.escalation_steps import (
    ORDERS,
    STEP_DUE,
    StepsTaken,
    executemany,
    instant,
    take_steps,
)
from touchpoint.services.sla_clock import (
    NULL_EPOCH,
    epoch_seconds,
    fetch_int_columns,
    inline_constant,
    replay_batches,
)
from touchpoint.storage.models import WorkOrder

__all__ = ["WRITE_PART_ORDERS", "EscalationSummary", "escalate_due", "write_parts"]

_DONE_STATUS: Final = (WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value)
# Orders written per write unit of a sweep: a catch-up over a large backlog commits a
# part at a time, so that other writers of a SQLite file get in between parts instead
# of giving up after their busy timeout (bench/sla_sweep.py --side-writes).
WRITE_PART_ORDERS = 1_000


@dataclass(frozen=True, slots=True)
class EscalationSummary:
    """What one sweep did."""

    orders_checked: int
    warnings: int
    breaches: int
    tier_ups: int
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Replay:
    """The swept orders, the steps due for them, and which orders' cache changed."""

    swept: SweptOrders
    candidates: Int64Array
    changed: np.ndarray[Any, np.dtype[np.bool_]]


def escalate_due(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    policy: EscalationPolicy | None = None,
    after_commit: AfterCommit | None = None,
    batch: int | None = None,
) -> EscalationSummary:
    """Sweep open orders: warn at ``warn_share`` of a target, escalate on breach.

    On breach the order moves one tier up and the team supervisor is e-mailed (and
    a ``work_order.sla_breach`` webhook fires). Steps already taken for the same due
    time are not repeated, so the sweep may run as often as wanted.

    Every open order with a policy is checked (``batch``: only the first that many by
    id). The steps already taken are known from each order's own memory of them
    (``sla_step_due_*``, ``sla_steps_taken``), with the escalation rows read only for
    steps it does not cover. Only orders whose SLA cache changed or that take a step are
    written, each guarded by its version: an order written meanwhile by someone else is
    left to the next sweep.
    """
    require(actor, actor.role.can_supervise, "run the escalation sweep")
    now_s = to_epoch_seconds(now, "now")  # a naive ``now`` is refused before any read
    is_open = WorkOrder.status.not_in(
        [inline_constant(s) for s in _DONE_STATUS]
    ) & WorkOrder.policy_id.is_not(None)
    open_orders = select(WorkOrder.id).where(is_open)
    if batch is not None:
        open_orders = open_orders.order_by(WorkOrder.id).limit(batch)
    replayed = _replay_open_orders(session, is_open, open_orders, batch, (now, now_s), policy)
    swept = replayed.swept
    steps = not_taken(session, swept, replayed.candidates, open_orders)
    has_step = np.zeros(len(swept.ids), dtype=bool)
    has_step[steps[:, 0]] = True
    cache = np.flatnonzero(replayed.changed & ~has_step)
    taken = _write_sweep(session, actor, now, swept, write_parts(steps, cache))
    summary = EscalationSummary(
        len(swept.ids), taken.warnings, taken.breaches, taken.tier_ups, taken.log
    )
    # The outbox rows are written in bulk, not through the unit: wake the dispatcher
    # as ``write`` would have.
    if taken.queued and after_commit is not None:
        after_commit()
    return summary


def _open_order_columns(
    session: Session, is_open: Any, open_orders: Select[Any], batch: int | None
) -> Int64Array:
    """Per open order: id, version, policy * 128 + steps taken * 2 + breached, cached
    next escalation, and the due instants its steps belong to (0: none)."""
    # Without a batch limit the open-order test goes straight into the WHERE clause
    # (one scan of the table) rather than an IN over the same query.
    return fetch_int_columns(
        session,
        select(
            WorkOrder.id,
            WorkOrder.version,
            (WorkOrder.policy_id * inline_constant(64) + WorkOrder.sla_steps_taken)
            * inline_constant(2)
            + cast(WorkOrder.sla_breached, Integer),
            epoch_seconds(session, WorkOrder.sla_next_escalation_at),
            *(func.coalesce(ORDERS.c[name], inline_constant(0)) for name in STEP_DUE),
        )
        .where(is_open if batch is None else WorkOrder.id.in_(open_orders.scalar_subquery()))
        .order_by(WorkOrder.id),
    )


def _replay_open_orders(
    session: Session,
    is_open: Any,
    open_orders: Select[Any],
    batch: int | None,
    at: tuple[datetime, int],
    policy: EscalationPolicy | None,
) -> _Replay:
    """Read and replay the open orders (before the write lock: other writers keep
    going meanwhile), and find each one's warnings and breaches due now."""
    now, now_s = at
    state = _open_order_columns(session, is_open, open_orders, batch)
    ids = np.ascontiguousarray(state[:, 0])
    packed = state[:, 2]
    n = len(ids)
    swept = SweptOrders(
        ids=ids,
        versions=np.ascontiguousarray(state[:, 1]),
        step_due=np.ascontiguousarray(state[:, 4:7]),
        taken=(packed >> 1) & 63,
        new_next=np.full(n, NULL_EPOCH, dtype=np.int64),
        new_breached=np.zeros(n, dtype=bool),
        tier_up=np.zeros(n, dtype=bool),
        notify=np.zeros(n, dtype=bool),
    )
    batches = replay_batches(
        session, ids, packed >> 7, now=now, orders_where=is_open if batch is None else None
    )
    candidates: list[Int64Array] = []
    for b in batches:
        rows = np.searchsorted(ids, b.report.order_ids)
        swept.new_next[rows] = np.where(
            b.report.next_escalation_at == NO_INSTANT, NULL_EPOCH, b.report.next_escalation_at
        )
        swept.new_breached[rows] = any_breached(b.report)
        esc = policy or EscalationPolicy(warn_share=b.policy_row.warn_share)
        swept.tier_up[rows] = esc.tier_up_on_breach
        swept.notify[rows] = esc.notify_supervisor
        candidates.append(due_steps(b, rows, esc, now_s))
    changed = (swept.new_next != state[:, 3]) | (swept.new_breached != (packed & 1 != 0))
    return _Replay(swept, np.concatenate(candidates) if candidates else no_steps(), changed)


def _write_sweep(
    session: Session,
    actor: Actor,
    now: datetime,
    swept: SweptOrders,
    parts: list[tuple[Int64Array, Int64Array]],
) -> StepsTaken:
    """Write the sweep part by part, each part one write unit with its audit row. A
    sweep with nothing to write is audited when a person ran it; the desk's own sweep
    (``Actor.system()``, once a minute) then writes nothing at all."""
    total = StepsTaken()
    if actor.user_id is None and all(len(st) == 0 and len(c) == 0 for st, c in parts):
        return total
    for i, (part_steps, part_cache) in enumerate(parts):
        if i:
            _let_others_write(session)
        with write(session, actor, "sla.escalate_due", now=now) as unit:
            taken = take_steps(session, unit, part_steps, swept)
            if len(part_cache):
                _update_caches(session, swept, part_cache)
            ids = swept.ids
            _expire_orders(
                session, set(ids[part_cache].tolist()) | set(ids[part_steps[:, 0]].tolist())
            )
            after: dict[str, Any] = {
                "orders_checked": len(ids),
                "warnings": taken.warnings,
                "breaches": taken.breaches,
                "tier_ups": taken.tier_ups,
                "steps": taken.log,
            }
            if len(parts) > 1:
                after["part"] = f"{i + 1}/{len(parts)}"
            unit.audit("sla", "sweep", before=None, after=after)
        total.log.extend(taken.log)
        total.warnings += taken.warnings
        total.breaches += taken.breaches
        total.tier_ups += taken.tier_ups
        total.queued = total.queued or taken.queued
    return total


def write_parts(
    steps: Int64Array, cache: Int64Array, part_orders: int | None = None
) -> list[tuple[Int64Array, Int64Array]]:
    """The sweep's writes (``steps``, sorted by order row, and the rows whose cache alone
    changes) in parts of at most ``part_orders`` (default :data:`WRITE_PART_ORDERS`)
    orders each, by order row; one part, empty or not, when they fit (a person's sweep
    records at least one audit row)."""
    size = WRITE_PART_ORDERS if part_orders is None else part_orders
    touched = np.union1d(steps[:, 0], cache)
    if len(touched) <= size:
        return [(steps, cache)]
    parts = []
    for lo in range(0, len(touched), size):
        first, last = touched[lo], touched[min(lo + size, len(touched)) - 1]
        s0, s1 = np.searchsorted(steps[:, 0], [first, last + 1])
        c0, c1 = np.searchsorted(cache, [first, last + 1])
        parts.append((steps[s0:s1], cache[c0:c1]))
    return parts


def _let_others_write(session: Session) -> None:
    """Between two parts of a sweep on SQLite: a moment in which writers queued on the
    file's lock (they try again within a millisecond) get in before the next part."""
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(0.002)


def _update_caches(session: Session, swept: SweptOrders, rows: Int64Array) -> None:
    """Store the fresh SLA cache of orders that take no step, each guarded by its version
    (an order written meanwhile keeps what its own write stored)."""
    table = ORDERS
    executemany(
        session.connection(),
        update(table)
        .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
        .values(
            sla_next_escalation_at=bindparam("next"),
            sla_breached=bindparam("breached"),
            version=table.c.version + 1,
        ),
        [
            {"oid": oid, "v": v, "next": instant(nxt), "breached": br}
            for oid, v, nxt, br in zip(
                swept.ids[rows].tolist(),
                swept.versions[rows].tolist(),
                swept.new_next[rows].tolist(),
                swept.new_breached[rows].tolist(),
                strict=True,
            )
        ],
    )


def _expire_orders(session: Session, order_ids: set[int]) -> None:
    """Written with Core: drop stale copies of those orders from the session."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, WorkOrder) and obj.id in order_ids:
            session.expire(obj)
