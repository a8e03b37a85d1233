"""Schemas of the work-order router: orders, transfers, transitions, messages,
return visits, recovery and the timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from touchpoint.api.schemas.common import Id, OrmModel, Text, Version
from touchpoint.api.schemas.sla import SlaPublic
from touchpoint.domain.contacts import Channel
from touchpoint.domain.recovery import CompensationKind, RecoveryStep
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType

__all__ = [
    "AssignmentCreate",
    "CauseCreate",
    "CompensationCreate",
    "EventPublic",
    "JusticeCreate",
    "MessageCreate",
    "RecoveryCreate",
    "RecoveryPublic",
    "ReturnVisitCreate",
    "TransitionCreate",
    "WorkOrderCreate",
    "WorkOrderPublic",
    "WorkOrderUpdate",
]


class WorkOrderCreate(BaseModel):
    """A new work order; the caller becomes its first-contact owner."""

    customer_id: Id
    type: WorkOrderType
    channel: Channel
    subject: Annotated[str, Field(min_length=1, max_length=300)]
    priority: Priority = Priority.NORMAL
    description: Text = ""
    tier: Tier = Tier.L1
    team_id: Id | None = None
    assignee_id: Id | None = None
    policy_id: Id | None = Field(default=None, description="Default: chosen by conditions")
    incident_id: Id | None = None
    hostile: bool = False


class WorkOrderUpdate(BaseModel):
    """Changes to an order's fields (status changes go through transitions)."""

    version: Version
    subject: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    description: Text | None = None
    priority: Priority | None = None
    team_id: Id | None = None
    policy_id: Id | None = None
    hostile: bool | None = None


class AssignmentCreate(BaseModel):
    """A transfer to another agent (and tier/team)."""

    version: Version
    assignee_id: Id
    tier: Tier | None = None
    team_id: Id | None = None


class TransitionCreate(BaseModel):
    """A status change."""

    version: Version
    to: WorkOrderStatus
    note: Text = ""


class MessageCreate(BaseModel):
    """A reply, customer message or internal note on the timeline."""

    kind: str = Field(
        default="agent_reply", pattern="^(agent_reply|customer_message|internal_note)$"
    )
    body: Annotated[str, Field(min_length=1, max_length=20_000)]
    channel: Channel | None = None
    hostile: bool = False
    version: Version | None = None


class JusticeCreate(BaseModel):
    """Perceived justice on 1–5: outcome, process, treatment."""

    outcome: Annotated[int, Field(ge=1, le=5)]
    process: Annotated[int, Field(ge=1, le=5)]
    treatment: Annotated[int, Field(ge=1, le=5)]


class ReturnVisitCreate(BaseModel):
    """A return visit (回访) by phone; complaints need ``justice``. ``csat`` (1–5) and
    ``nps`` (0–10), where the customer gave them, are stored as the phone answer of the
    return-visit survey."""

    satisfied: bool
    justice: JusticeCreate | None = None
    note: Text = ""
    close: bool = Field(default=False, description="Close the order in the same step")
    version: Version | None = None
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None


class CauseCreate(BaseModel):
    """5W1H cause of a complaint."""

    what: Annotated[str, Field(min_length=1, max_length=2000)]
    why: Annotated[str, Field(min_length=1, max_length=2000)]
    who: Annotated[str, Field(max_length=2000)] = ""
    where: Annotated[str, Field(max_length=2000)] = ""
    when: Annotated[str, Field(max_length=2000)] = ""
    how: Annotated[str, Field(max_length=2000)] = ""


class CompensationCreate(BaseModel):
    """Compensation kind and amount (major units)."""

    kind: CompensationKind
    amount: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)] = Decimal(0)


class RecoveryCreate(BaseModel):
    """Create or update a complaint's service recovery."""

    step: RecoveryStep
    cause: CauseCreate | None = None
    apology: Text = ""
    remedy: Text = ""
    compensation: CompensationCreate | None = None
    notice: Text = Field(default="", description="Progress notice sent to the customer")
    version: Version | None = Field(default=None, description="Recovery version when updating")
    cause_id: Annotated[int, Field(ge=1, description="A coded complaint cause")] | None = None


class RecoveryPublic(BaseModel):
    """A complaint's recovery record."""

    id: int
    work_order_id: int
    step: RecoveryStep
    cause: dict[str, str]
    apology: str
    remedy: str
    compensation_kind: CompensationKind
    compensation_amount: Decimal
    updated_at: datetime
    version: int
    cause_id: int | None = None


class EventPublic(OrmModel):
    """A timeline event."""

    id: int
    at: datetime
    type: str
    status: str | None
    actor_id: int | None
    channel: str | None
    tag: str
    body: str


class ReturnVisitSurveyPublic(BaseModel):
    """An order's return-visit survey: its status, why it was skipped, and the answer's
    scores (no link or token: agents could answer for the customer)."""

    status: Literal["scheduled", "sent", "completed", "cancelled", "skipped"]
    reason: str | None
    csat: int | None
    nps: int | None


class WorkOrderPublic(BaseModel):
    """A work order with its SLA state (``sla`` exactly as ``sla replay`` prints it)."""

    id: int
    customer_id: int
    type: WorkOrderType
    channel: Channel
    priority: Priority
    tier: Tier
    status: WorkOrderStatus
    subject: str
    description: str
    owner_id: int
    assignee_id: int | None
    team_id: int | None
    policy_id: int | None
    incident_id: int | None
    hostile: bool
    reopen_count: int
    has_return_visit: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    sla: SlaPublic | None
    events: list[EventPublic] | None = None
    recovery_of: int | None = None
    origin_response_id: int | None = None
    return_visit_survey: ReturnVisitSurveyPublic | None = None
