"""Schemas of the incidents router: mass incidents, links and resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from touchpoint.api.schemas.common import Id, Short, Version
from touchpoint.domain.incidents import IncidentStatus

__all__ = [
    "IncidentCreate",
    "IncidentLinkCreate",
    "IncidentPublic",
    "IncidentResolveCreate",
]


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
