"""Pydantic schemas of the REST API: ``Create``/``Update``/``Public`` suffixes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome, TransactionKind
from touchpoint.domain.customers import CustomerClass, CustomerKind, IdentityKind
from touchpoint.domain.incidents import IncidentStatus
from touchpoint.domain.kpi import Shift
from touchpoint.domain.recovery import CompensationKind, RecoveryStep
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Version = Annotated[int, Field(ge=1, le=2_147_483_647, description="Version you last read")]
Short = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=20_000)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth ------------------------------------------------------------------------------------
class TokenPublic(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (OAuth2 token type, not a secret)
    role: Role
    user_id: int


class LoginCreate(BaseModel):
    """Username and password (JSON form of the token request)."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class MePublic(BaseModel):
    """The current user."""

    id: int
    username: str
    display_name: str
    role: Role
    team_ids: list[int]
    csrf_token: str | None = None


# --- users and teams -----------------------------------------------------------------------
class UserCreate(BaseModel):
    """A new user."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=8, max_length=200)]
    role: Role
    display_name: Short = ""
    email: Annotated[str | None, Field(max_length=320)] = None


class UserUpdate(BaseModel):
    """Changes to a user; ``version`` guards against lost updates."""

    version: Version
    role: Role | None = None
    display_name: Short | None = None
    email: Annotated[str | None, Field(max_length=320)] = None
    active: bool | None = None
    password: Annotated[str | None, Field(min_length=8, max_length=200)] = None


class UserPublic(_Out):
    """A user (no password hash)."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    active: bool
    version: int


class TeamCreate(BaseModel):
    """A new team."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    tier: Tier = Tier.L1
    supervisor_id: Id | None = None
    member_ids: Annotated[list[Id], Field(max_length=500)] = []


class TeamMembersUpdate(BaseModel):
    """The complete new member list."""

    version: Version
    member_ids: Annotated[list[Id], Field(max_length=500)]


class TeamPublic(BaseModel):
    """A team with its members."""

    id: int
    name: str
    tier: Tier
    supervisor_id: int | None
    member_ids: list[int]
    version: int


# --- customers -----------------------------------------------------------------------------
class IdentityCreate(BaseModel):
    """A phone number, e-mail, account number or social/app id."""

    kind: IdentityKind
    value: Annotated[str, Field(min_length=1, max_length=320)]


class IdentityPublic(BaseModel):
    """An identity; ``masked`` when the caller may not see contact details."""

    id: int
    kind: IdentityKind
    value: str
    masked: bool


Preferences = Annotated[dict[Annotated[str, Field(max_length=64)], str], Field(max_length=100)]


class CustomerCreate(BaseModel):
    """A new customer."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: CustomerKind = CustomerKind.PERSON
    customer_class: CustomerClass = CustomerClass.NORMAL
    organisation: Short = ""
    preferences: Preferences = {}
    notes: Text = ""
    identities: Annotated[list[IdentityCreate], Field(max_length=20)] = []


class CustomerUpdate(BaseModel):
    """Changes to a customer."""

    version: Version
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    kind: CustomerKind | None = None
    customer_class: CustomerClass | None = None
    organisation: Short | None = None
    preferences: Preferences | None = None
    notes: Text | None = None
    hostage: bool | None = Field(default=None, description="Hostage customer (人质客户) flag")


class CustomerPublic(BaseModel):
    """A customer as the caller may see it."""

    id: int
    kind: CustomerKind
    customer_class: CustomerClass
    name: str
    organisation: str
    preferences: dict[str, str]
    notes: str
    hostage: bool
    merged_into_id: int | None
    identities: list[IdentityPublic]
    created_at: datetime
    updated_at: datetime
    version: int


class ContactCreate(BaseModel):
    """A contact for the contact card; linking an order adds it to its timeline."""

    customer_id: Id
    channel: Channel
    direction: ContactDirection = ContactDirection.INBOUND
    touchpoint: Short = ""
    outcome: ContactOutcome = ContactOutcome.ANSWERED
    summary: Text = ""
    hostile: bool = Field(default=False, description="Hostile contact (emotional labour)")
    work_order_id: Id | None = None
    incident_id: Id | None = None
    at: AwareDatetime | None = None


class ContactPublic(_Out):
    """An entry of the contact card."""

    id: int
    customer_id: int
    channel: Channel
    direction: ContactDirection
    touchpoint: str
    agent_id: int | None
    outcome: ContactOutcome
    summary: str
    hostile: bool
    work_order_id: int | None
    incident_id: int | None
    at: datetime


class TransactionCreate(BaseModel):
    """An entry of the transaction card."""

    customer_id: Id
    kind: TransactionKind
    at: AwareDatetime
    amount: Annotated[Decimal, Field(max_digits=15, decimal_places=2)] = Decimal(0)
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "CNY"
    reference: Annotated[str, Field(max_length=100)] = ""
    description: Text = ""


class TransactionPublic(BaseModel):
    """An entry of the transaction card; ``amount`` in major units."""

    id: int
    customer_id: int
    kind: TransactionKind
    at: datetime
    amount: Decimal
    currency: str
    reference: str
    description: str


# --- SLA -----------------------------------------------------------------------------------
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


class CalendarPublic(_Out):
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


class PolicyPublic(_Out):
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


# --- work orders ---------------------------------------------------------------------------
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
    """A return visit (回访); complaints need ``justice``."""

    satisfied: bool
    justice: JusticeCreate | None = None
    note: Text = ""
    close: bool = Field(default=False, description="Close the order in the same step")
    version: Version | None = None


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


class EventPublic(_Out):
    """A timeline event."""

    id: int
    at: datetime
    type: str
    status: str | None
    actor_id: int | None
    channel: str | None
    tag: str
    body: str


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


class Customer360Public(BaseModel):
    """The customer view: cards, guest history, orders."""

    customer: CustomerPublic
    preferences: dict[str, str]
    contacts: list[ContactPublic]
    transactions: list[TransactionPublic]
    open_orders: list[WorkOrderPublic]
    recent_orders: list[WorkOrderPublic]
    hostile_contacts: int


# --- incidents -----------------------------------------------------------------------------
class IncidentCreate(BaseModel):
    """A mass incident and its announcement."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    announcement: Annotated[str, Field(min_length=1, max_length=2000)]
    area: Short = ""


class IncidentLinkCreate(BaseModel):
    """Orders and contacts to link."""

    work_order_ids: Annotated[list[Id], Field(max_length=1000)] = []
    contact_ids: Annotated[list[Id], Field(max_length=1000)] = []


class IncidentResolveCreate(BaseModel):
    """The resolution notice sent to every linked customer."""

    note: Annotated[str, Field(min_length=1, max_length=2000)]
    version: Version | None = None


class IncidentPublic(BaseModel):
    """An incident with link counts."""

    id: int
    title: str
    area: str
    announcement: str
    status: IncidentStatus
    opened_by_id: int
    opened_at: datetime
    resolved_at: datetime | None
    resolution_note: str
    version: int
    linked_orders: int
    linked_contacts: int


# --- merge ---------------------------------------------------------------------------------
class MergeCandidatePublic(BaseModel):
    """A likely duplicate pair."""

    a_id: int
    b_id: int
    score: float
    reasons: list[str]


class MergeCreate(BaseModel):
    """Merge ``merged_id`` into ``survivor_id``."""

    survivor_id: Id
    merged_id: Id


class MergePublic(_Out):
    """A merge and its undo trail."""

    id: int
    survivor_id: int
    merged_id: int
    moved: dict[str, Any]
    actor_id: int
    at: datetime
    undone_at: datetime | None


# --- imports, KPIs, webhooks ---------------------------------------------------------------
class ImportPublic(BaseModel):
    """An accepted import."""

    rows: int
    created_ids: list[int]


class KpiPublic(BaseModel):
    """KPIs of a set of orders; rates in [0, 1]."""

    model_config = ConfigDict(from_attributes=True)

    orders: int
    resolved: int
    backlog: int
    first_response_mean_minutes: float | None
    first_response_median_minutes: float | None
    resolution_mean_minutes: float | None
    resolution_median_minutes: float | None
    first_contact_resolution_rate: float | None
    resolution_rate: float | None
    reopen_rate: float | None
    complaint_rate: float | None
    sla_opportunities: int
    sla_breaches: int
    sla_compliance: float | None
    dpmo: float | None
    sigma_level: float | None


class KpiRowPublic(BaseModel):
    """One team's or agent's KPIs."""

    key: int | None
    label: str
    kpis: KpiPublic


class HostileLoadPublic(BaseModel):
    """Hostile contacts per agent and shift."""

    agent_id: int | None
    agent: str
    shift: Shift
    hostile_contacts: int


class KpiBoardPublic(BaseModel):
    """The supervisor board."""

    start: datetime
    end: datetime
    group_by: str
    overall: KpiPublic
    rows: list[KpiRowPublic]
    backlog_now: int
    breached_now: int
    incidents_opened: int
    incidents_open: int
    hostile: list[HostileLoadPublic]


class WebhookCreate(BaseModel):
    """A subscription."""

    url: Annotated[str, Field(min_length=1, max_length=500)]
    events: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]], Field(min_length=1, max_length=50)
    ]
    secret: Annotated[str, Field(max_length=200)] = ""


class WebhookPublic(_Out):
    """A subscription (secret not shown)."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class NoopPublic(BaseModel):
    """The no-op answer."""

    ok: bool = True
