"""Schemas of the admin router: users, teams, webhook subscriptions and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from touchpoint.api.schemas.common import Id, OrmModel, Short, Version
from touchpoint.domain.roles import Role
from touchpoint.domain.webhook_events import WEBHOOK_EVENTS
from touchpoint.domain.work_orders import Tier

__all__ = [
    "AuditEntryPublic",
    "OutboxMessagePublic",
    "OutboxRetry",
    "OutboxRetryPublic",
    "TeamCreate",
    "TeamMembersUpdate",
    "TeamPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "WebhookCreate",
    "WebhookPublic",
]


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


class UserPublic(OrmModel):
    """A user (no password hash)."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    active: bool
    version: int
    failed_logins: int = Field(description="Consecutive failed logins since the last success")
    locked_until: datetime | None = Field(
        description="While in the future: logins refused (too many failures) until then"
    )


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


class WebhookCreate(BaseModel):
    """A subscription."""

    url: Annotated[str, Field(min_length=1, max_length=500)]
    events: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]],
        Field(
            min_length=1,
            max_length=50,
            description="the events to post, or * for every event; the desk announces: "
            + ", ".join(WEBHOOK_EVENTS),
        ),
    ]
    secret: Annotated[str, Field(max_length=200)] = ""


class WebhookPublic(OrmModel):
    """A subscription (secret not shown)."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class AuditEntryPublic(BaseModel):
    """One audit entry: who (``actor``: ``system`` for the desk's own writes) did what
    (``action``) to which record, when, the record before and after, and the fields that
    differ between them."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed: list[str]


class OutboxMessagePublic(BaseModel):
    """An outbox message's envelope (never its body: it may hold a survey link). ``state``:
    ``pending`` (still tried), ``failed`` (given up after 5 failed deliveries), ``sent``."""

    id: int
    created_at: datetime
    channel: str
    target: str
    event: str
    state: str
    attempts: int
    last_error: str
    sent_at: datetime | None


class OutboxRetry(BaseModel):
    """Which failed messages to try again (none given: every failed one)."""

    ids: Annotated[list[Id] | None, Field(max_length=1000)] = None


class OutboxRetryPublic(BaseModel):
    """How many failed messages were set going again."""

    retried: int
