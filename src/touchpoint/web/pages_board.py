"""The supervisor board: service KPIs per team or agent over a chosen period, return
visits and recovery loops, complaints by coded cause, team and month (the outer loop),
backlog, breaches, incidents and hostile contacts per agent and shift, with ECharts
charts; the KPI table downloads as CSV or XLSX."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.domain.kpi import Shift
from touchpoint.domain.time_zones import local_period
from touchpoint.services.directory import load_directory
from touchpoint.services.incidents import list_incidents
from touchpoint.services.kpi import GroupBy, KpiBoard, kpi_board
from touchpoint.services.outer_loop import list_causes, outer_loop
from touchpoint.web import labels, tables
from touchpoint.web.charts import hostile_chart, kpi_chart
from touchpoint.web.forms import Refusal, local_day, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.site import ReporterPage
from touchpoint.web.tables import DOWNLOADS, ChartTable
from touchpoint.web.views import refused

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/board", response_class=HTMLResponse)
def board_page(
    request: Request,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
    group_by: GroupBy = GroupBy.TEAM,
    download: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """KPIs for ``[start, end]`` (local dates of the desk's time zone, end inclusive;
    default the last 7 days); ``download=csv`` or ``xlsx``: the KPI table as a file."""
    tz = desk_state(request).time_zone
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    _ = translations(page.viewer.locale).gettext
    refusal = None
    try:
        first = local_day(start, today - timedelta(days=6))
        last = local_day(end, today)
        if last < first:
            raise DomainError("end: must not be before start", code="end_before_start")
    except DomainError as exc:  # a bad period: the last 7 days, with the reason
        refusal = Refusal(refused(400, "invalid", exc))
        first, last = today - timedelta(days=6), today
    t0, t1 = local_period(first, last, tz)
    board = kpi_board(
        session, page.principal.actor, start=t0, end=t1, now=now, group_by=group_by, tz=tz
    )
    if download in DOWNLOADS and refusal is None:
        stem = f"board-{first.isoformat()}-{last.isoformat()}"
        table = _kpi_table(board, group_by, _)
        return tables.audited_download(
            session, page.principal.actor, table, download, stem, now=now
        )
    incidents = list_incidents(session, limit=20)
    actor = page.principal.actor
    causes = {c.code: c for c in list_causes(session)}
    return render_form_page(
        request,
        page.viewer,
        "board.html",
        refusal=refusal,
        board=board,
        start=first.isoformat(),
        end=last.isoformat(),
        group_by=group_by.value,
        incidents=incidents,
        outer=outer_loop(session, actor, start=first, end=last, tz=tz),
        causes=causes,
        team_names=load_directory(session).teams,
        kpi_option=kpi_chart(board.rows, _),
        hostile_option=hostile_chart(
            board.hostile, _, lambda s: _(labels.label(labels.SHIFT, Shift(s).value))
        ),
    )


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _kpi_table(board: KpiBoard, group_by: GroupBy, _: Callable[[str], str]) -> ChartTable:
    """The board's KPI table as the page shows it, a row per team or agent and the
    total, rates in per cent, for a spreadsheet."""
    columns = [
        _("Team") if group_by is GroupBy.TEAM else _("Agent"),
        _("Orders"),
        _("First response, mean (business min)"),
        _("Resolution, mean (business min)"),
        *(
            f"{_(name)} (%)"
            for name in (
                "First-contact resolution",
                "Resolution rate",
                "Reopen rate",
                "Complaint rate",
                "SLA compliance",
            )
        ),
        _("Sigma level"),
        _("Backlog"),
    ]
    rows = [
        [
            label,
            k.orders,
            k.first_response_mean_minutes,
            k.resolution_mean_minutes,
            _percent(k.first_contact_resolution_rate),
            _percent(k.resolution_rate),
            _percent(k.reopen_rate),
            _percent(k.complaint_rate),
            _percent(k.sla_compliance),
            k.sigma_level,
            k.backlog,
        ]
        for label, k in [*((r.label, r.kpis) for r in board.rows), (_("All"), board.overall)]
    ]
    return ChartTable(key="kpis", title=_("Supervisor board"), chart={}, columns=columns, rows=rows)
