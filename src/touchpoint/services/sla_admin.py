"""SLA calendars and policies (their JSON shapes: docs/sla-formats.md).

The escalation sweep is in ``services.escalation_sweep``, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError, FieldValueError, unknown_reference
from touchpoint.domain.escalation import EscalationPolicy
from touchpoint.domain.sla import SlaPolicy
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.services.base import (
    Actor,
    check_version,
    get_or_404,
    require,
    snapshot,
    write,
)
from touchpoint.services.errors import ConflictError
from touchpoint.services.escalation_sweep import EscalationSummary, escalate_due
from touchpoint.storage.models import (
    SlaCalendarRow,
    SlaPolicyRow,
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
        raise _refused("calendar", exc, code="sla_calendar_invalid") from exc


def _parse_policy(definition: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(SlaPolicy.from_json(definition).to_json())
    except ValueError as exc:
        raise _refused("policy", exc, code="sla_policy_invalid") from exc


def _refused(what: str, exc: ValueError, *, code: str) -> DomainError:
    """``what: problem`` in English, and the problem's own message code for a page (or
    ``code`` with the English detail, for a problem that has none)."""
    if isinstance(exc, FieldValueError) and exc.code is not None:
        return DomainError(f"{what}: {exc}", code=exc.code, params=exc.params)
    return DomainError(f"{what}: {exc}", code=code, params={"detail": str(exc)})


def _unique_name(
    session: Session,
    model: type[SlaCalendarRow] | type[SlaPolicyRow],
    name: str,
    own_id: int | None = None,
) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise DomainError(
            f"name: {name!r} must be 1–100 characters",
            code="name_length",
            params={"field": "name", "max": 100},
        )
    existing = session.scalar(select(model.id).where(model.name == clean))
    if existing is not None and existing != own_id:
        raise ConflictError(f"name: {clean!r} is taken", code="name_taken", params={"name": clean})
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
        raise unknown_reference("calendar_id", "sla_calendar", d.calendar_id, "calendar")
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
