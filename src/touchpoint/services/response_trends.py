"""A survey's CSI, NPS and CSAT per calendar month, each month with its 95 % interval,
over the stored responses of all the survey's waves (issue 24, "trends per month").

Data: each wave's Parquet snapshot (the ``responses.parquet`` export, kept by
:class:`~touchpoint.services.wave_snapshots.WaveSnapshots` as for the wave analyses),
read together by DuckDB through Ibis with the month as one more column; the engine's
own analyses then run grouped by that month, so each month is one group of a single
aggregation pass (counts of each answer for NPS and CSAT, sums and cross-products for
CSI) and no response is read into Python. Waves of older survey versions are read by
column name; a question missing from a version is blank there.

Month: the calendar month of the response's ``submitted_at`` on the desk's clock (its
time zone, ``TOUCHPOINT_TIME_ZONE``, unless the caller names another), as the return
visits choose their month's wave: a response sent on 1 February at 07:00 Shanghai time
(31 January, 23:00 UTC) counts in February on a desk in Shanghai, in January on one in
UTC. The export writes ``submitted_at`` in UTC as fixed-width ISO text, so each month is
found by comparing that text with the UTC instants the local months begin at (worked
out in Python for the months the responses span, daylight saving included). Months with
no response between the first and the last are listed with ``n`` 0.

Measures and intervals (the same formulas as ``touchpoint analyze``, by the same code):

* ``nps``: 100 · (promoters − detractors) / n with the adjusted-Wald interval (Rocks
  2016; :func:`touchpoint.quality.csi.nps_interval`), answers whole numbers 0–10.
* ``csat``: the share of answers in the top two points of the scale with the Wilson
  interval (:func:`touchpoint.quality.csi.wilson_interval`).
* ``csi``: the mean over respondents of each respondent's own index
  Σ wᵢ (xᵢ − min)/(max − min) · 100 (DOMAIN.md §3.4), over the respondents who answered
  every item, with the t interval mean ± t(0.975, n − 1) · s / √n. The index is linear
  in the answers, so this mean equals the index of the items' means over the same
  respondents (:func:`touchpoint.quality.csi.csi`); taking respondents (not items) as
  the unit gives the interval a sampling meaning: s is the spread of respondents'
  indices, found from the items' covariance matrix as wᵀ S w scaled to 0–100. (``analyze
  csi`` averages each item over everyone who answered it; with no blank item the two
  agree.)

A month with fewer than :data:`MIN_ANSWERS` answers (respondents for CSI) has no value
and no interval: ``enough`` is false and only ``n`` is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import QuestionType, SurveyDefinition
from touchpoint.domain.time_zones import report_zone
from touchpoint.engine import csi_report, score_reports
from touchpoint.engine._compat import quiet_backend_deprecations
from touchpoint.engine.answers import crossproducts
from touchpoint.engine.cells import Scale
from touchpoint.engine.errors import InputError
from touchpoint.engine.options import scale_bounds
from touchpoint.quality.csi import csi, normalise_item_weights
from touchpoint.quality.significance import t_interval
from touchpoint.services.base import Actor, require
from touchpoint.services.survey_exports import SUBMITTED_AT_FORMAT
from touchpoint.services.survey_links import DESK_TIME_ZONE
from touchpoint.services.surveys import get_survey
from touchpoint.services.wave_analysis import option_error
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.survey_models import SurveyWave

__all__ = [
    "MIN_ANSWERS",
    "MonthPoint",
    "SurveyTrend",
    "TrendMeasure",
    "TrendOptions",
    "survey_trend",
]

#: Fewer answers than this in a month (or a segment): "not enough answers", no number.
MIN_ANSWERS = 5
_MONTH = "month__"


class TrendMeasure(StrEnum):
    """What a trend follows month by month."""

    NPS = "nps"
    CSAT = "csat"
    CSI = "csi"


@dataclass(frozen=True, slots=True)
class TrendOptions:
    """The trend's options as text (the API's query parameters): ``column`` (NPS, CSAT),
    ``items`` as ``A,B,C`` and ``weights`` as ``w1,w2,…`` (CSI), ``scale`` as ``MIN-MAX``
    (CSAT, CSI; by default the questions' own scale)."""

    column: str | None = None
    items: str | None = None
    scale: str | None = None
    weights: str | None = None


@dataclass(frozen=True, slots=True)
class MonthPoint:
    """One month: its answers and, with enough of them, the value and its interval."""

    month: str
    n: int
    value: float | None
    ci95: tuple[float, float] | None

    @property
    def enough(self) -> bool:
        """At least :data:`MIN_ANSWERS` answers: the value is shown."""
        return self.n >= MIN_ANSWERS

    def to_dict(self) -> dict[str, Any]:
        """``month``, ``n``, ``enough``, ``value`` and ``ci95`` (``[lo, hi]`` or null)."""
        ci = None if self.ci95 is None else [self.ci95[0], self.ci95[1]]
        return {
            "month": self.month,
            "n": self.n,
            "enough": self.enough,
            "value": self.value,
            "ci95": ci,
        }


@dataclass(frozen=True)
class SurveyTrend:
    """A measure of a survey month by month."""

    survey_id: int
    measure: TrendMeasure
    columns: tuple[str, ...]
    scale: tuple[float, float]
    weights: tuple[float, ...] | None
    months: tuple[MonthPoint, ...]
    time_zone: str = DESK_TIME_ZONE

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON: the options as read, the clock of the months and the months."""
        return {
            "survey_id": self.survey_id,
            "measure": self.measure.value,
            "columns": list(self.columns),
            "scale": list(self.scale),
            "weights": None if self.weights is None else list(self.weights),
            "time_zone": self.time_zone,
            "min_n": MIN_ANSWERS,
            "months": [m.to_dict() for m in self.months],
        }


@dataclass(frozen=True)
class _Plan:
    """The columns, scale and weights a trend reads, checked."""

    columns: tuple[str, ...]
    scale: tuple[float, float]
    weights: tuple[float, ...] | None = None


def _scale_option(raw: str | None) -> tuple[float, float] | None:
    if raw is None or raw == "":
        return None
    bounds = scale_bounds(raw)
    if bounds is None or not bounds[0] < bounds[1]:
        raise option_error("scale", raw, "expected MIN-MAX such as 1-5", code="option_scale")
    return bounds


def _question_scale(definition: SurveyDefinition, column: str) -> tuple[float, float] | None:
    """The scale of the survey's question ``column`` (None: not a scale question)."""
    for q in definition.questions:
        scale = q.type is QuestionType.SCALE and q.low is not None and q.high is not None
        if q.id == column and scale:
            return (float(q.low or 0), float(q.high or 0))
    return None


def _items(raw: str | None) -> tuple[str, ...]:
    names = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    if not names:
        raise option_error(
            "items", raw, "name at least one question, e.g. C1,C2,C3", code="option_columns"
        )
    if len(set(names)) != len(names):
        raise DomainError(
            f"items: a question is named twice in {raw!r}",
            code="option_named_twice",
            params={"field": "items", "value": raw or ""},
        )
    return names


def _weights(raw: str | None, k: int) -> tuple[float, ...]:
    try:
        values = None if raw is None or raw == "" else [float(p) for p in raw.split(",")]
        return normalise_item_weights(values, k)
    except ValueError as exc:
        raise DomainError(
            f"weights: {exc} (got {raw!r})",
            code="option_weights",
            params={"field": "weights", "value": raw or ""},
        ) from None


def _plan(measure: TrendMeasure, o: TrendOptions, definition: SurveyDefinition) -> _Plan:
    """What the trend reads, from its options and (for defaults) the survey's questions."""
    asked = _scale_option(o.scale)
    if measure is TrendMeasure.NPS:
        return _Plan((o.column or "NPS",), (0.0, 10.0))
    if measure is TrendMeasure.CSAT:
        column = o.column or "CSAT"
        scale = asked or _question_scale(definition, column) or (1.0, 5.0)
        if not all(float(v).is_integer() for v in scale):
            raise option_error(
                "scale", o.scale, "CSAT needs whole numbers MIN-MAX", code="option_scale"
            )
        return _Plan((column,), scale)
    items = _items(o.items)
    weights = _weights(o.weights, len(items))
    if asked is not None:
        return _Plan(items, asked, weights)
    scales = {_question_scale(definition, item) for item in items}
    shared = scales.pop() if len(scales) == 1 else None
    if shared is None:
        raise DomainError(
            "scale: the items do not share one scale question; give MIN-MAX",
            code="option_no_shared_scale",
        )
    return _Plan(items, shared, weights)


def survey_trend(
    session: Session,
    actor: Actor,
    survey_id: int,
    measure: TrendMeasure,
    options: TrendOptions,
    *,
    snapshots: WaveSnapshots | None = None,
    time_zone: str = DESK_TIME_ZONE,
) -> SurveyTrend:
    """The survey's ``measure`` per month of ``time_zone``'s clock over all its waves'
    responses (module docstring). ``DomainError`` names a bad option or time zone;
    ``InputError`` a column or cell the measure cannot use, with the wave whose export
    holds it."""
    require(actor, actor.role.can_read_reports, "analyse survey waves")
    zone = report_zone(time_zone)
    survey = get_survey(session, actor, survey_id)
    plan = _plan(measure, options, survey.definition)
    wave_ids = list(
        session.scalars(
            select(SurveyWave.id).where(SurveyWave.survey_id == survey_id).order_by(SurveyWave.id)
        )
    )
    kept = snapshots or WaveSnapshots()
    months: list[MonthPoint] = []
    for attempt in (1, 2):
        with contextlib.ExitStack() as stack:
            files = [(w, stack.enter_context(kept.snapshot(session, w))) for w in wave_ids]
            try:
                months = _monthly(files, measure, plan, zone) if files else []
            except Exception:
                if attempt == 1 and any(not path.is_file() for _, path in files):
                    continue  # a newer snapshot replaced one meanwhile: read again
                raise
            break
    return SurveyTrend(
        survey_id,
        measure,
        plan.columns,
        plan.scale,
        plan.weights,
        tuple(_filled(months)),
        time_zone,
    )


def _by_month(connection: Any, files: Sequence[tuple[int, Path]], zone: ZoneInfo) -> Any:
    """The waves' rows as one Ibis table (columns matched by name) with their month on
    ``zone``'s clock (``YYYY-MM``; null without a ``submitted_at``)."""
    import ibis

    with quiet_backend_deprecations():
        table = connection.read_parquet([str(path) for _, path in files], union_by_name=True)
    span = table.aggregate(first=table.submitted_at.min(), last=table.submitted_at.max())
    first, last = connection.to_pyarrow(span).to_pylist()[0].values()
    if not isinstance(first, str) or not isinstance(last, str):
        return table.mutate(**{_MONTH: ibis.null(str)})
    starts = _month_starts(_instant(first), _instant(last), zone)
    month = ibis.cases(
        *((table.submitted_at >= utc, label) for label, utc in reversed(starts)),
        else_=ibis.null(str),
    )
    return table.mutate(**{_MONTH: month})


def _instant(text: str) -> datetime:
    """An exported ``submitted_at`` (``YYYY-MM-DDTHH:MM:SSZ``) as an aware instant."""
    return datetime.strptime(text, SUBMITTED_AT_FORMAT).replace(tzinfo=UTC)


def _month_starts(first: datetime, last: datetime, zone: ZoneInfo) -> list[tuple[str, str]]:
    """(``YYYY-MM``, the UTC instant it begins at as exported text) of each month of
    ``zone``'s clock from the one holding ``first`` to the one holding ``last``."""
    local, end = first.astimezone(zone), last.astimezone(zone)
    year, month = local.year, local.month
    starts: list[tuple[str, str]] = []
    while (year, month) <= (end.year, end.month):
        begins = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
        starts.append((f"{year:04d}-{month:02d}", begins.strftime(SUBMITTED_AT_FORMAT)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def _monthly(
    files: Sequence[tuple[int, Path]], measure: TrendMeasure, plan: _Plan, zone: ZoneInfo
) -> list[MonthPoint]:
    """The months that hold responses, each with its value (one grouped pass on an
    in-memory DuckDB of its own)."""
    import ibis

    connection = ibis.duckdb.connect()
    try:
        table = _by_month(connection, files, zone)
        for column in plan.columns:
            if column not in table.columns:
                option = "items" if measure is TrendMeasure.CSI else "column"
                raise DomainError(
                    f"{option}: {column!r} is not a question of the survey's responses",
                    code="not_a_question",
                    params={"value": column},
                )
        return _points(table, measure, plan)
    except InputError as exc:
        raise _named(files, measure, plan) or exc from None
    finally:
        connection.disconnect()


def _points(table: Any, measure: TrendMeasure, plan: _Plan) -> list[MonthPoint]:
    low, high = plan.scale
    if measure is TrendMeasure.NPS:
        nps = score_reports.nps(table, plan.columns[0], by=_MONTH)
        return [_point(str(m), s.n, s.nps, s.ci95) for m, s in nps.groups if m is not None]
    if measure is TrendMeasure.CSAT:
        csat = score_reports.csat(table, plan.columns[0], (low, high), by=_MONTH)
        return [_point(str(m), s.n, s.csat, s.ci95) for m, s in csat.groups if m is not None]
    rule = Scale(low, high, integer=False)  # as ``analyze csi`` reads its items
    sums = crossproducts(table, [(c, rule) for c in plan.columns], by=_MONTH)
    weights = plan.weights or normalise_item_weights(None, len(plan.columns))
    return [
        _csi_point(str(m), p.n, p.sums, p.sscp, plan.scale, weights)
        for m, p in sums.groups
        if m is not None
    ]


def _point(month: str, n: int, value: float | None, ci95: tuple[float, float] | None) -> MonthPoint:
    if n < MIN_ANSWERS:
        return MonthPoint(month, n, None, None)
    return MonthPoint(month, n, value, ci95)


def _csi_point(
    month: str,
    n: int,
    sums: np.ndarray[Any, np.dtype[np.float64]],
    sscp: np.ndarray[Any, np.dtype[np.float64]],
    scale: tuple[float, float],
    weights: Sequence[float],
) -> MonthPoint:
    """The mean respondent CSI of a month and its t interval, from the items' sums and
    sum-of-products matrix over the respondents who answered every item."""
    if n < MIN_ANSWERS:
        return MonthPoint(month, n, None, None)
    low, high = scale
    means = sums / n
    value = csi(means, low, high, list(weights))
    slope = 100.0 * np.asarray(weights, dtype=np.float64) / (high - low)
    covariance = (sscp - n * np.outer(means, means)) / (n - 1)
    sd = float(np.sqrt(max(float(slope @ covariance @ slope), 0.0)))
    return MonthPoint(month, n, value, t_interval(value, sd, n))


def _named(
    files: Sequence[tuple[int, Path]], measure: TrendMeasure, plan: _Plan
) -> InputError | None:
    """The first bad cell named by its wave's export, file row and column: each wave's
    file is read as ``touchpoint analyze`` reads it (only after the grouped pass found a
    bad cell somewhere)."""
    for wave_id, path in files:
        try:
            if measure is TrendMeasure.NPS:
                score_reports.nps(str(path), plan.columns[0])
            elif measure is TrendMeasure.CSAT:
                score_reports.csat(str(path), plan.columns[0], plan.scale)
            else:
                csi_report.csi(str(path), list(plan.columns), plan.scale, plan.weights)
        except InputError as exc:
            if exc.row is None:
                continue  # e.g. the question is not in this wave's version: no bad cell
            source = f"responses.parquet of wave {wave_id}"
            return exc.with_source(source)
    return None


def _filled(points: Sequence[MonthPoint]) -> list[MonthPoint]:
    """The months in order, with the months between that have no response as n = 0."""
    by_month = {p.month: p for p in points}
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    year, month = int(first[:4]), int(first[5:7])
    out: list[MonthPoint] = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        out.append(by_month.get(label, MonthPoint(label, 0, None, None)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
