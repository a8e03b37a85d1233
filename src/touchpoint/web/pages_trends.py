"""The comparison pages of issue 24, zh-CN and en, each a chart with its table and the
table as a CSV or XLSX download (``download=csv`` / ``xlsx``):

* ``/surveys/{id}/trends`` — the survey's NPS, CSAT or CSI per month of the desk's clock
  over all its waves, each month with its 95 % interval (``services.response_trends``).
* ``/waves/{id}/segments`` — each segment of a column against the rest of the wave,
  Welch's t for a mean or the two-proportion z test for a top-two share, significant
  differences flagged at α = 0.05 (``services.segment_comparison``).

A month or segment with fewer than five answers shows "not enough answers" instead of
numbers, in the chart (a gap), the table and the downloads alike. The numbers are the
API's; the pages never query the database themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import IdPath, NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services import surveys as survey_svc
from touchpoint.services.response_trends import (
    MIN_ANSWERS,
    SurveyTrend,
    TrendMeasure,
    TrendOptions,
    survey_trend,
)
from touchpoint.services.segment_comparison import (
    SegmentComparison,
    SegmentMeasure,
    SegmentOptions,
    compare_segments,
    wave_choices,
)
from touchpoint.web import labels as L
from touchpoint.web import tables
from touchpoint.web.charts_compare import segment_bars, trend_lines
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.site import ReporterPage
from touchpoint.web.tables import DOWNLOADS, ChartTable
from touchpoint.web.views import Failure, analysis_failure

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Query(max_length=100)]
Long = Annotated[str, Query(max_length=4000)]
_LABELS = {TrendMeasure.NPS: "NPS", TrendMeasure.CSAT: "CSAT", TrendMeasure.CSI: "CSI"}


@dataclass
class Table:
    """A chart's table as the page and the downloads show it."""

    chart: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _trend_table(trend: SurveyTrend, _: Callable[[str], str]) -> Table:
    label = _LABELS[trend.measure]
    percent = trend.measure is TrendMeasure.CSAT
    columns = [_("Month"), "n", label, _("95% interval, low"), _("95% interval, high")]
    rows: list[list[Any]] = []
    for m in trend.months:
        if not m.enough:
            rows.append([m.month, m.n, _("Not enough answers"), None, None])
            continue
        lo, hi = m.ci95 or (None, None)
        rows.append([m.month, m.n, m.value, lo, hi])
    return Table(trend_lines(trend.months, label, percent, _), columns, rows)


@router.get("/surveys/{survey_id}/trends", response_class=HTMLResponse)
def trends_page(
    request: Request,
    survey_id: IdPath,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    measure: Annotated[str, Query(max_length=10)] = "",
    column: Field = "",
    items: Long = "",
    scale: Annotated[str, Query(max_length=40)] = "",
    weights: Long = "",
    download: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The survey's monthly trend; the measure fits the survey's template by default."""
    _ = translations(page.viewer.locale).gettext
    actor = page.principal.actor
    survey = survey_svc.get_survey(session, actor, survey_id)
    chosen = _measure(measure, survey.template)
    form = {
        "measure": "" if chosen is None else chosen.value,
        "column": column,
        "items": items,
        "scale": scale,
    }
    form["weights"] = weights
    table: Table | None = None
    failure: Failure | None = None
    if chosen is not None and (chosen is not TrendMeasure.CSI or items):
        options = TrendOptions(column or None, items or None, scale or None, weights or None)
        try:
            trend = survey_trend(
                session,
                actor,
                survey_id,
                chosen,
                options,
                snapshots=desk_state(request).snapshots,
                time_zone=desk_state(request).time_zone,
            )
            table = _trend_table(trend, _)
        except (DomainError, InputError) as exc:
            failure = analysis_failure(exc)
    if chosen is not None and table is not None and download in DOWNLOADS:
        figure = ChartTable(f"{chosen.value}-trend", "", {}, table.columns, table.rows)
        stem = f"survey-{survey_id}"
        return tables.audited_download(session, actor, figure, download, stem, now=now)
    return render_form_page(
        request,
        page.viewer,
        "trends.html",
        refusal=None if failure is None else Refusal(failure),
        survey=survey,
        measures=[m.value for m in TrendMeasure],
        table=table,
        min_n=MIN_ANSWERS,
        time_zone=desk_state(request).time_zone,
        form=form,
    )


#: The measure a survey made from a template is followed by when none is asked for.
_BY_TEMPLATE = {
    "nps": TrendMeasure.NPS,
    "csat": TrendMeasure.CSAT,
    "return-visit": TrendMeasure.CSAT,
}


def _measure(raw: str, template: str | None) -> TrendMeasure | None:
    """The measure asked for, else the one the survey's template asks (None: the user
    chooses first)."""
    if raw in {m.value for m in TrendMeasure}:
        return TrendMeasure(raw)
    return _BY_TEMPLATE.get(template or "")


def _segment_names(comparison: SegmentComparison, _: Callable[[str], str]) -> list[str]:
    """Each segment's shown label: channels and customer classes in the page's language."""
    tables = {"channel": L.SURVEY_CHANNEL, "customer_class": L.CUSTOMER_CLASS}
    table = tables.get(comparison.by)
    names: list[str] = []
    for row in comparison.segments:
        if row.segment is None:
            names.append(_("No value"))
        else:
            names.append(_(L.label(table, row.segment)) if table else row.segment)
    return names


def _segment_table(comparison: SegmentComparison, _: Callable[[str], str]) -> Table:
    names = _segment_names(comparison, _)
    percent = comparison.measure is SegmentMeasure.SHARE
    statistic = "t" if comparison.measure is SegmentMeasure.MEAN else "z"
    columns = [_("Segment"), "n", _("Value"), _("Rest of the wave"), _("Difference")]
    columns += [statistic, "p", _("Significant (α = 0.05)")]
    rows: list[list[Any]] = []
    for name, r in zip(names, comparison.segments, strict=True):
        if not r.enough:
            rows.append([name, r.n, _("Not enough answers"), None, None, None, None, None])
            continue
        flag = _("Yes") if r.significant else _("No")
        rows.append([name, r.n, r.value, r.rest_value, r.difference, r.statistic, r.p_value, flag])
    chart = segment_bars(comparison.segments, names, comparison.value, percent, _)
    return Table(chart, columns, rows)


@router.get("/waves/{wave_id}/segments", response_class=HTMLResponse)
def segments_page(
    request: Request,
    wave_id: IdPath,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    by: Field = "",
    measure: Annotated[str, Query(max_length=10)] = "",
    column: Field = "",
    scale: Annotated[str, Query(max_length=40)] = "",
    download: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The wave's segments against the rest; the segment column is chosen first."""
    _ = translations(page.viewer.locale).gettext
    actor = page.principal.actor
    wave = survey_svc.get_wave(session, actor, wave_id)
    segments, questions = wave_choices(session, actor, wave_id)
    chosen = SegmentMeasure.SHARE if measure == "share" else SegmentMeasure.MEAN
    form = {"by": by, "measure": chosen.value, "column": column, "scale": scale}
    table: Table | None = None
    comparison: SegmentComparison | None = None
    failure: Failure | None = None
    if by:
        options = SegmentOptions(by, column or None, scale or None)
        try:
            comparison = compare_segments(
                session, actor, wave_id, chosen, options, snapshots=desk_state(request).snapshots
            )
            table = _segment_table(comparison, _)
        except (DomainError, InputError) as exc:
            failure = analysis_failure(exc)
    if table is not None and download in DOWNLOADS:
        figure = ChartTable(f"segments-{by}", "", {}, table.columns, table.rows)
        stem = f"wave-{wave_id}"
        return tables.audited_download(session, actor, figure, download, stem, now=now)
    return render_form_page(
        request,
        page.viewer,
        "segments.html",
        refusal=None if failure is None else Refusal(failure),
        wave=wave,
        segments=_column_names(segments, _),
        questions=questions,
        comparison=comparison,
        table=table,
        min_n=MIN_ANSWERS,
        form=form,
    )


def _column_names(columns: Sequence[str], _: Callable[[str], str]) -> list[tuple[str, str]]:
    """(column, shown name) of the segment columns; questions keep their ids."""
    shown = {
        "channel": _("Channel"),
        "touchpoint": _("Touchpoint"),
        "customer_class": _("Customer class"),
        "region": _("Region"),
    }
    return [(c, shown.get(c, c)) for c in columns]
