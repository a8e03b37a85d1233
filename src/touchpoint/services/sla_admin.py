"""SLA calendars and policies (issue 6's JSON shapes) and the escalation sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import CursorResult, Integer, bindparam, case, cast, insert, select, update
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


@dataclass(frozen=True, slots=True)
class _Loaded:
    """An order as the sweep replayed it: its version and fresh SLA cache values."""

    version: int
    next_escalation_at: datetime | None
    breached: bool


@dataclass(frozen=True, slots=True)
class _Step:
    order_id: int
    target: int  # index in _TARGETS
    level: EscalationLevel
    due_s: int


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
    id). Timelines are read in one query and replayed with one ``replay_many`` per
    policy; the warning and breach tests run on arrays. Only orders whose SLA cache
    changed or that take a step are written, each guarded by its version: an order
    written meanwhile by someone else is left to the next sweep.
    """
    require(actor, actor.role.can_supervise, "run the escalation sweep")
    now_s = to_epoch_seconds(now, "now")
    # Read and replay before taking the write lock: other writers keep going meanwhile.
    open_orders = select(WorkOrder.id).where(
        WorkOrder.status.not_in(_DONE_STATUS), WorkOrder.policy_id.is_not(None)
    )
    if batch is not None:
        open_orders = open_orders.order_by(WorkOrder.id).limit(batch)
    # Without a batch limit the open-order test goes straight into the WHERE clause
    # (one scan of the table) rather than an IN over the same query.
    state_filter = (
        WorkOrder.id.in_(open_orders.scalar_subquery())
        if batch is not None
        else (WorkOrder.status.not_in(_DONE_STATUS) & WorkOrder.policy_id.is_not(None))
    )
    state = fetch_int_columns(
        session,
        select(
            WorkOrder.id,
            WorkOrder.version,
            WorkOrder.policy_id * 2 + cast(WorkOrder.sla_breached, Integer),
            epoch_seconds(session, WorkOrder.sla_next_escalation_at),
        )
        .where(state_filter)
        .order_by(WorkOrder.id),
    )
    ids, versions, packed, cached_next = state.T
    pids, cached_breached = packed // 2, packed % 2
    batches = replay_batches(
        session, ids, pids, now=now, orders_query=open_orders if batch is None else None
    )
    new_next = np.full(len(ids), NULL_EPOCH, dtype=np.int64)
    new_breached = np.zeros(len(ids), dtype=bool)
    candidates: list[Int64Array] = []
    for b in batches:
        rows = np.searchsorted(ids, b.report.order_ids)
        new_next[rows] = np.where(
            b.report.next_escalation_at == NO_INSTANT, NULL_EPOCH, b.report.next_escalation_at
        )
        new_breached[rows] = _any_breached(b.report)
        esc = policy or EscalationPolicy(warn_share=b.policy_row.warn_share)
        candidates.append(_candidates(b, esc, now_s))
    changed = (new_next != cached_next) | (new_breached != (cached_breached != 0))
    steps = _not_taken(
        session,
        np.concatenate(candidates) if candidates else np.empty((0, 4), dtype=np.int64),
        open_orders,
    )
    step_ids = sorted({s.order_id for s in steps})
    at = np.searchsorted(ids, np.array(step_ids, dtype=np.int64))
    loaded = {
        oid: _Loaded(
            int(versions[i]),
            None if new_next[i] == NULL_EPOCH else from_epoch_seconds(int(new_next[i])),
            bool(new_breached[i]),
        )
        for oid, i in zip(step_ids, at.tolist(), strict=True)
    }
    with write(session, actor, "sla.escalate_due", now=now, after_commit=after_commit) as unit:
        log, counts = _take_steps(session, unit, steps, policy, batches, loaded)
        stepped = set(step_ids)
        cache_rows: list[dict[str, Any]] = [
            {
                "oid": int(ids[i]),
                "v": int(versions[i]),
                "next": None if new_next[i] == NULL_EPOCH else from_epoch_seconds(new_next[i]),
                "breached": bool(new_breached[i]),
            }
            for i in np.flatnonzero(changed).tolist()
            if int(ids[i]) not in stepped
        ]
        if cache_rows:
            table = _ORDERS
            session.execute(
                update(table)
                .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
                .values(
                    sla_next_escalation_at=bindparam("next"),
                    sla_breached=bindparam("breached"),
                    version=table.c.version + 1,
                ),
                cache_rows,
            )
        _expire_orders(session, stepped | {r["oid"] for r in cache_rows})
        warnings, breaches, tier_ups = counts
        summary = EscalationSummary(len(ids), warnings, breaches, tier_ups, log)
        unit.audit(
            "sla",
            "sweep",
            before=None,
            after={
                "orders_checked": summary.orders_checked,
                "warnings": warnings,
                "breaches": breaches,
                "tier_ups": tier_ups,
                "steps": log,
            },
        )
    return summary


Int64Array = NDArray[np.int64]
_ORDERS: Final = WorkOrder.metadata.tables["work_orders"]
_CHUNK: Final = 10_000  # ids per IN list (SQLite allows 32,766 parameters)
_DONE_STATUS: Final = [WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value]


def _expire_orders(session: Session, order_ids: set[int]) -> None:
    """Written with Core: drop stale copies of those orders from the session."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, WorkOrder) and obj.id in order_ids:
            session.expire(obj)


def _any_breached(report: SlaBatchReport) -> NDArray[np.bool_]:
    out = np.zeros(len(report), dtype=bool)
    for outcome in (report.first_response, report.next_update, report.resolution):
        if outcome is not None:
            out |= outcome.breached
    return out


def _candidates(batch: PolicyBatch, esc: EscalationPolicy, now_s: int) -> Int64Array:
    """``plan_escalations`` on arrays: each running target's breach or warning due now.

    A target is breached when due at or before now, warned when the business time
    left is at most ``1 - warn_share`` of it (the same float test as the scalar plan).
    Returns rows ``(order id, target index, level index, due epoch second)``.
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
            rows = np.empty((len(hits), 4), dtype=np.int64)
            rows[:, 0] = report.order_ids[hits]
            rows[:, 1] = t
            rows[:, 2] = level
            rows[:, 3] = due[hits]
            found.append(rows)
    return np.concatenate(found) if found else np.empty((0, 4), dtype=np.int64)


def _as_keys(rows: Int64Array) -> NDArray[np.void]:
    """Each row of int64 as one opaque value, for set membership with ``np.isin``."""
    contiguous = np.ascontiguousarray(rows, dtype=np.int64)
    return contiguous.view(np.dtype((np.void, 8 * rows.shape[1]))).ravel()


def _is_in(rows: Int64Array, among: Int64Array) -> NDArray[np.bool_]:
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


def _not_taken(session: Session, candidates: Int64Array, open_orders: Any) -> list[_Step]:
    """Candidates whose (order, target, level, due time) has no escalation row yet."""
    if len(candidates) == 0:
        return []
    target = case({n: i for i, n in enumerate(_TARGETS)}, value=Escalation.target, else_=0)
    level = case({lv.value: i for i, lv in enumerate(_LEVELS)}, value=Escalation.level, else_=0)
    packed = fetch_int_columns(
        session,
        select(
            Escalation.work_order_id,
            (epoch_seconds(session, Escalation.due_at) * 4 + target) * 2 + level,
        ).where(Escalation.work_order_id.in_(open_orders.scalar_subquery())),
    )
    taken = np.empty((len(packed), 4), dtype=np.int64)
    taken[:, 0] = packed[:, 0]
    taken[:, 1] = (packed[:, 1] // 2) % 4
    taken[:, 2] = packed[:, 1] % 2
    taken[:, 3] = packed[:, 1] // 8
    fresh = candidates[~_is_in(candidates, taken)]
    fresh = fresh[np.lexsort((fresh[:, 1], fresh[:, 0]))]
    return [_Step(oid, t, _LEVELS[level], due) for oid, t, level, due in fresh.tolist()]


def _take_steps(
    session: Session,
    unit: WriteUnit,
    steps: list[_Step],
    policy: EscalationPolicy | None,
    batches: list[PolicyBatch],
    loaded: dict[int, _Loaded],
) -> tuple[list[dict[str, Any]], tuple[int, int, int]]:
    """Record the steps: escalation rows, tier-ups, supervisor mails and webhooks, in bulk.

    Orders are re-read (tier, team, version) under the write lock; an order whose
    version moved since the replay is skipped, its steps left to the next sweep.
    """
    if not steps:
        return [], (0, 0, 0)
    policy_of: dict[int, EscalationPolicy] = {}
    for b in batches:
        esc = policy or EscalationPolicy(warn_share=b.policy_row.warn_share)
        policy_of.update(dict.fromkeys(b.report.order_ids.tolist(), esc))
    wanted = sorted({s.order_id for s in steps})
    current: dict[int, tuple[str, int | None, str, int]] = {}
    for lo in range(0, len(wanted), _CHUNK):
        chunk = wanted[lo : lo + _CHUNK]
        for oid, tier, team_id, subject, version in session.execute(
            select(
                WorkOrder.id,
                WorkOrder.tier,
                WorkOrder.team_id,
                WorkOrder.subject,
                WorkOrder.version,
            ).where(WorkOrder.id.in_(chunk))
        ):
            current[oid] = (tier, team_id, subject, version)
    supervisors = {
        team_id: (username, email)
        for team_id, username, email in session.execute(
            select(Team.id, User.username, User.email).join(User, Team.supervisor_id == User.id)
        )
    }
    log: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    tiers: dict[int, str] = {}
    warnings = breaches = tier_ups = 0
    for s in steps:
        if s.order_id not in current or current[s.order_id][3] != loaded[s.order_id].version:
            continue  # written meanwhile: its own write refreshed it; the next sweep decides
        tier, team_id, subject, _version = current[s.order_id]
        tier = tiers.get(s.order_id, tier)
        esc = policy_of[s.order_id]
        breach = s.level.is_breach
        due = from_epoch_seconds(s.due_s)
        target = _TARGETS[s.target]
        actions: list[str] = []
        if breach and esc.tier_up_on_breach and not Tier(tier).is_top:
            up = Tier(tier).next_up
            if up is not None:
                actions.append(f"tier {tier}→{up.value}")
                tiers[s.order_id] = up.value
                tier_ups += 1
        if breach and esc.notify_supervisor and team_id is not None:
            username, email = supervisors.get(team_id, ("", None))
            if email:
                unit.email(
                    email,
                    f"[SLA {s.level.value}] work order #{s.order_id}: {target}",
                    f"Work order #{s.order_id} ({subject}) {s.level.value} on {target}; "
                    f"due {due.isoformat()}.",
                )
                actions.append(f"supervisor {username} notified")
        unit.notify(
            f"work_order.sla_{s.level.value}",
            {"work_order_id": s.order_id, "target": target, "due_at": due},
        )
        if breach:
            breaches += 1
        else:
            warnings += 1
        text = "; ".join(actions) or s.level.value
        escalations.append(
            {
                "work_order_id": s.order_id,
                "target": target,
                "level": s.level.value,
                "due_at": due,
                "at": unit.now,
                "action": text,
            }
        )
        log.append(
            {
                "work_order_id": s.order_id,
                "target": target,
                "level": s.level.value,
                "due_at": due,
                "action": text,
            }
        )
    if not escalations:
        return log, (warnings, breaches, tier_ups)
    session.execute(insert(Escalation), escalations)
    table = _ORDERS
    orders = [
        {
            "oid": oid,
            "v": loaded[oid].version,
            "tier": tiers.get(oid, current[oid][0]),
            "now": unit.now,
            "next": loaded[oid].next_escalation_at,
            "breached": loaded[oid].breached,
        }
        for oid in sorted({e["work_order_id"] for e in escalations})
    ]
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(table)
        .where(table.c.id == bindparam("oid"), table.c.version == bindparam("v"))
        .values(
            tier=bindparam("tier"),
            updated_at=bindparam("now"),
            sla_next_escalation_at=bindparam("next"),
            sla_breached=bindparam("breached"),
            version=table.c.version + 1,
        ),
        orders,
    )
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != len(orders):
        raise ConflictError("sla.escalate_due: orders changed during the sweep; run it again")
    return log, (warnings, breaches, tier_ups)
