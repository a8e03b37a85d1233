"""Schemas of the customers router: customers, identities, contact and transaction
cards, customer 360, merges and imports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field

from touchpoint.api.schemas.common import Id, OrmModel, Short, Text, Version
from touchpoint.api.schemas.work_orders import WorkOrderPublic
from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome, TransactionKind
from touchpoint.domain.customers import CustomerClass, CustomerKind, IdentityKind

__all__ = [
    "ContactCreate",
    "ContactPublic",
    "Customer360Public",
    "CustomerCreate",
    "CustomerPublic",
    "CustomerUpdate",
    "IdentityCreate",
    "IdentityPublic",
    "ImportPublic",
    "MergeCandidatePublic",
    "MergeCreate",
    "MergePublic",
    "Preferences",
    "TransactionCreate",
    "TransactionPublic",
]


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
    hostage_basis: dict[str, Any] | None = None
    hostage_note: str = ""
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


class ContactPublic(OrmModel):
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


class SurveyCardPublic(BaseModel):
    """An invitation (status only: no link or token) or an answer on the survey card."""

    at: datetime
    survey: str
    wave: str
    status: str
    reason: str | None
    channel: str
    work_order_id: int | None
    response_id: int | None
    submitted_at: datetime | None
    csat: int | None
    nps: int | None
    comment: str | None


class HostageClearCreate(BaseModel):
    """Why a supervisor clears the hostage flag."""

    note: Annotated[str, Field(min_length=1, max_length=2000)]


class Customer360Public(BaseModel):
    """The customer view: cards, guest history, orders."""

    customer: CustomerPublic
    preferences: dict[str, str]
    contacts: list[ContactPublic]
    transactions: list[TransactionPublic]
    open_orders: list[WorkOrderPublic]
    recent_orders: list[WorkOrderPublic]
    hostile_contacts: int
    surveys: list[SurveyCardPublic] = []


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


class MergePublic(OrmModel):
    """A merge and its undo trail."""

    id: int
    survivor_id: int
    merged_id: int
    moved: dict[str, Any]
    actor_id: int
    at: datetime
    undone_at: datetime | None


class ImportPublic(BaseModel):
    """An accepted import."""

    rows: int
    created_ids: list[int]
