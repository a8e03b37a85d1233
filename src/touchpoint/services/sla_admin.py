"""SLA calendars and policies (issue 6's JSON shapes) and the escalation sweep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError
from touchpoint.domain.escalation import (
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    PendingTarget,
    plan_escalations,
)
from touchpoint.domain.sla import SlaPolicy
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
from touchpoint.services.sla_clock import compiled_policy, refresh_sla_cache, sla_reports
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


def escalate_due(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    policy: EscalationPolicy | None = None,
    after_commit: AfterCommit | None = None,
    batch: int = 2000,
) -> EscalationSummary:
    """Sweep open orders: warn at ``warn_share`` of a target, escalate on breach.

    On breach the order moves one tier up and the team supervisor is e-mailed (and
    a ``work_order.sla_breach`` webhook fires). Steps already taken for the same due
    time are not repeated, so the sweep may run as often as wanted.
    """
    require(actor, actor.role.can_supervise, "run the escalation sweep")
    done_status = [WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value]
    with write(session, actor, "sla.escalate_due", now=now, after_commit=after_commit) as unit:
        orders = list(
            session.scalars(
                select(WorkOrder)
                .where(
                    WorkOrder.status.not_in(done_status),
                    WorkOrder.policy_id.is_not(None),
                )
                .order_by(WorkOrder.id)
                .limit(batch)
            )
        )
        reports = sla_reports(session, orders, now=now)
        taken = session.execute(
            select(
                Escalation.work_order_id, Escalation.target, Escalation.level, Escalation.due_at
            ).where(Escalation.work_order_id.in_([o.id for o in orders]))
        ).all()
        done: dict[int, set[tuple[str, EscalationLevel, datetime]]] = {}
        for oid, target, level, due in taken:
            done.setdefault(oid, set()).add((target, EscalationLevel(level), due))
        warnings = breaches = tier_ups = 0
        log: list[dict[str, Any]] = []
        for order in orders:
            report = reports[order.id]
            refresh_sla_cache(order, report)
            if report is None or report.paused or order.policy_id is None:
                continue
            prow, cal, _pol = compiled_policy(session, order.policy_id)
            esc_policy = policy or EscalationPolicy(warn_share=prow.warn_share)
            pending = [
                PendingTarget(name, t.target_minutes, t.due_at)
                for name, t in (
                    ("first_response", report.first_response),
                    ("next_update", report.next_update),
                    ("resolution", report.resolution),
                )
                if t is not None and t.due_at is not None
            ]
            steps = plan_escalations(
                pending,
                now=now,
                business_seconds=_seconds_on(cal),
                policy=esc_policy,
                done=frozenset(done.get(order.id, set())),
            )
            for step in steps:
                action = _take(session, unit, order, step, now)
                if step.level.is_breach:
                    breaches += 1
                else:
                    warnings += 1
                if "tier" in action:
                    tier_ups += 1
                log.append(
                    {
                        "work_order_id": order.id,
                        "target": step.target,
                        "level": step.level.value,
                        "due_at": step.due_at,
                        "action": action,
                    }
                )
        session.flush()
        summary = EscalationSummary(len(orders), warnings, breaches, tier_ups, log)
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


def _seconds_on(cal: BusinessCalendar) -> Callable[[datetime, datetime], float]:
    def seconds(a: datetime, b: datetime) -> float:
        return float(cal.between(a, b))

    return seconds


def _take(
    session: Session, unit: WriteUnit, order: WorkOrder, step: EscalationStep, now: datetime
) -> str:
    actions: list[str] = []
    if step.tier_up and not Tier(order.tier).is_top:
        up = Tier(order.tier).next_up
        if up is not None:
            actions.append(f"tier {order.tier}→{up.value}")
            order.tier = up.value
    supervisor: User | None = None
    if step.notify_supervisor and order.team_id is not None:
        team = session.get(Team, order.team_id)
        if team is not None and team.supervisor_id is not None:
            supervisor = session.get(User, team.supervisor_id)
    if supervisor is not None and supervisor.email:
        unit.email(
            supervisor.email,
            f"[SLA {step.level.value}] work order #{order.id}: {step.target}",
            f"Work order #{order.id} ({order.subject}) {step.level.value} on {step.target}; "
            f"due {step.due_at.isoformat()}.",
        )
        actions.append(f"supervisor {supervisor.username} notified")
    unit.notify(
        f"work_order.sla_{step.level.value}",
        {"work_order_id": order.id, "target": step.target, "due_at": step.due_at},
    )
    text = "; ".join(actions) or step.level.value
    session.add(
        Escalation(
            work_order_id=order.id,
            target=step.target,
            level=step.level.value,
            due_at=step.due_at,
            at=now,
            action=text,
        )
    )
    order.updated_at = now
    return text
