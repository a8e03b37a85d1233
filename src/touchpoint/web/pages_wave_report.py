"""A wave's one-page report (issue 24): the wave's counts, the headline figures of the
analysis that fits its survey's template, its chart and table and the method notes
(n, Cronbach's α per dimension, interval definitions), as a printable page
(``/waves/{id}/report``, one A4 sheet with the print style sheet) and as a PDF drawn on
the server (``/waves/{id}/report.pdf``, no browser, no network; the download is
audited). Analysts, supervisors and admins only, as the analysis page; the numbers are
the API's (``services.wave_report`` over ``services.wave_analysis``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import IdPath, NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services import wave_report as report_svc
from touchpoint.services.wave_analysis import Instrument
from touchpoint.services.wave_report import WaveReport
from touchpoint.web import charts
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.pages_analysis import MIN_N
from touchpoint.web.report_layout import ReportLayout, layout
from touchpoint.web.report_pdf import report_pdf
from touchpoint.web.site import Page, ReporterPage
from touchpoint.web.views import Failure, analysis_failure, refused

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _report(
    request: Request, page: Page, session: SessionDep, wave_id: int, now: NowDep
) -> WaveReport | Failure:
    """The wave's report, or why the analysis could not be read (a 404 page when the
    wave does not exist)."""
    try:
        return report_svc.wave_report(
            session,
            page.principal.actor,
            wave_id,
            now=now,
            snapshots=desk_state(request).snapshots,
        )
    except DomainError as exc:
        return refused(400, "invalid", exc)
    except InputError as exc:
        return analysis_failure(exc)


def chart_option(
    report: WaveReport, shown: ReportLayout, gettext: Callable[[str], str]
) -> dict[str, Any]:
    """The ECharts option of the report's chart, built as the analysis page builds it
    from the same JSON (none below the minimum number of answers)."""
    if not shown.enough:
        return {}
    names, r = shown.names, report.analysis
    match report.instrument:
        case Instrument.SERVQUAL:
            return charts.gap_bars(r["dimensions"], names)
        case Instrument.ZONE:
            return charts.zone_band(r["dimensions"], names, gettext)
        case Instrument.KANO:
            return charts.kano_scatter(r["features"], gettext)
    score = report.score
    if score is None:
        return {}
    return charts.score_interval(score.label, score.value, (score.low, score.high))


@router.get("/waves/{wave_id}/report", response_class=HTMLResponse)
def wave_report_page(
    request: Request, wave_id: IdPath, page: ReporterPage, session: SessionDep, now: NowDep
) -> Response:
    """The wave's one-page report, printable on one A4 sheet."""
    found = _report(request, page, session, wave_id, now)
    if isinstance(found, Failure):
        return render_form_page(
            request, page.viewer, "wave_report.html", refusal=Refusal(found), report=None
        )
    shown = layout(found, page.viewer.locale, MIN_N)
    return render_form_page(
        request,
        page.viewer,
        "wave_report.html",
        report=found,
        shown=shown,
        chart=chart_option(found, shown, translations(page.viewer.locale).gettext),
    )


@router.get("/waves/{wave_id}/report.pdf", response_class=Response)
def wave_report_pdf(
    request: Request, wave_id: IdPath, page: ReporterPage, session: SessionDep, now: NowDep
) -> Response:
    """The same report as a one-page A4 PDF, drawn on the server; the download is
    audited as the responses' exports are."""
    found = _report(request, page, session, wave_id, now)
    if isinstance(found, Failure):
        return render_form_page(
            request, page.viewer, "wave_report.html", refusal=Refusal(found), report=None
        )
    pdf = report_pdf(found, layout(found, page.viewer.locale, MIN_N))
    report_svc.record_report_export(session, page.principal.actor, found, "pdf", now=now)
    name = f"wave-{wave_id}-report.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
