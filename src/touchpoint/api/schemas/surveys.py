"""Schemas of the surveys router: surveys, waves, invitations and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from touchpoint.api.schemas.common import Id, Version

__all__ = [
    "ChannelCountsPublic",
    "InvitationCreate",
    "InvitationPublic",
    "InvitationResultPublic",
    "KanoFeature",
    "LoopPublic",
    "QuotaCreate",
    "QuotaPublic",
    "SkippedPublic",
    "SurveyCreate",
    "SurveyPublic",
    "SurveyUpdate",
    "WaveCreate",
    "WavePublic",
]

Name = Annotated[str, Field(min_length=1, max_length=200)]


class KanoFeature(BaseModel):
    """A feature of a Kano survey: its column key and its wording in zh-CN and en."""

    key: Annotated[str, Field(min_length=1, max_length=40)]
    label: dict[str, str]


class SurveyCreate(BaseModel):
    """A survey from a built-in ``template`` (``features`` for ``kano``) or from a
    ``definition`` of one's own (see ``touchpoint.domain.survey_definition``)."""

    name: Name
    template: str | None = None
    features: Annotated[list[KanoFeature], Field(max_length=200)] | None = None
    definition: dict[str, Any] | None = None


class SurveyUpdate(BaseModel):
    """A new name or a new definition (a new version); ``version`` guards the edit."""

    name: Name | None = None
    definition: dict[str, Any] | None = None
    version: Version | None = None


class SurveyPublic(BaseModel):
    """A survey: its current version, the answerable items flat in export order, and the
    whole definition."""

    id: int
    name: str
    version: int
    template: str | None
    questions: list[dict[str, Any]]
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class QuotaCreate(BaseModel):
    """At most ``limit`` completed responses whose ``segment`` (customer_class, region —
    the customer's ``region`` preference —, channel) is ``value``."""

    segment: Literal["customer_class", "region", "channel"]
    value: Annotated[str, Field(min_length=1, max_length=100)]
    limit: Annotated[int, Field(ge=1)]


class QuotaPublic(BaseModel):
    """A quota and how many completed responses fill it so far."""

    segment: str
    value: str
    limit: int
    completed: int


class WaveCreate(BaseModel):
    """A wave: how long each invitation's link stays valid, an optional reminder after
    some days, the competitor a five-element survey compares with."""

    name: Name
    expires_in_days: Annotated[int, Field(ge=1, le=365)] = 14
    reminder_days: Annotated[int, Field(ge=1, le=364)] | None = None
    competitor: Annotated[str, Field(max_length=200)] = ""
    quotas: Annotated[list[QuotaCreate], Field(max_length=200)] = []


class ChannelCountsPublic(BaseModel):
    """A wave's invitations through one channel."""

    channel: str
    invited: int
    opened: int
    partial: int
    completed: int
    cancelled: int
    reminded: int
    response_rate: float | None


class WavePublic(BaseModel):
    """A wave and its counts; ``response_rate`` = completed / invited (AAPOR RR1),
    ``null`` while nobody was invited. ``kiosk_url`` is shown to those who may invite."""

    id: int
    survey_id: int
    survey_version: int
    name: str
    status: str
    expires_in_days: int
    reminder_days: int | None
    competitor: str
    invited: int
    completed: int
    response_rate: float | None
    responses: int
    channels: list[ChannelCountsPublic]
    quotas: list[QuotaPublic]
    kiosk_url: str | None
    created_at: datetime
    closed_at: datetime | None
    version: int


class InvitationCreate(BaseModel):
    """Customers to invite and the channel; ``ignore_throttle`` invites customers asked
    within the recontact days too."""

    customer_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)]
    channel: Literal["link", "email", "sms"]
    ignore_throttle: bool = False


class InvitationPublic(BaseModel):
    """An issued invitation; ``url`` is empty for roles that may not invite."""

    id: int
    customer_id: int | None
    channel: str
    url: str
    expires_at: datetime
    status: str
    address: str = ""
    opened_at: datetime | None = None
    reminded_at: datetime | None = None


class SkippedPublic(BaseModel):
    """A customer not invited, and why."""

    customer_id: int
    reason: Literal[
        "throttled", "no_address", "opted_out", "already_invited", "unknown_customer", "quota_full"
    ]


class InvitationResultPublic(BaseModel):
    """What one invitation call issued and whom it skipped."""

    invitations: list[InvitationPublic]
    skipped: list[SkippedPublic]


class LoopPublic(BaseModel):
    """Service-recovery loops of the detractor answers of a period (``GET /api/loop``)."""

    triggered: int
    closed: int
    closed_within_target: int
    median_business_hours_to_close: float | None
    resurveyed: int
    recovered: int
    recovery_rate: float | None
