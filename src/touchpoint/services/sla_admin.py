"""SLA calendars and policies (issue 6's JSON shapes) and the escalation sweep."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    Connection,
    Insert,
    Integer,
    Select,
    Update,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import NEVER, BusinessCalendar, from_epoch_seconds, to_epoch_seconds
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError
from touchpoint.domain.escalation import EscalationLevel, EscalationPolicy
from touchpoint.domain.sla import NO_INSTANT, SlaBatchReport, SlaPolicy, TargetOutcomes
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.base import (
    Actor,
    AfterCommit,
    WriteUnit,
    check_version,
    get_or_404,
    outbox_row,
    require,
    snapshot,
    write,
)
from touchpoint.services.errors import ConflictError
from touchpoint.services.sla_clock import (
    NULL_EPOCH,
    PolicyBatch,
    epoch_seconds,
    fetch_int_columns,
    inline_constant,
    replay_batches,
)
from touchpoint.storage.models import (
    Escalation,
    SlaCalendarRow,
    SlaPolicyRow,
    Team,
    User,
    WorkOrder,
)

__all__ = [
    "EscalationSummary",
    "PolicyDraft",
    "create_calendar",
    "create_policy",
    "escalate_due",
    "list_calendars",
    "list_policies",
    "update_calendar",
    "update_policy",
]


def _parse_calendar(definition: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(BusinessCalendar.from_json(definition).to_json())
    except ValueError as exc:
        raise DomainError(f"calendar: {exc}") from exc


def _parse_policy(definition: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(SlaPolicy.from_json(definition).to_json())
    except ValueError as exc:
        raise DomainError(f"policy: {exc}") from exc


def _unique_name(
    session: Session,
    model: type[SlaCalendarRow] | type[SlaPolicyRow],
    name: str,
    own_id: int | None = None,
) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise DomainError(f"name: {name!r} must be 1–100 characters")
    existing = session.scalar(select(model.id).where(model.name == clean))
    if existing is not None and existing != own_id:
        raise ConflictError(f"name: {clean!r} is taken")
    return clean


def create_calendar(
    session: Session, actor: Actor, name: str, definition: dict[str, Any], *, now: datetime
) -> SlaCalendarRow:
    """Store a business calendar (validated by ``BusinessCalendar.from_json``)."""
    require(actor, actor.role.can_supervise, "manage SLA calendars")
    clean = _unique_name(session, SlaCalendarRow, name)
    canonical = _parse_calendar(definition)
    with write(session, actor, "sla_calendar.create", now=now) as unit:
        row = SlaCalendarRow(name=clean, definition=canonical)
        session.add(row)
        session.flush()
        unit.audit("sla_calendar", row.id, before=None, after=snapshot(row))
    return row


def update_calendar(
    session: Session,
    actor: Actor,
    calendar_id: int,
    *,
    version: int,
    now: datetime,
    name: str | None = None,
    definition: dict[str, Any] | None = None,
) -> SlaCalendarRow:
    """Change a calendar; open orders are replayed on it from then on."""
    require(actor, actor.role.can_supervise, "manage SLA calendars")
    with write(session, actor, "sla_calendar.update", now=now) as unit:
        row = get_or_404(session, SlaCalendarRow, calendar_id)
        check_version("sla_calendar", row.id, row.version, version)
        before = snapshot(row)
        if name is not None:
            row.name = _unique_name(session, SlaCalendarRow, name, row.id)
        if definition is not None:
            row.definition = _parse_calendar(definition)
        session.flush()
        unit.audit("sla_calendar", row.id, before=before, after=snapshot(row))
    return row


def list_calendars(session: Session) -> list[SlaCalendarRow]:
    """All calendars."""
    return list(session.scalars(select(SlaCalendarRow).order_by(SlaCalendarRow.id)))


@dataclass(frozen=True, slots=True)
class PolicyDraft:
    """An SLA policy with the conditions that select it; empty lists match anything."""

    name: str
    definition: dict[str, Any]
    calendar_id: int
    rank: int = 100
    types: tuple[WorkOrderType, ...] = ()
    priorities: tuple[Priority, ...] = ()
    customer_classes: tuple[CustomerClass, ...] = ()
    channels: tuple[Channel, ...] = ()
    warn_share: float = 0.8
    active: bool = True


def _apply_policy(session: Session, row: SlaPolicyRow, d: PolicyDraft) -> None:
    if session.get(SlaCalendarRow, d.calendar_id) is None:
        raise DomainError(f"calendar_id: calendar {d.calendar_id} does not exist")
    EscalationPolicy(warn_share=d.warn_share)  # validates the share
    row.definition = _parse_policy(d.definition)
    row.calendar_id = d.calendar_id
    row.rank = d.rank
    row.types = sorted({t.value for t in d.types})
    row.priorities = sorted({p.value for p in d.priorities})
    row.customer_classes = sorted({c.value for c in d.customer_classes})
    row.channels = sorted({c.value for c in d.channels})
    row.warn_share = d.warn_share
    row.active = d.active


def create_policy(
    session: Session, actor: Actor, draft: PolicyDraft, *, now: datetime
) -> SlaPolicyRow:
    """Store an SLA policy (validated by ``SlaPolicy.from_json``)."""
    require(actor, actor.role.can_supervise, "manage SLA policies")
    with write(session, actor, "sla_policy.create", now=now) as unit:
        row = SlaPolicyRow(name=_unique_name(session, SlaPolicyRow, draft.name), definition={})
        _apply_policy(session, row, draft)
        session.add(row)
        session.flush()
        unit.audit("sla_policy", row.id, before=None, after=snapshot(row))
    return row


def update_policy(
    session: Session,
    actor: Actor,
    policy_id: int,
    draft: PolicyDraft,
    *,
    version: int,
    now: datetime,
) -> SlaPolicyRow:
    """Replace a policy's targets and conditions."""
    require(actor, actor.role.can_supervise, "manage SLA policies")
    with write(session, actor, "sla_policy.update", now=now) as unit:
        row = get_or_404(session, SlaPolicyRow, policy_id)
        check_version("sla_policy", row.id, row.version, version)
        before = snapshot(row)
        row.name = _unique_name(session, SlaPolicyRow, draft.name, row.id)
        _apply_policy(session, row, draft)
        session.flush()
        unit.audit("sla_policy", row.id, before=before, after=snapshot(row))
    return row


def list_policies(session: Session) -> list[SlaPolicyRow]:
    """All policies, in selection order."""
    return list(session.scalars(select(SlaPolicyRow).order_by(SlaPolicyRow.rank, SlaPolicyRow.id)))


@dataclass(frozen=True, slots=True)
class EscalationSummary:
    """What one sweep did."""

    orders_checked: int
    warnings: int
    breaches: int
    tier_ups: int
    steps: list[dict[str, Any]] = field(default_factory=list)


_TARGETS: Final = ("first_response", "next_update", "resolution")
_LEVELS: Final = (EscalationLevel.WARNING, EscalationLevel.BREACH)
_LEVEL_NAMES: Final = tuple(lv.value for lv in _LEVELS)
_TIER_NAMES: Final = tuple(t.value for t in Tier)
_TIER_RANK: Final = {t.value: t.rank for t in Tier}
#: Per target (as in _TARGETS), the column remembering the due instant its steps belong to.
_STEP_DUE: Final = tuple(f"sla_step_due_{t}" for t in _TARGETS)

Int64Array = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
_ORDERS: Final = WorkOrder.metadata.tables["work_orders"]
_ESCALATIONS: Final = WorkOrder.metadata.tables["escalations"]
_OUTBOX: Final = WorkOrder.metadata.tables["outbox"]
_CHUNK: Final = 10_000  # ids per IN list (SQLite allows 32,766 parameters)
# Orders whose escalation rows are looked up by id; with more, all open orders' are read.
_LOOKUP_LIMIT: Final = 50_000
_DONE_STATUS: Final = (WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value)


@dataclass(frozen=True, slots=True)
class _Replayed:
    """The swept orders as read and replayed: one element per order, ascending id."""

    ids: Int64Array
    versions: Int64Array
    step_due: Int64Array  # (n, 3): due instant of the recorded steps per target, 0: none
    taken: Int64Array  # bit 2 * target + level per recorded step
    new_next: Int64Array  # fresh next escalation (epoch seconds, NULL_EPOCH: none)
    new_breached: BoolArray
    tier_up: BoolArray  # the order's escalation policy moves it up a tier on breach
    notify: BoolArray  # ... and e-mails the team supervisor


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
    id). Orders and their timelines are read as integer columns in two queries and
    replayed with one ``replay_many`` per policy; the warning and breach tests run on
    arrays, and the steps already taken are known from each order's own memory of them
    (``sla_step_due_*``, ``sla_steps_taken``), with the escalation rows read only for
    steps it does not cover. Only orders whose SLA cache changed or that take a step are
    written, in bulk and each guarded by its version: an order written meanwhile by
    someone else is left to the next sweep.
    """
    require(actor, actor.role.can_supervise, "run the escalation sweep")
    now_s = to_epoch_seconds(now, "now")
    # Read and replay before taking the write lock: other writers keep going meanwhile.
    is_open = WorkOrder.status.not_in(
        [inline_constant(s) for s in _DONE_STATUS]
    ) & WorkOrder.policy_id.is_not(None)
    open_orders = select(WorkOrder.id).where(is_open)
    if batch is not None:
        open_orders = open_orders.order_by(WorkOrder.id).limit(batch)
    # Without a batch limit the open-order test goes straight into the WHERE clause
    # (one scan of the table) rather than an IN over the same query.
    state = fetch_int_columns(
        session,
        select(
            WorkOrder.id,
            WorkOrder.version,
            (WorkOrder.policy_id * inline_constant(64) + WorkOrder.sla_steps_taken)
            * inline_constant(2)
            + cast(WorkOrder.sla_breached, Integer),
            epoch_seconds(session, WorkOrder.sla_next_escalation_at),
            *(func.coalesce(_ORDERS.c[name], inline_constant(0)) for name in _STEP_DUE),
        )
        .where(is_open if batch is None else WorkOrder.id.in_(open_orders.scalar_subquery()))
        .order_by(WorkOrder.id),
    )
    ids = np.ascontiguousarray(state[:, 0])
    packed = state[:, 2]  # policy * 128 + steps taken * 2 + breached (taken < 64)
    cached_next = state[:, 3]
    pids = packed >> 7
    batches = replay_batches(
        session, ids, pids, now=now, orders_where=is_open if batch is None else None
    )
    n = len(ids)
    swept = _Replayed(
        ids=ids,
        versions=np.ascontiguousarray(state[:, 1]),
        step_due=np.ascontiguousarray(state[:, 4:7]),
        taken=(packed >> 1) & 63,
        new_next=np.full(n, NULL_EPOCH, dtype=np.int64),
        new_breached=np.zeros(n, dtype=bool),
        tier_up=np.zeros(n, dtype=bool),
        notify=np.zeros(n, dtype=bool),
    )
    del state
    candidates: list[Int64Array] = []
    for b in batches:
        rows = np.searchsorted(ids, b.report.order_ids)
        swept.new_next[rows] = np.where(
            b.report.next_escalation_at == NO_INSTANT, NULL_EPOCH, b.report.next_escalation_at
        )
        swept.new_breached[rows] = _any_breached(b.report)
        esc = policy or EscalationPolicy(warn_share=b.policy_row.warn_share)
        swept.tier_up[rows] = esc.tier_up_on_breach
        swept.notify[rows] = esc.notify_supervisor
        candidates.append(_candidates(b, rows, esc, now_s))
    changed = (swept.new_next != cached_next) | (swept.new_breached != (packed & 1 != 0))
    steps = _not_taken(
        session,
        swept,
        np.concatenate(candidates) if candidates else np.empty((0, 4), dtype=np.int64),
        open_orders,
    )
    has_step = np.zeros(n, dtype=bool)
    has_step[steps[:, 0]] = True
    cache = np.flatnonzero(changed & ~has_step)
    parts = _write_parts(steps, cache)
    log: list[dict[str, Any]] = []
    warnings = breaches = tier_ups = 0
    queued = False
    for i, (part_steps, part_cache) in enumerate(parts):
        if i:
            _let_others_write(session)
        with write(session, actor, "sla.escalate_due", now=now) as unit:
            part_log, (warned, breached, tiered), part_queued = _take_steps(
                session, unit, part_steps, swept
            )
            if len(part_cache):
                _update_caches(session, swept, part_cache)
            touched = set(ids[part_cache].tolist()) | set(ids[part_steps[:, 0]].tolist())
            _expire_orders(session, touched)
            after: dict[str, Any] = {
                "orders_checked": n,
                "warnings": warned,
                "breaches": breached,
                "tier_ups": tiered,
                "steps": part_log,
            }
            if len(parts) > 1:
                after["part"] = f"{i + 1}/{len(parts)}"
            unit.audit("sla", "sweep", before=None, after=after)
        log.extend(part_log)
        warnings, breaches, tier_ups = warnings + warned, breaches + breached, tier_ups + tiered
        queued = queued or part_queued
    summary = EscalationSummary(n, warnings, breaches, tier_ups, log)
    # The outbox rows are written here in bulk, not through the unit: wake the
    # dispatcher as ``write`` would have.
    if queued and after_commit is not None:
        after_commit()
    return summary


# Orders written per write unit of a sweep. A catch-up over a large backlog (a step for
# most of a million orders) held SQLite's one writer lock for 40 s in one unit, and
# every other write of the desk gave up after its 10 s wait; in parts of 1,000 orders
# they wait 26 ms (median; 90 ms at most) and the catch-up takes as long as before
# (bench/sla_sweep.py --side-writes).
_WRITE_PART_ORDERS = 1_000


def _write_parts(steps: Int64Array, cache: Int64Array) -> list[tuple[Int64Array, Int64Array]]:
    """The sweep's writes (``steps``, sorted by order row, and the rows whose cache alone
    changes) in parts of at most ``_WRITE_PART_ORDERS`` orders each, by order row; one
    part, empty or not, when they fit (every sweep records at least one audit row)."""
    touched = np.union1d(steps[:, 0], cache)
    if len(touched) <= _WRITE_PART_ORDERS:
        return [(steps, cache)]
    parts = []
    for lo in range(0, len(touched), _WRITE_PART_ORDERS):
        first, last = touched[lo], touched[min(lo + _WRITE_PART_ORDERS, len(touched)) - 1]
        s0, s1 = np.searchsorted(steps[:, 0], [first, last + 1])
        c0, c1 = np.searchsorted(cache, [first, last + 1])
        parts.append((steps[s0:s1], cache[c0:c1]))
    return parts


def _let_others_write(session: Session) -> None:
    """Between two parts of a sweep on SQLite: a moment in which writers queued on the
    file's lock (they try again within a millisecond) get in before the next part."""
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(0.002)


def _instant(seconds: int) -> datetime | None:
    return None if seconds == NULL_EPOCH else from_epoch_seconds(seconds)


def _update_caches(session: Session, swept: _Replayed, rows: Int64Array) -> None:
    """Store the fresh SLA cache of orders that take no step, each guarded by its version
    (an order written meanwhile keeps what its own write stored)."""
    table = _ORDERS
    _executemany(
        session.connection(),
        update(table)
        .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
        .values(
            sla_next_escalation_at=bindparam("next"),
            sla_breached=bindparam("breached"),
            version=table.c.version + 1,
        ),
        [
            {"oid": oid, "v": v, "next": _instant(nxt), "breached": br}
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


def _any_breached(report: SlaBatchReport) -> BoolArray:
    out = np.zeros(len(report), dtype=bool)
    for outcome in (report.first_response, report.next_update, report.resolution):
        if outcome is not None:
            out |= outcome.breached
    return out


def _candidates(
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
    for t, name in enumerate(_TARGETS):
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


def _is_in(rows: Int64Array, among: Int64Array) -> BoolArray:
    """Which ``rows`` (order id, target, level, due) occur in ``among``.

    When the values fit, each row becomes one int64 (``np.isin`` on integers is several
    times faster than on opaque row keys); otherwise rows are compared as opaque keys.
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


def _not_taken(
    session: Session, swept: _Replayed, candidates: Int64Array, open_orders: Select[Any]
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
        unsure = unsure[~_is_in(keyed, _escalated(session, keyed[:, 0], open_orders))]
    fresh: Int64Array = unsure[np.lexsort((unsure[:, 1], unsure[:, 0]))]
    return fresh


def _escalated(session: Session, order_ids: Int64Array, open_orders: Select[Any]) -> Int64Array:
    """Escalation rows ``(order id, target, level, due)`` of these orders (or of all
    open orders, when they are many)."""
    target = case(
        {inline_constant(n): inline_constant(i) for i, n in enumerate(_TARGETS)},
        value=Escalation.target,
        else_=inline_constant(0),
    )
    level = case(
        {inline_constant(lv.value): inline_constant(i) for i, lv in enumerate(_LEVELS)},
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
    if len(wanted) > _LOOKUP_LIMIT:
        parts = [
            fetch_int_columns(
                session, stmt.where(Escalation.work_order_id.in_(open_orders.scalar_subquery()))
            )
        ]
    else:
        ids = wanted.tolist()
        parts = [
            fetch_int_columns(
                session, stmt.where(Escalation.work_order_id.in_(ids[lo : lo + _CHUNK]))
            )
            for lo in range(0, len(ids), _CHUNK)
        ]
    packed = np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.int64)
    taken = np.empty((len(packed), 4), dtype=np.int64)
    taken[:, 0] = packed[:, 0]
    taken[:, 1] = (packed[:, 1] // 2) % 4
    taken[:, 2] = packed[:, 1] % 2
    taken[:, 3] = packed[:, 1] // 8
    return taken


def _executemany(conn: Connection, stmt: Insert | Update, rows: list[dict[str, Any]]) -> int:
    """``stmt`` run once per row (the driver's ``executemany``); the rows matched."""
    if not rows:
        return 0
    return int(conn.execute(stmt, rows).rowcount)


def _take_steps(
    session: Session, unit: WriteUnit, steps: Int64Array, swept: _Replayed
) -> tuple[list[dict[str, Any]], tuple[int, int, int], bool]:
    """Record the steps in bulk: escalation rows, tier-ups and the orders' memory of their
    steps, supervisor mails and webhooks (outbox rows), each with one executemany.

    Orders are re-read (tier, team, version) under the write lock; an order whose
    version moved since the replay is skipped, its steps left to the next sweep.
    Returns the log, the counts (warnings, breaches, tier-ups) and whether outbox rows
    were written.
    """
    if len(steps) == 0:
        return [], (0, 0, 0), False
    rows = steps[:, 0]
    first = np.concatenate(([True], rows[1:] != rows[:-1]))  # steps are sorted by order
    group = np.cumsum(first) - 1  # each step's order, 0..m-1
    order_rows = rows[first]
    oids = swept.ids[order_rows].tolist()
    current: dict[int, tuple[str, int | None, str, int]] = {}
    for lo in range(0, len(oids), _CHUNK):
        for oid, tier, team_id, subject, version in session.execute(
            select(
                WorkOrder.id,
                WorkOrder.tier,
                WorkOrder.team_id,
                WorkOrder.subject,
                WorkOrder.version,
            ).where(WorkOrder.id.in_(oids[lo : lo + _CHUNK]))
        ):
            current[oid] = (tier, team_id, subject, version)
    # Written meanwhile: its own write refreshed it; the next sweep decides.
    live = np.array(
        [
            oid in current and current[oid][3] == v
            for oid, v in zip(oids, swept.versions[order_rows].tolist(), strict=True)
        ],
        dtype=bool,
    )
    keep = live[group]
    steps, group = steps[keep], group[keep]
    if len(steps) == 0:
        return [], (0, 0, 0), False
    rows, t, level, due = (np.ascontiguousarray(c) for c in steps.T)
    breach = level == 1
    # Each breach moves its order one tier up, in target order, until the top tier.
    top = len(_TIER_NAMES) - 1
    rank0 = np.array(
        [
            _TIER_RANK[current[oid][0]] if ok else 0
            for oid, ok in zip(oids, live.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    eligible = breach & swept.tier_up[rows]
    before = np.cumsum(eligible) - eligible
    first_of_order = np.concatenate(([0], np.flatnonzero(group[1:] != group[:-1]) + 1))
    before -= np.repeat(before[first_of_order], np.diff(np.append(first_of_order, len(group))))
    rank_before = np.minimum(rank0[group] + before, top)
    ups = eligible & (rank_before < top)
    supervisors = {
        team_id: (username, email)
        for team_id, username, email in session.execute(
            select(Team.id, User.username, User.email).join(User, Team.supervisor_id == User.id)
        )
    }
    events = tuple(f"work_order.sla_{name}" for name in _LEVEL_NAMES)
    hook_urls = unit.webhook_targets(events)
    now = unit.now
    now_iso = now.isoformat()
    log: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    webhooks: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
    step_oids = swept.ids[rows].tolist()
    for oid, ti, lv_i, due_s, up, rank, notify in zip(
        step_oids,
        t.tolist(),
        level.tolist(),
        due.tolist(),
        ups.tolist(),
        rank_before.tolist(),
        swept.notify[rows].tolist(),
        strict=True,
    ):
        _tier, team_id, subject, _version = current[oid]
        name = _LEVEL_NAMES[lv_i]
        target = _TARGETS[ti]
        due_at = from_epoch_seconds(due_s)
        actions: list[str] = []
        if up:
            actions.append(f"tier {_TIER_NAMES[rank]}→{_TIER_NAMES[rank + 1]}")
        if lv_i == 1 and notify and team_id is not None:
            username, email = supervisors.get(team_id, ("", None))
            if email:
                mails.append(
                    outbox_row(
                        now,
                        "email",
                        email,
                        unit.action,
                        {
                            "subject": f"[SLA {name}] work order #{oid}: {target}",
                            "body": f"Work order #{oid} ({subject}) {name} on {target}; "
                            f"due {due_at.isoformat()}.",
                        },
                    )
                )
                actions.append(f"supervisor {username} notified")
        for url in hook_urls[lv_i]:
            payload = {
                "event": events[lv_i],
                "at": now_iso,
                "work_order_id": oid,
                "target": target,
                "due_at": due_at.isoformat(),
            }
            webhooks.append(outbox_row(now, "webhook", url, events[lv_i], payload))
        text = "; ".join(actions) or name
        escalations.append(
            {
                "work_order_id": oid,
                "target": target,
                "level": name,
                "due_at": due_at,
                "at": now,
                "action": text,
            }
        )
        log.append(
            {
                "work_order_id": oid,
                "target": target,
                "level": name,
                "due_at": due_at,
                "action": text,
            }
        )
    # The orders' memory of their steps: a step for a new due instant replaces the
    # target's levels; one for the remembered instant adds its level.
    step_due = swept.step_due[order_rows]
    taken = swept.taken[order_rows]
    moved = step_due[group, t] != due
    np.bitwise_and.at(taken, group[moved], ~(3 << (2 * t[moved])))
    np.bitwise_or.at(taken, group, 1 << (2 * t + level))
    step_due[group, t] = due  # at most one step per order and target
    n_ups = np.bincount(group, weights=ups, minlength=len(order_rows)).astype(np.int64)
    final_rank = np.minimum(rank0 + n_ups, top)
    tier_ups = int(n_ups.sum())
    orders: list[dict[str, Any]] = []
    for g in np.unique(group).tolist():
        oid, r = oids[g], int(order_rows[g])
        d0, d1, d2 = step_due[g].tolist()
        orders.append(
            {
                "oid": oid,
                "v": current[oid][3],
                "tier": _TIER_NAMES[int(final_rank[g])] if n_ups[g] else current[oid][0],
                "now": now,
                "next": _instant(int(swept.new_next[r])),
                "breached": bool(swept.new_breached[r]),
                "d0": d0 or None,
                "d1": d1 or None,
                "d2": d2 or None,
                "taken": int(taken[g]),
            }
        )
    conn = session.connection()
    _executemany(conn, insert(_ESCALATIONS), escalations)
    table = _ORDERS
    written = _executemany(
        conn,
        update(table)
        .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
        .values(
            {
                table.c.tier: bindparam("tier"),
                table.c.updated_at: bindparam("now"),
                table.c.sla_next_escalation_at: bindparam("next"),
                table.c.sla_breached: bindparam("breached"),
                **{table.c[name]: bindparam(f"d{i}") for i, name in enumerate(_STEP_DUE)},
                table.c.sla_steps_taken: bindparam("taken"),
                table.c.version: table.c.version + 1,
            }
        ),
        orders,
    )
    if conn.dialect.supports_sane_multi_rowcount and written != len(orders):
        raise ConflictError("sla.escalate_due: orders changed during the sweep; run it again")
    # As WriteUnit would queue them: webhooks, then mails.
    for outbox in (webhooks, mails):
        _executemany(conn, insert(_OUTBOX), outbox)
    breaches = int(breach.sum())
    return log, (len(steps) - breaches, breaches, tier_ups), bool(webhooks or mails)
