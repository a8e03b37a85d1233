"""The five-gap report (DOMAIN.md §3.2) and its registers: service standards and
service pledges (supervisors and admins write; analysts, supervisors and admins read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from touchpoint.api.deps import ReporterDesk, SupervisorDesk
from touchpoint.api.errors import SURVEY_RESPONSES
from touchpoint.api.schemas.gap_report import GapReportPublic
from touchpoint.api.schemas.gaps import (
    ServicePledgeCreate,
    ServicePledgePublic,
    ServiceStandardCreate,
    ServiceStandardPublic,
)
from touchpoint.domain.errors import DomainError
from touchpoint.engine.documents import finite
from touchpoint.services import gap_registers, gaps
from touchpoint.services.snapshots import to_jsonable
from touchpoint.services.wave_analysis import dimension_weights

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["gaps"], responses=SURVEY_RESPONSES)
WaveId = Annotated[int, Query(ge=1, le=2_147_483_647)]


@router.get("/service-standards", response_model=list[ServiceStandardPublic])
def list_standards(d: ReporterDesk) -> list[ServiceStandardPublic]:
    """The service standards, oldest first."""
    rows = gap_registers.list_standards(d.session, d.actor)
    return [ServiceStandardPublic.model_validate(s) for s in rows]


@router.post("/service-standards", response_model=ServiceStandardPublic, status_code=201)
def create_standard(body: ServiceStandardCreate, d: SupervisorDesk) -> ServiceStandardPublic:
    """Add a service standard to the register."""
    draft = gap_registers.StandardDraft(**body.model_dump())
    standard = gap_registers.create_standard(d.session, d.actor, draft, now=d.now)
    return ServiceStandardPublic.model_validate(standard)


@router.get("/service-pledges", response_model=list[ServicePledgePublic])
def list_pledges(d: ReporterDesk) -> list[ServicePledgePublic]:
    """The service pledges, oldest first."""
    rows = gap_registers.list_pledges(d.session, d.actor)
    return [ServicePledgePublic.model_validate(p) for p in rows]


@router.post("/service-pledges", response_model=ServicePledgePublic, status_code=201)
def create_pledge(body: ServicePledgeCreate, d: SupervisorDesk) -> ServicePledgePublic:
    """Add a service pledge to the register."""
    draft = gap_registers.PledgeDraft(**body.model_dump())
    pledge = gap_registers.create_pledge(d.session, d.actor, draft, now=d.now)
    return ServicePledgePublic.model_validate(pledge)


# GapReportPublic documents the answer; the report is sent as built (no re-validation).
@router.get("/gaps", response_model=None, responses={200: {"model": GapReportPublic}})
def gap_report(
    d: ReporterDesk,
    customer_wave: WaveId,
    manager_wave: WaveId | None = None,
    start: Annotated[date | None, Query(alias="from", description="First date")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last date, inclusive")] = None,
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone; default the desk's"),
    ] = None,
    weights: Annotated[str | None, Query(max_length=4000)] = None,
) -> dict[str, Any]:
    """The five-gap report: gap 5 from the customer wave (SERVQUAL P - E), gap 1 from the
    managers' wave (their E - the customers' E), gap 2 from the standards register
    (high-importance items without a standard; ``weights``: a JSON object of dimension
    weights, e.g. AHP's, instead of the customers' E means), gaps 3 and 4 from the
    desk's orders created ``from``-``to`` (compliance with the standards' SLA metrics;
    each pledge against the delivered minutes), with the largest gap named."""
    if (start is None) != (end is None):
        raise DomainError("from, to: give both dates of the period, or neither")
    period = (
        None
        if start is None or end is None
        else gaps.GapPeriod(start, end, tz or d.state.time_zone)
    )
    report = gaps.gap_report(
        d.session,
        d.actor,
        customer_wave=customer_wave,
        manager_wave=manager_wave,
        period=period,
        weights=dimension_weights(weights),
        now=d.now,
        snapshots=d.state.snapshots,
    )
    return dict(finite(to_jsonable(report)))
