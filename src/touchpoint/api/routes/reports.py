"""KPI board and audited exports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from touchpoint.api.convert import kpi_board_public
from touchpoint.api.deps import ReporterDesk
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import KpiBoardPublic
from touchpoint.services import exports, kpi

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["reports"], responses=ERROR_RESPONSES)

_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}}


@router.get("/kpi", response_model=KpiBoardPublic)
def kpi_board(
    d: ReporterDesk,
    start: datetime,
    end: datetime,
    group_by: kpi.GroupBy = kpi.GroupBy.TEAM,
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone; default the desk's"),
    ] = None,
) -> KpiBoardPublic:
    """KPIs per team or agent for orders created in ``[start, end)`` (ISO instants with
    offsets): business-minute times, FCR, resolution, reopen and complaint rates, SLA
    compliance and sigma, backlog, breaches, incidents, hostile contacts per shift."""
    board = kpi.kpi_board(
        d.session,
        d.actor,
        start=start,
        end=end,
        now=d.now,
        group_by=group_by,
        tz=tz or d.state.time_zone,
    )
    return kpi_board_public(board)


@router.get("/exports/customers.csv", response_class=PlainTextResponse, responses=_CSV)  # type: ignore[arg-type]
def export_customers(d: ReporterDesk) -> PlainTextResponse:
    """All customers as CSV (audited; contact details masked for analysts)."""
    text = exports.export_customers(d.session, d.actor, now=d.now)
    return PlainTextResponse(text, media_type="text/csv")


@router.get("/exports/work-orders.csv", response_class=PlainTextResponse, responses=_CSV)  # type: ignore[arg-type]
def export_work_orders(d: ReporterDesk) -> PlainTextResponse:
    """Work orders as CSV (audited)."""
    text = exports.export_work_orders(d.session, d.actor, now=d.now)
    return PlainTextResponse(text, media_type="text/csv")
