"""The outer loop: the coded complaint causes supervisors keep, and complaints and
detractor loops by cause, team and month with repeat complainants."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from touchpoint.api.deps import IdPath, ReaderDesk, ReporterDesk, SupervisorDesk
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas.common import Version
from touchpoint.services import outer_loop

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["outer loop"], responses=ERROR_RESPONSES)

Label = Annotated[str, Field(min_length=1, max_length=200)]


class ComplaintCauseCreate(BaseModel):
    """A cause of complaints: a code and its zh-CN and English labels."""

    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
    label_zh: Label
    label_en: Label


class ComplaintCauseUpdate(BaseModel):
    """New labels, or a retired cause (``active`` false); ``version`` guards the edit."""

    label_zh: Label
    label_en: Label
    active: bool = True
    version: Version | None = None


class ComplaintCausePublic(BaseModel):
    """A cause of the list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    label_zh: str
    label_en: str
    active: bool
    created_at: datetime
    version: int


class OuterLoopRowPublic(BaseModel):
    """Complaints of one month (local ``YYYY-MM``), coded cause (null: not coded) and team."""

    month: str
    cause: str | None
    team_id: int | None
    complaints: int
    detractor_loops: int
    repeat_complainants: int


@router.get("/complaint-causes", response_model=list[ComplaintCausePublic])
def list_causes(d: ReaderDesk, active_only: bool = False) -> list[ComplaintCausePublic]:
    """The coded causes, by code."""
    causes = outer_loop.list_causes(d.session, active_only=active_only)
    return [ComplaintCausePublic.model_validate(c) for c in causes]


@router.post("/complaint-causes", response_model=ComplaintCausePublic, status_code=201)
def create_cause(body: ComplaintCauseCreate, d: SupervisorDesk) -> ComplaintCausePublic:
    """Add a cause to the list."""
    cause = outer_loop.create_cause(
        d.session,
        d.actor,
        code=body.code,
        label_zh=body.label_zh,
        label_en=body.label_en,
        now=d.now,
    )
    return ComplaintCausePublic.model_validate(cause)


@router.patch("/complaint-causes/{cause_id}", response_model=ComplaintCausePublic)
def update_cause(
    cause_id: IdPath, body: ComplaintCauseUpdate, d: SupervisorDesk
) -> ComplaintCausePublic:
    """Reword or retire a cause (409 on a stale version)."""
    cause = outer_loop.update_cause(
        d.session,
        d.actor,
        cause_id,
        label_zh=body.label_zh,
        label_en=body.label_en,
        active=body.active,
        version=body.version,
        now=d.now,
    )
    return ComplaintCausePublic.model_validate(cause)


@router.get("/complaints/outer-loop", response_model=list[OuterLoopRowPublic])
def outer_loop_report(
    d: ReporterDesk,
    start: Annotated[date, Query(alias="from", description="First date (YYYY-MM-DD)")],
    end: Annotated[date, Query(alias="to", description="Last date, inclusive")],
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone; default the desk's"),
    ] = None,
) -> list[OuterLoopRowPublic]:
    """Complaints opened in the period by month, coded cause and team: how many, how many
    were detractor loops, how many repeat complainants (within 90 days)."""
    rows = outer_loop.outer_loop(
        d.session, d.actor, start=start, end=end, tz=tz or d.state.time_zone
    )
    return [
        OuterLoopRowPublic(
            month=r.month,
            cause=r.cause,
            team_id=r.team_id,
            complaints=r.complaints,
            detractor_loops=r.detractor_loops,
            repeat_complainants=r.repeat_complainants,
        )
        for r in rows
    ]
