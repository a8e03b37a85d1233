"""The five-gap report's registers (DOMAIN.md §3.2): the service standards management
has set and the service pledges (服务承诺) made to customers. Supervisors and admins add
entries (one write, one audit row each); analysts, supervisors and admins read them.

A standard serves one SERVQUAL item (1-22) or one dimension. Its metric is one of the
desk's SLA targets (:data:`SLA_METRICS`: the target is the share of orders that must meet
it, from 0 to 1), measured by the gap report from the desk, or any other metric named
freely (kept in the register: it covers its items for gap 2, but the desk cannot
measure it for gap 3). A pledge promises a value of :data:`PLEDGE_METRICS` (business
minutes) for the orders of an optional type, channel and team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel
from touchpoint.domain.errors import DomainError, empty_field, unknown_reference
from touchpoint.domain.work_orders import WorkOrderType
from touchpoint.quality.servqual import SERVQUAL_ITEMS
from touchpoint.services.base import Actor, require, snapshot, write
from touchpoint.storage.gap_models import ServicePledge, ServiceStandard
from touchpoint.storage.models import Team

__all__ = [
    "PLEDGE_METRICS",
    "SLA_METRICS",
    "PledgeDraft",
    "StandardDraft",
    "create_pledge",
    "create_standard",
    "list_pledges",
    "list_standards",
]

#: Standard metrics the desk measures: the share of orders meeting that SLA target.
SLA_METRICS: Final = {
    "sla_first_response": "first_response",
    "sla_next_update": "next_update",
    "sla_resolution": "resolution",
}
#: What a pledge may promise: business minutes to the first response or to resolution.
PLEDGE_METRICS: Final = ("first_response_minutes", "resolution_minutes")


@dataclass(frozen=True, slots=True)
class StandardDraft:
    """A standard to add: ``item`` (1-22) or ``dimension`` (one of the two)."""

    metric: str
    target: float
    source: str
    item: int | None = None
    dimension: str | None = None


@dataclass(frozen=True, slots=True)
class PledgeDraft:
    """A pledge to add; the order filter (type, channel, team) is optional."""

    name: str
    metric: str
    promised_value: float
    dimension: str | None = None
    order_type: str | None = None
    channel: str | None = None
    team_id: int | None = None


def _dimension(value: str | None) -> str | None:
    if value is not None and value not in SERVQUAL_ITEMS:
        raise DomainError(f"dimension: {value!r} is not one of {', '.join(SERVQUAL_ITEMS)}")
    return value


def _check_standard(draft: StandardDraft) -> None:
    if (draft.item is None) == (draft.dimension is None):
        raise DomainError("item, dimension: name exactly one of a SERVQUAL item or a dimension")
    if draft.item is not None and not 1 <= draft.item <= 22:
        raise DomainError(f"item: {draft.item} is not a SERVQUAL item (1-22)")
    _dimension(draft.dimension)
    if not draft.metric.strip():
        raise empty_field("metric")
    if not draft.source.strip():
        raise empty_field("source")
    if draft.metric in SLA_METRICS and not 0.0 <= draft.target <= 1.0:
        raise DomainError(f"target: {draft.target} must be a share from 0 to 1 for {draft.metric}")


def create_standard(
    session: Session, actor: Actor, draft: StandardDraft, *, now: datetime
) -> ServiceStandard:
    """Add a standard to the register."""
    require(actor, actor.role.can_supervise, "keep the service standards")
    _check_standard(draft)
    with write(session, actor, "service_standard.create", now=now) as unit:
        standard = ServiceStandard(
            item=draft.item,
            dimension=draft.dimension,
            metric=draft.metric.strip(),
            target=float(draft.target),
            source=draft.source.strip(),
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(standard)
        session.flush()
        unit.audit("service_standard", standard.id, before=None, after=snapshot(standard))
    return standard


def _check_pledge(session: Session, draft: PledgeDraft) -> None:
    if not draft.name.strip():
        raise empty_field("name")
    if draft.metric not in PLEDGE_METRICS:
        raise DomainError(f"metric: {draft.metric!r} is not one of {', '.join(PLEDGE_METRICS)}")
    if not draft.promised_value > 0:
        raise DomainError(f"promised_value: {draft.promised_value} must be above 0")
    _dimension(draft.dimension)
    if draft.order_type is not None and draft.order_type not in set(WorkOrderType):
        raise DomainError(f"order_type: {draft.order_type!r} is not an order type")
    if draft.channel is not None and draft.channel not in set(Channel):
        raise DomainError(f"channel: {draft.channel!r} is not a channel")
    if draft.team_id is not None and session.get(Team, draft.team_id) is None:
        raise unknown_reference("team_id", "team", draft.team_id)


def create_pledge(
    session: Session, actor: Actor, draft: PledgeDraft, *, now: datetime
) -> ServicePledge:
    """Add a pledge to the register."""
    require(actor, actor.role.can_supervise, "keep the service pledges")
    _check_pledge(session, draft)
    with write(session, actor, "service_pledge.create", now=now) as unit:
        pledge = ServicePledge(
            name=draft.name.strip(),
            metric=draft.metric,
            promised_value=float(draft.promised_value),
            dimension=draft.dimension,
            order_type=draft.order_type,
            channel=draft.channel,
            team_id=draft.team_id,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(pledge)
        session.flush()
        unit.audit("service_pledge", pledge.id, before=None, after=snapshot(pledge))
    return pledge


def list_standards(session: Session, actor: Actor) -> list[ServiceStandard]:
    """The standards, oldest first."""
    require(actor, actor.role.can_read_reports, "read the service standards")
    return list(session.scalars(select(ServiceStandard).order_by(ServiceStandard.id)))


def list_pledges(session: Session, actor: Actor) -> list[ServicePledge]:
    """The pledges, oldest first."""
    require(actor, actor.role.can_read_reports, "read the service pledges")
    return list(session.scalars(select(ServicePledge).order_by(ServicePledge.id)))
