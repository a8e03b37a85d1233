"""A wave's analysis page (issue 24): the analysis that fits the wave's survey (SERVQUAL
gap bars, the zone of tolerance, the Kano scatter, NPS/CSAT/CES with their intervals),
or the one asked for with its options (driver analysis as an IPA matrix, loyalty
quadrants, CSI), each as a chart, a table and a CSV download of that table; per segment
(a column of the export such as ``customer_class`` or ``channel``) when asked. Below
:data:`MIN_N` answers the page says so instead of showing numbers. The numbers are the
API's (``services.wave_analysis``, over the wave's kept snapshot); the page never
queries the database itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import IdPath, NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services import surveys as survey_svc
from touchpoint.services.wave_analysis import (
    INSTRUMENT_BY_TEMPLATE,
    AnalysisOptions,
    Instrument,
    analyze_wave,
)
from touchpoint.web import charts, tables
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.labels import DIMENSION
from touchpoint.web.site import ReporterPage
from touchpoint.web.tables import DOWNLOADS, ChartTable
from touchpoint.web.views import Failure, analysis_failure

__all__ = ["MIN_N", "router"]

router = APIRouter(include_in_schema=False)

#: Fewer answers than this: "not enough answers" instead of numbers.
MIN_N = 5
Text = Annotated[str, Query(max_length=4000)]
#: The analyses that can be read per segment (``by``).
_SEGMENTED = {
    Instrument.SERVQUAL,
    Instrument.NPS,
    Instrument.CSAT,
    Instrument.CES,
    Instrument.DRIVERS,
    Instrument.LOYALTY,
}


@dataclass
class Shown:
    """What the page shows of one analysis: the sample size, the chart and its table."""

    n: int
    chart: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        **{key: _(name) for key, name in DIMENSION.items()},
        "true": _("True loyalty"),
        "latent": _("Latent loyalty"),
        "spurious": _("Spurious loyalty"),
        "none": _("No loyalty"),
        "attitude_low": _("Weaker attitude"),
        "attitude_high": _("Stronger attitude"),
        "repeat_low": _("Less repeat patronage"),
        "repeat_high": _("More repeat patronage"),
        "keep_up_the_good_work": _("Keep up the good work"),
        "concentrate_here": _("Concentrate here"),
        "low_priority": _("Low priority"),
        "possible_overkill": _("Possible overkill"),
    }


def _servqual(r: dict[str, Any], _: Callable[[str], str], names: dict[str, str]) -> Shown:
    dims = r["dimensions"]
    rows = [[names[d["dimension"]], d["expectation"], d["perception"], d["gap"]] for d in dims]
    columns = [_("Dimension"), "E", "P", "P − E"]
    return Shown(r["n_respondents"], charts.gap_bars(dims, names), columns, rows)


def _zone(r: dict[str, Any], _: Callable[[str], str], names: dict[str, str]) -> Shown:
    dims = r["dimensions"]
    columns = [_("Dimension"), _("Adequate"), _("Desired"), _("Perception"), "MSA", "MSS"]
    keys = ("adequate", "desired", "perception", "msa", "mss")
    rows = [[names[d["dimension"]], *(d[k] for k in keys)] for d in dims]
    return Shown(r["n_respondents"], charts.zone_band(dims, names, _), columns, rows)


def _kano(r: dict[str, Any], _: Callable[[str], str], _names: dict[str, str]) -> Shown:
    features = r["features"]
    columns = [_("Feature"), "n", _("Category"), "Better", "Worse", _("Significant")]
    rows = [
        [f["feature"], f["n"], f["category"], f["better"], f["worse"], f["significant"]]
        for f in features
    ]
    n = min((f["n"] for f in features), default=0)
    return Shown(n, charts.kano_scatter(features, _), columns, rows)


def _score(label: str, value_key: str, extra: tuple[str, ...]) -> Callable[..., Shown]:
    def shown(r: dict[str, Any], _: Callable[[str], str], _names: dict[str, str]) -> Shown:
        lo, hi = r["ci95"] or (None, None)  # none: no answer (CES: fewer than two)
        columns = ["n", label, *extra, _("95% interval, low"), _("95% interval, high")]
        row = [r["n"], r[value_key], *(r[k] for k in extra), lo, hi]
        return Shown(r["n"], charts.score_interval(label, r[value_key], (lo, hi)), columns, [row])

    return shown


def _drivers(r: dict[str, Any], _: Callable[[str], str], names: dict[str, str]) -> Shown:
    items = r["drivers"]
    columns = [_("Item"), _("Mean"), "β", _("Importance"), _("Quadrant")]
    rows = [
        [d["item"], d["mean"], d["beta"], d["rescaled_weight"], names.get(d["quadrant"] or "")]
        for d in items  # no quadrant when R² is 0
    ]
    return Shown(r["n"], charts.ipa_matrix(items, _), columns, rows)


def _loyalty(r: dict[str, Any], _: Callable[[str], str], names: dict[str, str]) -> Shown:
    keys = ("true", "latent", "spurious", "none")
    rows = [[names[k], r["counts"][k], r["shares"][k]] for k in keys]
    columns = [_("Quadrant"), _("Answers"), _("Share")]
    return Shown(r["n"], charts.loyalty_quadrants(r["shares"], names), columns, rows)


def _csi(r: dict[str, Any], _: Callable[[str], str], _names: dict[str, str]) -> Shown:
    rows = [[item, weight] for item, weight in r["weights"].items()]
    chart = charts.score_interval("CSI", r["csi"], [r["csi"], r["csi"]])
    return Shown(r["n"], chart, [_("Item"), _("Weight")], [["CSI", r["csi"]], *rows])


_SHOWN: dict[Instrument, Callable[..., Shown]] = {
    Instrument.SERVQUAL: _servqual,
    Instrument.ZONE: _zone,
    Instrument.KANO: _kano,
    Instrument.NPS: _score("NPS", "nps", ("promoters", "passives", "detractors")),
    Instrument.CSAT: _score("CSAT", "csat", ("satisfied", "mean")),
    Instrument.CES: _score("CES", "mean", ("sd", "easy")),
    Instrument.DRIVERS: _drivers,
    Instrument.LOYALTY: _loyalty,
    Instrument.CSI: _csi,
}


#: The key of each score instrument's headline figure (the dot of its interval chart).
_SCORE_KEYS = {Instrument.NPS: "nps", Instrument.CSAT: "csat", Instrument.CES: "mean"}


def _segmented(
    instrument: Instrument, result: dict[str, Any], _: Callable[[str], str], names: dict[str, str]
) -> Shown:
    """The analysis with its segments (``by``): all answers first, then each segment's
    rows under a leading segment column, a segment below :data:`MIN_N` answers saying so
    instead of showing numbers; SERVQUAL's gaps and the scores' intervals charted per
    segment."""
    shown_of = _SHOWN[instrument]
    overall = shown_of(result, _, names)
    groups = result.get("groups")
    if groups is None:
        return overall
    everyone = _("All answers")
    rows = [[everyone, *row] for row in overall.rows]
    charted: list[tuple[str, dict[str, Any]]] = [(everyone, result)]
    for group in groups:
        label = _("(blank)") if group["group"] is None else str(group["group"])
        part = shown_of(group, _, names)
        if part.n < MIN_N:
            too_few = _("Not enough answers (n = %(n)s)") % {"n": part.n}
            rows.append([label, too_few, *[None] * (len(overall.columns) - 1)])
            continue
        rows += [[label, *row] for row in part.rows]
        charted.append((label, group))
    chart = overall.chart
    if instrument is Instrument.SERVQUAL:
        chart = charts.gap_bars_by_segment([(k, g["dimensions"]) for k, g in charted], names)
    elif instrument in _SCORE_KEYS:
        key = _SCORE_KEYS[instrument]
        scores = [(k, g[key], g["ci95"] or (None, None)) for k, g in charted]
        chart = charts.score_intervals(instrument.value.upper(), scores)
    return Shown(overall.n, chart, [_("Segment"), *overall.columns], rows)


@router.get("/waves/{wave_id}/analysis", response_class=HTMLResponse)
def analysis_page(
    request: Request,
    wave_id: IdPath,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    instrument: Annotated[str, Query(max_length=20)] = "",
    column: Annotated[str, Query(max_length=100)] = "",
    scale: Annotated[str, Query(max_length=40)] = "",
    outcome: Annotated[str, Query(max_length=100)] = "",
    items: Text = "",
    attitude: Annotated[str, Query(max_length=100)] = "",
    repeat: Annotated[str, Query(max_length=100)] = "",
    by: Annotated[str, Query(max_length=100)] = "",
    download: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The wave's analysis (``download=csv`` or ``xlsx``: its table as a file)."""
    _ = translations(page.viewer.locale).gettext
    actor = page.principal.actor
    wave = survey_svc.get_wave(session, actor, wave_id)
    survey = survey_svc.get_survey(session, actor, wave.survey_id)
    form = {
        "instrument": instrument,
        "column": column,
        "scale": scale,
        "outcome": outcome,
        "items": items,
        "attitude": attitude,
        "repeat": repeat,
        "by": by,
    }
    chosen = _instrument(instrument, survey.template)
    shown: Shown | None = None
    failure: Failure | None = None
    if chosen is not None:
        options = AnalysisOptions(
            by=by or None if chosen in _SEGMENTED else None,
            column=column or None,
            scale=scale or None,
            outcome=outcome or None,
            items=items or None,
            attitude=attitude or None,
            repeat=repeat or None,
        )
        try:
            result = analyze_wave(
                session, actor, wave_id, chosen, options, snapshots=desk_state(request).snapshots
            )
            shown = _segmented(chosen, result, _, _names(_))
        except (DomainError, InputError) as exc:
            failure = analysis_failure(exc)
    if shown is not None and download in DOWNLOADS and shown.n >= MIN_N:
        key = (chosen or Instrument.NPS).value
        table = ChartTable(key, key, shown.chart, shown.columns, shown.rows)
        return tables.audited_download(session, actor, table, download, f"wave-{wave_id}", now=now)
    return render_form_page(
        request,
        page.viewer,
        "analysis.html",
        refusal=None if failure is None else Refusal(failure),
        wave=wave,
        survey=survey,
        instrument=None if chosen is None else chosen.value,
        instruments=[i.value for i in Instrument],
        shown=shown,
        enough=shown is not None and shown.n >= MIN_N,
        min_n=MIN_N,
        form=form,
    )


def _instrument(raw: str, template: str | None) -> Instrument | None:
    """The analysis asked for, else the one the survey's template is read with."""
    if raw in {i.value for i in Instrument}:
        return Instrument(raw)
    return INSTRUMENT_BY_TEMPLATE.get(template or "")
