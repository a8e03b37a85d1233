"""The five-gap report's page (服务质量差距模型): pick the customers' wave, the managers'
wave and the desk's period, and see each gap by dimension, standard and pledge, with
the largest gap named (``services.gaps``; the page never queries the database). Three
charts (``web.charts_gaps``), each with its table and a CSV/XLSX download of it: the five
gaps side by side with the largest highlighted, gaps 5 and 1 per dimension, and the
pledges' promises against what was delivered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services.errors import ForbiddenError, NotFoundError
from touchpoint.services.gaps import GapPeriod, gap_report
from touchpoint.services.wave_analysis import Instrument
from touchpoint.services.wave_report import waves_read_with
from touchpoint.web.charts_gaps import (
    dimension_gaps_chart,
    five_gaps_chart,
    gap_headlines,
    pledges_chart,
)
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.labels import DIMENSION
from touchpoint.web.site import ReporterPage
from touchpoint.web.tables import DOWNLOADS, ChartTable, audited_download
from touchpoint.web.views import Failure, analysis_failure, refused

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _names(_: Callable[[str], str]) -> dict[str, str]:
    """The five SERVQUAL dimensions and the five gaps in the page's language."""
    return {
        **{key: _(name) for key, name in DIMENSION.items()},
        "1": _("Gap 1: knowledge (managers' view of expectations)"),
        "2": _("Gap 2: standards (important items without a standard)"),
        "3": _("Gap 3: delivery (standards met by the desk)"),
        "4": _("Gap 4: communication (pledges kept)"),
        "5": _("Gap 5: customer (perception minus expectation)"),
    }


def _id(raw: str, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 2_147_483_647:
        raise DomainError(
            f"{name}: {raw!r} is not a wave number", code="not_a_wave_number", params={"value": raw}
        )
    return int(raw)


def _period(start: str, end: str, tz: str) -> GapPeriod | None:
    if not start and not end:
        return None
    try:
        return GapPeriod(date.fromisoformat(start), date.fromisoformat(end), tz)
    except ValueError:
        raise DomainError(
            "from, to: give both dates of the period as YYYY-MM-DD", code="period_dates"
        ) from None


def _five(report: dict[str, Any], names: dict[str, str], _: Callable[[str], str]) -> ChartTable:
    """The five gaps side by side: each gap's largest shortfall and where it lies, the
    report's largest gap marked (so the table says what the red bar says)."""
    largest = report["largest"]
    gap = None if largest is None else largest["gap"]
    heads = gap_headlines(report, names)
    rows = [[names[str(h.gap)], h.shortfall, h.where, "✔" if h.gap == gap else ""] for h in heads]
    return ChartTable(
        "five-gaps",
        _("The five gaps"),
        five_gaps_chart(heads, names, gap),
        [_("Gap"), _("Largest shortfall"), _("Where"), _("Largest gap")],
        rows,
    )


def _dimensions(
    report: dict[str, Any], names: dict[str, str], _: Callable[[str], str]
) -> ChartTable:
    """Gap 5 (P - E) per dimension and, with a managers' wave, gap 1 beside it."""
    gap1 = (
        {} if report["gap1"] is None else {d["dimension"]: d for d in report["gap1"]["dimensions"]}
    )
    columns = [_("Dimension"), _("Gap 5 (P − E)")]
    if gap1:
        columns.append(_("Gap 1 (managers' E − customers' E)"))
    rows = []
    for d in report["gap5"]["dimensions"]:
        row = [names[d["dimension"]], d["gap"]]
        if gap1:
            row.append(gap1[d["dimension"]]["gap"])
        rows.append(row)
    chart = dimension_gaps_chart(report, names, _)
    return ChartTable("dimensions", _("Gaps by dimension"), chart, columns, rows)


def _pledges(report: dict[str, Any], _: Callable[[str], str]) -> ChartTable:
    """Gap 4: each pledge's promise beside the median delivered and the share kept."""
    pledges = report["gap4"]["pledges"]
    columns = [
        _("Pledge"),
        _("Promised (business min)"),
        _("Median delivered"),
        _("Within the promise"),
        _("Orders"),
    ]
    rows = [
        [p["name"], p["promised_value"], p["median"], p["share_within"], p["orders"]]
        for p in pledges
    ]
    title = _("Pledges: promised and delivered")
    return ChartTable("pledges", title, pledges_chart(pledges, _), columns, rows)


def _figures(
    report: dict[str, Any], names: dict[str, str], _: Callable[[str], str]
) -> list[ChartTable]:
    """The report's charts with their tables (the pledges' only with a period)."""
    figures = [_five(report, names, _), _dimensions(report, names, _)]
    if report["gap4"] is not None:
        figures.append(_pledges(report, _))
    return figures


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    customer_wave: Annotated[str, Query(max_length=12)] = "",
    manager_wave: Annotated[str, Query(max_length=12)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
    download: Annotated[str, Query(max_length=10)] = "",
    chart: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The report for the waves and period asked for (none asked: the form alone);
    ``download=csv`` or ``xlsx`` with ``chart=five-gaps``, ``dimensions`` or ``pledges``:
    that chart's table as a file."""
    _ = translations(page.viewer.locale).gettext
    report: dict[str, Any] | None = None
    failure: Failure | None = None
    try:
        customers = _id(customer_wave, "customer_wave")
        managers = _id(manager_wave, "manager_wave")
        period = _period(start, end, desk_state(request).time_zone)
        if customers is not None:
            report = gap_report(
                session,
                page.principal.actor,
                customer_wave=customers,
                manager_wave=managers,
                period=period,
                now=now,
                snapshots=desk_state(request).snapshots,
            )
    except NotFoundError as exc:
        failure = refused(404, "missing", exc)
    except ForbiddenError as exc:
        failure = refused(403, "forbidden", exc)
    except DomainError as exc:
        failure = refused(400, "invalid", exc)
    except InputError as exc:  # not a SERVQUAL wave: its columns are not E1-E22, P1-P22
        failure = analysis_failure(exc)
    form = {
        "customer_wave": customer_wave,
        "manager_wave": manager_wave,
        "start": start,
        "end": end,
    }
    names = _names(_)
    figures = [] if report is None else _figures(report, names, _)
    wanted = next((f for f in figures if f.key == chart), None)
    if wanted is not None and download in DOWNLOADS:
        stem = f"gaps-wave-{customer_wave}"
        return audited_download(session, page.principal.actor, wanted, download, stem, now=now)
    return render_form_page(
        request,
        page.viewer,
        "gaps.html",
        refusal=None if failure is None else Refusal(failure),
        report=report,
        names=names,
        figures=figures,
        query=urlencode({k: v for k, v in form.items() if v}),
        form=form,
        waves=waves_read_with(session, page.principal.actor, Instrument.SERVQUAL),
    )
