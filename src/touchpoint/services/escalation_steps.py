"""Taking the escalation steps a sweep found due, in bulk, inside one write unit.

For each step: an escalation row, the order one tier up on a breach (while its policy
says so and a tier is left), the team supervisor e-mailed, ``work_order.sla_*``
webhooks, and the order's memory of the steps taken for its current due instants.
Orders are re-read under the write lock; one written since the sweep replayed it is
skipped, its steps left to the next sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Insert, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import from_epoch_seconds
from touchpoint.domain.work_orders import Tier
from touchpoint.services.base import WriteUnit, outbox_row
from touchpoint.services.errors import ConflictError
from touchpoint.services.escalation_plan import (
    CHUNK,
    LEVELS,
    TARGETS,
    Int64Array,
    SweptOrders,
)
from touchpoint.services.sla_clock import NULL_EPOCH
from touchpoint.storage.models import Team, User, WorkOrder

__all__ = ["ORDERS", "STEP_DUE", "StepsTaken", "executemany", "instant", "take_steps"]

_LEVEL_NAMES: Final = tuple(lv.value for lv in LEVELS)
_TIER_NAMES: Final = tuple(t.value for t in Tier)
_TIER_RANK: Final = {t.value: t.rank for t in Tier}
#: Per target (as in TARGETS), the column remembering the due instant its steps belong to.
STEP_DUE: Final = tuple(f"sla_step_due_{t}" for t in TARGETS)
ORDERS: Final = WorkOrder.metadata.tables["work_orders"]
_ESCALATIONS: Final = WorkOrder.metadata.tables["escalations"]
_OUTBOX: Final = WorkOrder.metadata.tables["outbox"]

_Current = dict[int, tuple[str, int | None, str, int]]  # id: tier, team, subject, version


@dataclass
class StepsTaken:
    """What one part of a sweep wrote: its log, counts, and whether outbox rows were
    written (so the dispatcher is woken)."""

    log: list[dict[str, Any]] = field(default_factory=list)
    warnings: int = 0
    breaches: int = 0
    tier_ups: int = 0
    queued: bool = False


@dataclass
class _Records:
    """The rows the steps write, and the log."""

    log: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    mails: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ByOrder:
    """Steps (sorted by order) grouped by order: each step's group, each group's row."""

    steps: Int64Array
    group: Int64Array  # each step's order, 0..m-1
    order_rows: Int64Array  # each group's position in the sweep
    oids: list[int]

    @classmethod
    def of(cls, steps: Int64Array, swept: SweptOrders) -> _ByOrder:
        rows = steps[:, 0]
        first = np.concatenate(([True], rows[1:] != rows[:-1]))
        order_rows = rows[first]
        return cls(steps, np.cumsum(first) - 1, order_rows, swept.ids[order_rows].tolist())


def instant(seconds: int) -> datetime | None:
    """An epoch second as an instant; ``NULL_EPOCH`` as None."""
    return None if seconds == NULL_EPOCH else from_epoch_seconds(seconds)


def executemany(conn: Connection, stmt: Insert | Update, rows: list[dict[str, Any]]) -> int:
    """``stmt`` run once per row; the rows matched (0 without rows)."""
    if not rows:
        return 0
    return int(conn.execute(stmt, rows).rowcount)


def take_steps(
    session: Session, unit: WriteUnit, steps: Int64Array, swept: SweptOrders
) -> StepsTaken:
    """Record ``steps`` (sorted by order and target) in bulk, each kind of row with one
    executemany; steps of orders written since the replay are skipped."""
    if len(steps) == 0:
        return StepsTaken()
    by_order = _ByOrder.of(steps, swept)
    current = _current_orders(session, by_order.oids)
    live = np.array(
        [
            oid in current and current[oid][3] == v
            for oid, v in zip(
                by_order.oids, swept.versions[by_order.order_rows].tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    keep = live[by_order.group]
    by_order = _ByOrder(steps[keep], by_order.group[keep], by_order.order_rows, by_order.oids)
    if len(by_order.steps) == 0:
        return StepsTaken()
    rank0 = np.array(
        [
            _TIER_RANK[current[oid][0]] if ok else 0
            for oid, ok in zip(by_order.oids, live.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    ups, rank_before = _tier_moves(by_order, swept, rank0)
    records = _records(session, unit, by_order, swept, current, (ups, rank_before))
    orders = _remembered_steps(unit.now, by_order, swept, current, ups, rank0)
    _store(session.connection(), records, orders)
    breaches = int((by_order.steps[:, 2] == 1).sum())
    return StepsTaken(
        records.log,
        len(by_order.steps) - breaches,
        breaches,
        int(ups.sum()),
        bool(records.webhooks or records.mails),
    )


def _current_orders(session: Session, oids: list[int]) -> _Current:
    """Tier, team, subject and version of the orders, read under the write lock."""
    current: _Current = {}
    for lo in range(0, len(oids), CHUNK):
        for oid, tier, team_id, subject, version in session.execute(
            select(
                WorkOrder.id,
                WorkOrder.tier,
                WorkOrder.team_id,
                WorkOrder.subject,
                WorkOrder.version,
            ).where(WorkOrder.id.in_(oids[lo : lo + CHUNK]))
        ):
            current[oid] = (tier, team_id, subject, version)
    return current


def _tier_moves(
    by_order: _ByOrder, swept: SweptOrders, rank0: Int64Array
) -> tuple[Int64Array, Int64Array]:
    """Per step: whether it moves its order a tier up, and the order's tier rank before
    it. Each breach moves its order one tier up, in target order, until the top tier."""
    rows, group = by_order.steps[:, 0], by_order.group
    top = len(_TIER_NAMES) - 1
    eligible = (by_order.steps[:, 2] == 1) & swept.tier_up[rows]
    before = np.cumsum(eligible) - eligible
    first_of_order = np.concatenate(([0], np.flatnonzero(group[1:] != group[:-1]) + 1))
    before -= np.repeat(before[first_of_order], np.diff(np.append(first_of_order, len(group))))
    rank_before = np.minimum(rank0[group] + before, top)
    return eligible & (rank_before < top), rank_before


def _records(
    session: Session,
    unit: WriteUnit,
    by_order: _ByOrder,
    swept: SweptOrders,
    current: _Current,
    moves: tuple[Int64Array, Int64Array],
) -> _Records:
    """The escalation rows, e-mails, webhooks and log lines of the steps."""
    supervisors = {
        team_id: (username, email)
        for team_id, username, email in session.execute(
            select(Team.id, User.username, User.email).join(User, Team.supervisor_id == User.id)
        )
    }
    events = tuple(f"work_order.sla_{name}" for name in _LEVEL_NAMES)
    hook_urls = unit.webhook_targets(events)
    records = _Records()
    rows, t, level, due = (c.tolist() for c in by_order.steps.T)
    ups, rank_before = moves
    for oid, ti, lv_i, due_s, up, rank, notify in zip(
        swept.ids[by_order.steps[:, 0]].tolist(),
        t,
        level,
        due,
        ups.tolist(),
        rank_before.tolist(),
        swept.notify[rows].tolist(),
        strict=True,
    ):
        _tier, team_id, subject, _version = current[oid]
        name, target, due_at = _LEVEL_NAMES[lv_i], TARGETS[ti], from_epoch_seconds(due_s)
        actions = [f"tier {_TIER_NAMES[rank]}→{_TIER_NAMES[rank + 1]}"] if up else []
        if lv_i == 1 and notify and team_id is not None:
            username, email = supervisors.get(team_id, ("", None))
            if email:
                records.mails.append(
                    _supervisor_mail(unit, email, oid, subject, name, target, due_at)
                )
                actions.append(f"supervisor {username} notified")
        for url in hook_urls[lv_i]:
            payload = {
                "event": events[lv_i],
                "at": unit.now.isoformat(),
                "work_order_id": oid,
                "target": target,
                "due_at": due_at.isoformat(),
            }
            records.webhooks.append(outbox_row(unit.now, "webhook", url, events[lv_i], payload))
        step = {"work_order_id": oid, "target": target, "level": name, "due_at": due_at}
        text = "; ".join(actions) or name
        records.escalations.append({**step, "at": unit.now, "action": text})
        records.log.append({**step, "action": text})
    return records


def _supervisor_mail(
    unit: WriteUnit, email: str, oid: int, subject: str, level: str, target: str, due: datetime
) -> dict[str, Any]:
    return outbox_row(
        unit.now,
        "email",
        email,
        unit.action,
        {
            "subject": f"[SLA {level}] work order #{oid}: {target}",
            "body": f"Work order #{oid} ({subject}) {level} on {target}; due {due.isoformat()}.",
        },
    )


def _remembered_steps(
    now: datetime,
    by_order: _ByOrder,
    swept: SweptOrders,
    current: _Current,
    ups: Int64Array,
    rank0: Int64Array,
) -> list[dict[str, Any]]:
    """Each stepped order's new row values: tier, SLA cache, and its memory of its steps
    (a step for a new due instant replaces the target's levels; one for the remembered
    instant adds its level)."""
    group, order_rows = by_order.group, by_order.order_rows
    t, level, due = by_order.steps[:, 1], by_order.steps[:, 2], by_order.steps[:, 3]
    step_due = swept.step_due[order_rows]
    taken = swept.taken[order_rows]
    moved = step_due[group, t] != due
    np.bitwise_and.at(taken, group[moved], ~(3 << (2 * t[moved])))
    np.bitwise_or.at(taken, group, 1 << (2 * t + level))
    step_due[group, t] = due  # at most one step per order and target
    n_ups = np.bincount(group, weights=ups, minlength=len(order_rows)).astype(np.int64)
    final_rank = np.minimum(rank0 + n_ups, len(_TIER_NAMES) - 1)
    orders: list[dict[str, Any]] = []
    for g in np.unique(group).tolist():
        oid, r = by_order.oids[g], int(order_rows[g])
        d0, d1, d2 = step_due[g].tolist()
        orders.append(
            {
                "oid": oid,
                "v": current[oid][3],
                "tier": _TIER_NAMES[int(final_rank[g])] if n_ups[g] else current[oid][0],
                "now": now,
                "next": instant(int(swept.new_next[r])),
                "breached": bool(swept.new_breached[r]),
                "d0": d0 or None,
                "d1": d1 or None,
                "d2": d2 or None,
                "taken": int(taken[g]),
            }
        )
    return orders


def _store(conn: Connection, records: _Records, orders: list[dict[str, Any]]) -> None:
    """Write the escalation rows, the orders (each guarded by its version) and the
    outbox rows (as a write unit queues them: webhooks, then mails)."""
    executemany(conn, insert(_ESCALATIONS), records.escalations)
    table = ORDERS
    written = executemany(
        conn,
        update(table)
        .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
        .values(
            {
                table.c.tier: bindparam("tier"),
                table.c.updated_at: bindparam("now"),
                table.c.sla_next_escalation_at: bindparam("next"),
                table.c.sla_breached: bindparam("breached"),
                **{table.c[name]: bindparam(f"d{i}") for i, name in enumerate(STEP_DUE)},
                table.c.sla_steps_taken: bindparam("taken"),
                table.c.version: table.c.version + 1,
            }
        ),
        orders,
    )
    if conn.dialect.supports_sane_multi_rowcount and written != len(orders):
        raise ConflictError("sla.escalate_due: orders changed during the sweep; run it again")
    for outbox in (records.webhooks, records.mails):
        executemany(conn, insert(_OUTBOX), outbox)
