"""SQLAlchemy 2 typed models of the service desk.

Enumerations are stored as their string values (validated by the domain enums), so
that the same schema works on SQLite and PostgreSQL. Mutable aggregates carry a
``version`` column used for optimistic concurrency (``version_id_col``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from touchpoint.storage.types import UtcDateTime

__all__ = [
    "AuditEntry",
    "Base",
    "ComplaintCause",
    "Contact",
    "Customer",
    "CustomerIdentity",
    "Escalation",
    "Incident",
    "LoginFailure",
    "OrderKpiChange",
    "OrderKpiFacts",
    "OutboxMessage",
    "Recovery",
    "ReturnVisit",
    "SlaCalendarRow",
    "SlaPolicyRow",
    "Team",
    "TeamMember",
    "Transaction",
    "User",
    "Versioned",
    "Webhook",
    "WorkOrder",
    "WorkOrderEvent",
]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDict = dict[str, Any]


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (for Alembic)."""

    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        JsonDict: JSON(),
        list[Any]: JSON(),
    }


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        """Tell the mapper to use ``version`` as the version counter."""
        return {"version_id_col": cls.version}


class User(Versioned, Base):
    """A desk user with one role; ``auth_epoch`` invalidates issued tokens when bumped."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    # Login throttling (services.login): consecutive failed logins, and the instant a
    # lock after too many of them ends. Written with plain UPDATEs, which leave
    # ``version`` alone: a wrong password is no edit of the user.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]


class LoginFailure(Base):
    """One failed login from a client address: the rows of the last few minutes tell
    whether that address must wait (``services.login``); older rows are pruned."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_address_at", "address", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class Team(Versioned, Base):
    """A team with a tier and a supervisor; orders queue per team."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tier: Mapped[str] = mapped_column(String(10), default="L1")
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TeamMember(Base):
    """Membership of a user in a team."""

    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Customer(Versioned, Base):
    """A person or organisation; ``merged_into_id`` is set while merged away."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="person")
    customer_class: Mapped[str] = mapped_column(String(20), default="normal")
    name: Mapped[str] = mapped_column(String(200), index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    preferences: Mapped[JsonDict] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    hostage: Mapped[bool] = mapped_column(Boolean, default=False)
    # The hostage rule (``services.hostage``): its inputs when last read, a supervisor's
    # note when clearing the flag, and the last survey response the rule has seen.
    hostage_basis: Mapped[JsonDict | None]
    hostage_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    hostage_checked_response_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", order_by="CustomerIdentity.id", lazy="selectin"
    )


class CustomerIdentity(Base):
    """A phone, e-mail, account number or social id, with its normalised form."""

    __tablename__ = "customer_identities"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    normalised: Mapped[str] = mapped_column(String(320))
    customer: Mapped[Customer] = relationship(back_populates="identities")
    __table_args__ = (Index("ix_customer_identities_lookup", "kind", "normalised"),)


def _partial_index(table: str, column: str) -> Index:
    """An index of ``column``'s non-NULL values, named as ``index=True`` would name it."""
    rows = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, sqlite_where=rows, postgresql_where=rows)


class Incident(Versioned, Base):
    """A mass incident (e.g. an outage) with its announcement."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(200), default="")
    announcement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text, default="")


class SlaCalendarRow(Versioned, Base):
    """A business calendar stored in issue 6's JSON shape."""

    __tablename__ = "sla_calendars"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[JsonDict]


class SlaPolicyRow(Versioned, Base):
    """An SLA policy (issue 6's JSON), its calendar and the conditions that select it."""

    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[JsonDict]
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id"))
    rank: Mapped[int] = mapped_column(Integer, default=100)
    types: Mapped[list[Any]] = mapped_column(default=list)
    priorities: Mapped[list[Any]] = mapped_column(default=list)
    customer_classes: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    warn_share: Mapped[float] = mapped_column(default=0.8)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the desk itself uses the policy for (``service_recovery``): found by it, so
    # that its name is the supervisors' to change; one policy per purpose.
    purpose: Mapped[str | None] = mapped_column(String(30))
    __table_args__ = (Index("uq_sla_policies_purpose", "purpose", unique=True),)


class WorkOrder(Versioned, Base):
    """A work order; ``owner_id`` is the first-contact owner, ``assignee_id`` the current one.

    ``sla_next_escalation_at`` and ``sla_breached`` are caches of the last SLA replay,
    kept for sweeps and queue sorting; the timeline is the source of truth.

    The ``sla_step_due_*`` columns and ``sla_steps_taken`` are the escalation sweep's
    memory of the steps it recorded, so that it need not re-read every escalation row:
    per target, the due instant (UTC epoch seconds) its recorded steps belong to, and
    bit ``2 * target + level`` set for each level taken for that instant (targets
    first_response, next_update, resolution = 0, 1, 2; warning, breach = 0, 1). The
    ``escalations`` rows stay the record; a step missing here is looked up there.
    """

    __tablename__ = "work_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str] = mapped_column(String(10), default="L1")
    status: Mapped[str] = mapped_column(String(30), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    hostile: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    has_return_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sla_next_escalation_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_step_due_first_response: Mapped[int | None] = mapped_column(BigInteger)
    sla_step_due_next_update: Mapped[int | None] = mapped_column(BigInteger)
    sla_step_due_resolution: Mapped[int | None] = mapped_column(BigInteger)
    sla_steps_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A service-recovery order opened by a detractor's survey answer (``services.recovery_loop``):
    # the surveyed order (None for a survey not tied to an order) and the response. Plain
    # columns (added in place by migration 0011); the unique index on the response makes
    # a second recovery order for one answer impossible.
    recovery_of: Mapped[int | None] = mapped_column(Integer)
    origin_response_id: Mapped[int | None] = mapped_column(Integer)

    # Partial (migrations 0003, 0019): most orders open unassigned, outside any incident
    # and not for a service recovery; each index a new row enters is one more page in its
    # commit, and SQLite's statistics take a full index's NULLs for one value shared by
    # every order. Every query on these columns asks for a value (``= ?``), which implies
    # NOT NULL: the index serves.
    __table_args__ = (
        _partial_index("work_orders", "assignee_id"),
        _partial_index("work_orders", "incident_id"),
        _partial_index("work_orders", "recovery_of"),
        Index(
            "uq_work_orders_origin_response_id",
            "origin_response_id",
            unique=True,
            sqlite_where=text("origin_response_id IS NOT NULL"),
            postgresql_where=text("origin_response_id IS NOT NULL"),
        ),
    )


class WorkOrderEvent(Base):
    """One timeline event of an order (issue 6's types) with its text and author."""

    __tablename__ = "work_order_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str | None] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str | None] = mapped_column(String(20))
    tag: Mapped[str] = mapped_column(String(40), default="")
    body: Mapped[str] = mapped_column(Text, default="")


class OrderKpiFacts(Base):
    """What the KPI board needs of one order (``domain.kpi.StandingFacts``), as computed
    for one version of the order (``order_version``) under its SLA policy's and
    calendar's definitions as they then stood (``sla_stamp``, a digest of both; null
    without a policy): the board trusts a row only while its order is not listed in
    ``work_order_kpi_changes`` and its digest still matches, and replays the order
    itself otherwise (``services.kpi_facts``).

    ``policy_id``, ``team_id``, ``assignee_id`` and ``owner_id`` are the order's at that
    version (the board groups and filters by them without reading the order);
    ``tally_code`` packs the yes/no facts, counts and minutes into one integer
    (``services.kpi_facts.tally_code``). ``*_breach_at``: the UTC epoch second after
    which a pending target counts as breached (rule 9), null when it never will without
    a new event, stored ascending; the breaches already in the history are in
    ``targets_breached``. Written by the desk clock's facts sweep, never by an order's
    write.
    """

    __tablename__ = "work_order_kpi_facts"
    __table_args__ = (
        # A period's facts, read from the index alone.
        Index(
            "ix_work_order_kpi_facts_board",
            "created_at",
            "team_id",
            "assignee_id",
            "owner_id",
            "tally_code",
        ),
        Index(
            "ix_work_order_kpi_facts_pending",
            "created_at",
            sqlite_where=text("first_response_breach_at IS NOT NULL"),
            postgresql_where=text("first_response_breach_at IS NOT NULL"),
        ),
        Index("ix_work_order_kpi_facts_sla", "policy_id", "sla_stamp"),
    )
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    order_version: Mapped[int] = mapped_column(Integer)
    sla_stamp: Mapped[int | None] = mapped_column(BigInteger)
    # The order's creation (which no write changes): a period's facts are found by it.
    created_at: Mapped[datetime]
    policy_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    tally_code: Mapped[int] = mapped_column(BigInteger)
    is_complaint: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean)
    reopened: Mapped[bool] = mapped_column(Boolean)
    first_contact_resolution: Mapped[bool] = mapped_column(Boolean)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    targets_tracked: Mapped[int] = mapped_column(Integer)
    targets_breached: Mapped[int] = mapped_column(Integer)
    first_response_breach_at: Mapped[int | None] = mapped_column(BigInteger)
    next_update_breach_at: Mapped[int | None] = mapped_column(BigInteger)
    resolution_breach_at: Mapped[int | None] = mapped_column(BigInteger)


class OrderKpiChange(Base):
    """An order created or changed since its KPI facts row was written, and the version
    it was written at: kept by triggers on ``work_orders`` (revision 0016) in the
    order's own transaction, removed by the facts sweep once it stored facts for that
    version."""

    __tablename__ = "work_order_kpi_changes"
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer)


class Contact(Base):
    """An entry of the contact card: one contact on one channel."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    touchpoint: Mapped[str] = mapped_column(String(200), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(30), default="answered")
    summary: Mapped[str] = mapped_column(Text, default="")
    hostile: Mapped[bool] = mapped_column(Boolean, default=False)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


# The KPI board's hostile contacts of a period (``services.kpi``): hostile contacts are
# few, so the index holds only them and costs other contacts' writes nothing.
Index(
    "ix_contacts_hostile_at",
    Contact.at,
    sqlite_where=text("hostile IS 1"),
    postgresql_where=text("hostile IS true"),
)


class Transaction(Base):
    """An entry of the transaction card; amounts in minor units (fen, cents)."""

    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(100), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    description: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class ReturnVisit(Base):
    """A return visit (回访) after resolution, with perceived-justice scores."""

    __tablename__ = "return_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    satisfied: Mapped[bool] = mapped_column(Boolean)
    outcome_justice: Mapped[int | None] = mapped_column(Integer)
    process_justice: Mapped[int | None] = mapped_column(Integer)
    treatment_justice: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class Recovery(Versioned, Base):
    """Service recovery of a complaint: cause (5W1H), apology, remedy, compensation."""

    __tablename__ = "recoveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    cause: Mapped[JsonDict] = mapped_column(default=dict)
    apology: Mapped[str] = mapped_column(Text, default="")
    remedy: Mapped[str] = mapped_column(Text, default="")
    compensation_kind: Mapped[str] = mapped_column(String(20), default="none")
    compensation_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    step: Mapped[str] = mapped_column(String(20), default="cool_down")
    updated_at: Mapped[datetime]
    # The coded cause (``ComplaintCause``), beside the free 5W1H text.
    cause_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ComplaintCause(Versioned, Base):
    """A cause of complaints, from the list supervisors keep (zh-CN and en), which codes
    each recovery's cause for the outer loop (fix the cause, not only the customer)."""

    __tablename__ = "complaint_causes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_zh: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Escalation(Base):
    """A warning or escalation taken for one target's due time (makes sweeps idempotent)."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    target: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime]
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        UniqueConstraint("work_order_id", "target", "level", "due_at", name="uq_escalation_once"),
    )


class AuditEntry(Base):
    """Who did what to which entity, with before/after JSON, at which instant. Read newest
    first, a page at a time, all or of one action or one entity (revision 0018's
    indexes; ``services.audit_reads``)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_entity_id", "entity", "entity_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    before: Mapped[JsonDict | None] = mapped_column(JSON)
    after: Mapped[JsonDict | None] = mapped_column(JSON)


class Webhook(Base):
    """A webhook subscription: events (e.g. ``work_order.opened``) POSTed to ``url``."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """A notification written in the same transaction as its write, sent after commit."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[JsonDict]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
