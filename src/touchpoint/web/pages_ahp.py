"""A wave's AHP page (issue 24): the analyst judges the 10 pairs of SERVQUAL dimensions on
Saaty's scale and sees the dimensions' AHP weights and consistency ratio (a bar chart, a
table, CSV/XLSX downloads and a warning when CR ≥ 0.10); one button then shows the
wave's SERVQUAL weighted by exactly those weights. The weights go to the analysis as the
API's ``weights`` option, programmatically (``services.servqual_ahp``): nobody copies
numbers, and the figures equal ``GET /api/waves/{id}/analysis/servqual?weights=…``.

The form is a GET (nothing is written): each pair is a query parameter named
``first:second`` whose value is one of :data:`SCALE`, so a judged page can be bookmarked
and shared like the analysis page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import IdPath, NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.quality.ahp import CONSISTENCY_THRESHOLD
from touchpoint.services import surveys as survey_svc
from touchpoint.services.servqual_ahp import (
    DIMENSIONS,
    PAIRS,
    JudgementError,
    ServqualAhp,
    pair_key,
    servqual_ahp,
    servqual_weights,
)
from touchpoint.web import charts
from touchpoint.web.charts_ahp import ahp_weights_chart
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.labels import DIMENSION
from touchpoint.web.pages_analysis import MIN_N
from touchpoint.web.site import ReporterPage
from touchpoint.web.tables import DOWNLOADS, ChartTable, audited_download
from touchpoint.web.views import Failure, analysis_failure, refused

__all__ = ["SCALE", "router"]

router = APIRouter(include_in_schema=False)

#: Saaty's scale as the form offers it: the first dimension 9 … 2 times as important,
#: equal, then the second 2 … 9 times as important.
SCALE = (*(str(v) for v in range(9, 1, -1)), "1", *(f"1/{v}" for v in range(2, 10)))
_KEYS = tuple(pair_key(*p) for p in PAIRS)


@dataclass(frozen=True)
class Pair:
    """One row of the form: the pair's field name, its two dimensions and the value given."""

    key: str
    first: str
    second: str
    value: str


@dataclass
class WeightedServqual:
    """The wave's SERVQUAL weighted by the AHP weights, as the page shows it."""

    n: int
    unweighted: float | None
    weighted: float | None
    figure: ChartTable
    api: str


def _names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        **{key: _(name) for key, name in DIMENSION.items()},
    }


def _judgement_problem(
    exc: JudgementError, names: Mapping[str, str], _: Callable[[str], str]
) -> str:
    """The refused judgement in the page's language, naming the pair and the value."""
    if exc.pair is None or not exc.off_scale:
        return str(exc)
    first, second = (names[d] for d in exc.pair)
    text = _("%(first)s against %(second)s: %(value)s is not on Saaty's scale from 1/9 to 9.")
    return text % {"first": first, "second": second, "value": exc.value}


def _weights_figure(
    weighted: ServqualAhp, names: Mapping[str, str], _: Callable[[str], str]
) -> ChartTable:
    report = weighted.report.root
    rows: list[list[Any]] = [[names[d], w] for d, w in weighted.weights.items()]
    rows += [["λmax", report.lambda_max], ["CI", report.ci], ["CR", report.cr]]
    return ChartTable(
        "weights",
        _("AHP weights of the SERVQUAL dimensions"),
        ahp_weights_chart(weighted.weights, names, report.consistent),
        [_("Dimension"), _("Weight")],
        rows,
    )


def _servqual_shown(
    wave_id: int,
    weighted: ServqualAhp,
    result: dict[str, Any],
    names: Mapping[str, str],
    _: Callable[[str], str],
) -> WeightedServqual:
    """The weighted analysis's table: each dimension's E, P, gap, weight and weighted gap,
    and a total row whose last figure is the weighted SERVQUAL score."""
    weights = result["weights"] or {}
    rows: list[list[Any]] = []
    for d in result["dimensions"]:
        w, gap = weights.get(d["dimension"]), d["gap"]
        part = None if w is None or gap is None else w * gap
        rows.append([names[d["dimension"]], d["expectation"], d["perception"], gap, w, part])
    rows.append(
        [_("Weighted SERVQUAL"), None, None, None, sum(weights.values()), result["weighted"]]
    )
    columns = [_("Dimension"), "E", "P", "P − E", _("Weight"), _("Weight × (P − E)")]
    figure = ChartTable(
        "servqual",
        _("SERVQUAL weighted by the AHP weights"),
        charts.gap_bars(result["dimensions"], dict(names)),
        columns,
        rows,
    )
    api = f"/api/waves/{wave_id}/analysis/servqual?" + urlencode(
        {"weights": weighted.weights_json()}
    )
    return WeightedServqual(
        result["n_respondents"], result["unweighted"], result["weighted"], figure, api
    )


def _pairs(given: Mapping[str, str]) -> list[Pair]:
    return [Pair(pair_key(a, b), a, b, given.get(pair_key(a, b), "1")) for a, b in PAIRS]


@router.get("/waves/{wave_id}/ahp", response_class=HTMLResponse)
def ahp_page(
    request: Request,
    wave_id: IdPath,
    page: ReporterPage,
    session: SessionDep,
    now: NowDep,
    servqual: Annotated[str, Query(max_length=5)] = "",
    download: Annotated[str, Query(max_length=10)] = "",
    chart: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The judgements' weights, and with ``servqual=1`` the wave's SERVQUAL weighted by
    them; ``download=csv`` or ``xlsx`` with ``chart=weights`` or ``servqual``: that
    table as a file."""
    _ = translations(page.viewer.locale).gettext
    names = _names(_)
    actor = page.principal.actor
    wave = survey_svc.get_wave(session, actor, wave_id)
    given = {k: v for k, v in request.query_params.items() if k in _KEYS}
    weighted: ServqualAhp | None = None
    shown: WeightedServqual | None = None
    failure: Failure | None = None
    try:
        if given and servqual:
            weighted, result = servqual_ahp(
                session, actor, wave_id, given, snapshots=desk_state(request).snapshots
            )
            shown = _servqual_shown(wave_id, weighted, result, names, _)
        elif given:
            weighted = servqual_weights(given)
    except JudgementError as exc:
        failure = Failure(400, "invalid", _judgement_problem(exc, names, _))
    except DomainError as exc:
        failure = refused(400, "invalid", exc)
    except InputError as exc:  # not a SERVQUAL wave: its columns are not E1-E22, P1-P22
        failure = analysis_failure(exc)
    figures = [] if weighted is None else [_weights_figure(weighted, names, _)]
    enough = shown is not None and shown.n >= MIN_N
    if shown is not None and enough:
        figures.append(shown.figure)
    wanted = next((f for f in figures if f.key == chart), None)
    if wanted is not None and download in DOWNLOADS:
        return audited_download(session, actor, wanted, download, f"wave-{wave_id}-ahp", now=now)
    query = urlencode({**given, **({"servqual": "1"} if servqual else {})})
    return render_form_page(
        request,
        page.viewer,
        "ahp.html",
        refusal=None if failure is None else Refusal(failure),
        wave=wave,
        pairs=_pairs(given),
        scale=SCALE,
        names=names,
        dimensions=DIMENSIONS,
        weighted=weighted,
        threshold=CONSISTENCY_THRESHOLD,
        figures=figures,
        shown=shown,
        enough=enough,
        min_n=MIN_N,
        query=query,
    )
