"""Schemas of the five-gap report's registers: service standards and pledges."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from touchpoint.api.schemas.common import Id, OrmModel

__all__ = [
    "ServicePledgeCreate",
    "ServicePledgePublic",
    "ServiceStandardCreate",
    "ServiceStandardPublic",
]

Dimension = Annotated[str, Field(min_length=1, max_length=40)]


class ServiceStandardCreate(BaseModel):
    """A standard: a SERVQUAL ``item`` (1-22) or ``dimension`` (one of the two), its
    ``metric`` (``sla_first_response``, ``sla_next_update``, ``sla_resolution`` — then
    ``target`` is the share of orders that must meet that SLA target — or any other
    metric), the ``target`` and its ``source``."""

    item: Annotated[int | None, Field(ge=1, le=22)] = None
    dimension: Dimension | None = None
    metric: Annotated[str, Field(min_length=1, max_length=100)]
    target: Annotated[float, Field(allow_inf_nan=False)]
    source: Annotated[str, Field(min_length=1, max_length=200)]


class ServiceStandardPublic(OrmModel):
    """A standard of the register."""

    id: int
    item: int | None
    dimension: str | None
    metric: str
    target: float
    source: str
    created_by: int | None
    created_at: datetime


class ServicePledgeCreate(BaseModel):
    """A pledge (服务承诺): ``metric`` (``resolution_minutes`` or
    ``first_response_minutes``, business minutes) within ``promised_value``, for the
    orders of an optional type, channel and team; the dimension it speaks to, if any."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    metric: Annotated[str, Field(min_length=1, max_length=40)]
    promised_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    dimension: Dimension | None = None
    order_type: Annotated[str | None, Field(max_length=30)] = None
    channel: Annotated[str | None, Field(max_length=20)] = None
    team_id: Id | None = None


class ServicePledgePublic(OrmModel):
    """A pledge of the register."""

    id: int
    name: str
    metric: str
    promised_value: float
    dimension: str | None
    order_type: str | None
    channel: str | None
    team_id: int | None
    created_by: int | None
    created_at: datetime
