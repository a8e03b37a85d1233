"""The closed loop's metrics: how many detractor answers opened recovery orders, how
many of those closed (within target, in how many business hours), re-surveyed and
recovered."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from touchpoint.api.deps import ReporterDesk
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas.surveys import LoopPublic
from touchpoint.services import loop_metrics

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["surveys"], responses=ERROR_RESPONSES)


@router.get("/loop", response_model=LoopPublic)
def loop(
    d: ReporterDesk,
    start: Annotated[date, Query(alias="from", description="First date (YYYY-MM-DD)")],
    end: Annotated[date, Query(alias="to", description="Last date, inclusive")],
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone; default the desk's"),
    ] = None,
) -> LoopPublic:
    """Loops of the detractor answers submitted from ``from`` to ``to`` (local dates of
    ``tz``, both inclusive): triggered, closed, closed within the SLA resolution target,
    median business hours from the answer to the resolution, re-surveyed, recovered."""
    metrics = loop_metrics.loop_metrics(
        d.session, d.actor, start=start, end=end, tz=tz or d.state.time_zone, now=d.now
    )
    return LoopPublic(
        triggered=metrics.triggered,
        closed=metrics.closed,
        closed_within_target=metrics.closed_within_target,
        median_business_hours_to_close=metrics.median_business_hours_to_close,
        resurveyed=metrics.resurveyed,
        recovered=metrics.recovered,
        recovery_rate=metrics.recovery_rate,
    )
