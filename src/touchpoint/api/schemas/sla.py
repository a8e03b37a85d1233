"""Schemas of the SLA router (calendars, policies, escalation sweeps) and of an
order's SLA state, exactly as ``touchpoint sla replay`` prints it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from touchpoint.api.schemas.common import Id, OrmModel, Version
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.work_orders import Priority, WorkOrderType

__all__ = [
    "CalendarCreate",
    "CalendarPublic",
    "CalendarUpdate",
    "EscalationRunPublic",
    "PolicyCreate",
    "PolicyPublic",
    "PolicyUpdate",
    "SlaNextUpdatePublic",
    "SlaPublic",
    "SlaTargetPublic",
]


class SlaTargetPublic(BaseModel):
    """One target exactly as ``touchpoint sla replay`` prints it."""

    target_minutes: int
    due_at: str | None
    met_at: str | None
    used_minutes: int | None
    left_minutes: int | None
    breached: bool


class SlaNextUpdatePublic(SlaTargetPublic):
    """The next-update target, which adds the start of its running clock."""

    started_at: str | None


class SlaPublic(BaseModel):
    """An order's SLA state exactly as ``touchpoint sla replay`` prints it."""

    model_config = ConfigDict(extra="allow")

    status: str
    paused: bool
    paused_since: str | None
    next_escalation_at: str | None
    first_response: SlaTargetPublic | None
    next_update: SlaNextUpdatePublic | None
    resolution: SlaTargetPublic | None


class CalendarCreate(BaseModel):
    """A business calendar in issue 6's JSON shape."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    definition: dict[str, Any] = Field(
        description='{"timezone", "hours": {"mon": [["08:30","12:00"]], …}, "holidays", '
        '"special_days"}'
    )


class CalendarUpdate(BaseModel):
    """Changes to a calendar."""

    version: Version
    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    definition: dict[str, Any] | None = None


class CalendarPublic(OrmModel):
    """A stored calendar."""

    id: int
    name: str
    definition: dict[str, Any]
    version: int


class PolicyCreate(BaseModel):
    """An SLA policy (issue 6's JSON) and its selection conditions (empty = any)."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    definition: dict[str, Any] = Field(
        description='{"first_response_minutes", "next_update_minutes", "next_update_from", '
        '"resolution_minutes"}'
    )
    calendar_id: Id
    rank: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    types: Annotated[list[WorkOrderType], Field(max_length=10)] = []
    priorities: Annotated[list[Priority], Field(max_length=10)] = []
    customer_classes: Annotated[list[CustomerClass], Field(max_length=10)] = []
    channels: Annotated[list[Channel], Field(max_length=10)] = []
    warn_share: Annotated[float, Field(gt=0, lt=1)] = 0.8
    active: bool = True


class PolicyUpdate(PolicyCreate):
    """A policy's new content."""

    version: Version


class PolicyPublic(OrmModel):
    """A stored policy."""

    id: int
    name: str
    definition: dict[str, Any]
    calendar_id: int
    rank: int
    types: list[WorkOrderType]
    priorities: list[Priority]
    customer_classes: list[CustomerClass]
    channels: list[Channel]
    warn_share: float
    active: bool
    version: int


class EscalationRunPublic(BaseModel):
    """What an escalation sweep did."""

    orders_checked: int
    warnings: int
    breaches: int
    tier_ups: int
    steps: list[dict[str, Any]]
