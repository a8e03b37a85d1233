"""A wave's one-page report (issue 24): the wave's counts and the headline analysis that
fits its survey's template, as plain figures a page or a PDF lays out.

Every number of the analysis is the API's (:func:`~touchpoint.services.wave_analysis.
analyze_wave`, the JSON ``touchpoint analyze`` prints for the wave's export): the report
only picks and names them, so the printed page and ``/api/waves/{id}/analysis/...``
cannot disagree. SERVQUAL's Cronbach's alpha per dimension is part of that JSON already.
Downloading the report is an export and is audited like the responses' exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.services import surveys as survey_svc
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.services.wave_analysis import (
    INSTRUMENT_BY_TEMPLATE,
    AnalysisOptions,
    Instrument,
    analyze_wave,
)
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.survey_models import Survey, SurveyWave

__all__ = [
    "Z_95",
    "GapFigure",
    "Headline",
    "KanoFigure",
    "ScoreFigure",
    "WaveChoice",
    "WaveReport",
    "ZoneFigure",
    "headline_instrument",
    "record_report_export",
    "wave_report",
    "waves_read_with",
]

#: The normal quantile the NPS and CSAT intervals use (the contract's, not a library's).
Z_95 = 1.959964


@dataclass(frozen=True, slots=True)
class GapFigure:
    """SERVQUAL: a dimension's mean expectation, perception, gap P − E and the Cronbach's
    alpha of its E items and of its P items (None: not defined, e.g. no variance)."""

    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None
    alpha_expectation: float | None
    alpha_perception: float | None


@dataclass(frozen=True, slots=True)
class ZoneFigure:
    """Zone of tolerance: a dimension's adequate, desired and perceived service and the
    measures of service adequacy (P − A) and superiority (P − D)."""

    dimension: str
    adequate: float | None
    desired: float | None
    perception: float | None
    msa: float | None
    mss: float | None


@dataclass(frozen=True, slots=True)
class KanoFigure:
    """Kano: a feature's answers, category, Better and Worse, and whether its category
    passes Fong's test."""

    feature: str
    n: int
    category: str | None
    better: float | None
    worse: float | None
    significant: bool


@dataclass(frozen=True, slots=True)
class ScoreFigure:
    """NPS, CSAT or CES: the score, its 95 % interval (None: not defined) and the counts
    or moments behind it, in the JSON's order (``promoters``, ``mean``, ...)."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    details: tuple[tuple[str, float | int | None], ...]


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline figure: ``key`` says which (``mean_gap``, ``largest_shortfall``,
    ``score``...), ``subject`` the dimension or feature it is about, if any."""

    key: str
    value: float | None
    subject: str | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class WaveReport:
    """What the one-page report shows of a wave: its counts, then the analysis that fits
    the survey's template (``instrument`` None: the template has none, or the survey was
    defined by hand), as headline figures and the rows of its chart and table.

    ``analysis`` is the API's JSON unchanged, for anything the figures leave out."""

    wave: survey_svc.WaveView
    survey_name: str
    template: str | None
    anonymous: bool
    made_at: datetime
    instrument: Instrument | None
    n: int
    analysis: Mapping[str, Any]
    headline: tuple[Headline, ...] = ()
    gaps: tuple[GapFigure, ...] = ()
    zone: tuple[ZoneFigure, ...] = ()
    kano: tuple[KanoFigure, ...] = ()
    score: ScoreFigure | None = None

    def enough(self, min_n: int) -> bool:
        """Whether there are answers enough (``min_n`` or more) to show any figure."""
        return self.instrument is not None and self.n >= min_n


def wave_report(
    session: Session,
    actor: Actor,
    wave_id: int,
    *,
    now: datetime,
    snapshots: WaveSnapshots | None = None,
) -> WaveReport:
    """The report of the wave: its counts and its template's analysis, every number
    from :func:`analyze_wave` on the wave's snapshot (kept in ``snapshots``). An
    ``engine.InputError`` names a column the analysis cannot use, as the API's 422."""
    require(actor, actor.role.can_read_reports, "read wave reports")
    wave = survey_svc.get_wave(session, actor, wave_id)
    survey = survey_svc.get_survey(session, actor, wave.survey_id)
    definition = survey_svc.wave_definition(session, get_or_404(session, SurveyWave, wave_id))
    instrument = headline_instrument(survey.template, definition.question_ids)
    base: dict[str, Any] = {
        "wave": wave,
        "survey_name": survey.name,
        "template": survey.template,
        "anonymous": definition.anonymous,
        "made_at": now,
        "instrument": instrument,
    }
    if instrument is None:
        return WaveReport(**base, n=0, analysis={})
    analysis = analyze_wave(
        session, actor, wave_id, instrument, AnalysisOptions(), snapshots=snapshots
    )
    return WaveReport(**base, **_figures(instrument, analysis), analysis=analysis)


def headline_instrument(template: str | None, columns: Sequence[str]) -> Instrument | None:
    """The analysis a survey is read with: its template's; for a survey defined by hand
    (an anonymous one always is), the instrument whose columns it has, the template's
    names being the ones the analyses read (``E1``/``P1`` SERVQUAL, ``A1``/``D1``/``P1``
    the zone of tolerance, ``NAME_f``/``NAME_d`` Kano, ``NPS``, ``CSAT``, ``CES``)."""
    if template is not None:
        return INSTRUMENT_BY_TEMPLATE.get(template)
    have = set(columns)
    if {"A1", "D1", "P1"} <= have:
        return Instrument.ZONE
    if {"E1", "P1"} <= have:
        return Instrument.SERVQUAL
    if any(c.endswith("_f") and f"{c[:-2]}_d" in have for c in have):
        return Instrument.KANO
    for name in ("NPS", "CSAT", "CES"):
        if name in have:
            return Instrument(name.lower())
    return None


@dataclass(frozen=True, slots=True)
class WaveChoice:
    """A wave as a form's list names it: its id, its survey's name and its own."""

    id: int
    survey: str
    name: str


def waves_read_with(
    session: Session, actor: Actor, instrument: Instrument, *, limit: int = 200
) -> list[WaveChoice]:
    """The newest ``limit`` waves of the surveys read with ``instrument``
    (:func:`headline_instrument`): the choices of a form that asks for such a wave, as
    the five-gap report asks for SERVQUAL waves."""
    require(actor, actor.role.can_read_reports, "read waves")
    surveys = session.execute(
        select(Survey.id, Survey.name, Survey.template, Survey.definition)
        .order_by(Survey.id.desc())
        .limit(10 * limit)
    )
    names = {
        survey_id: name
        for survey_id, name, template, definition in surveys
        if headline_instrument(template, _question_ids(template, definition)) is instrument
    }
    waves = session.execute(
        select(SurveyWave.id, SurveyWave.survey_id, SurveyWave.name)
        .where(SurveyWave.survey_id.in_(names))
        .order_by(SurveyWave.id.desc())
        .limit(limit)
    )
    return [WaveChoice(wave_id, names[survey_id], name) for wave_id, survey_id, name in waves]


def _question_ids(template: str | None, definition: Mapping[str, Any]) -> list[str]:
    """A stored definition's question ids, read only for a survey without a template (a
    template alone names the instrument)."""
    if template is not None:
        return []
    return [q.id for q in survey_svc.definition_for(definition).questions]


def _figures(instrument: Instrument, r: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of one analysis's JSON: ``n``, the headline and the chart's rows."""
    match instrument:
        case Instrument.SERVQUAL:
            return _servqual(r)
        case Instrument.ZONE:
            return _zone(r)
        case Instrument.KANO:
            return _kano(r)
        case Instrument.NPS:
            return _score(r, "NPS", "nps", ("promoters", "passives", "detractors"))
        case Instrument.CSAT:
            return _score(r, "CSAT", "csat", ("satisfied", "mean"))
        case Instrument.CES:
            return _score(r, "CES", "mean", ("sd", "easy"))
    raise ValueError(f"instrument: no report for {instrument.value!r}")  # pragma: no cover


def _lowest(values: Mapping[str, float | None]) -> tuple[str | None, float | None]:
    """The key with the smallest defined value (the first of equals), or (None, None)."""
    defined = [(v, k) for k, v in values.items() if v is not None]
    if not defined:
        return None, None
    value, key = min(defined, key=lambda pair: pair[0])
    return key, value


def _servqual(r: Mapping[str, Any]) -> dict[str, Any]:
    gaps = tuple(
        GapFigure(
            d["dimension"],
            d["expectation"],
            d["perception"],
            d["gap"],
            d["alpha_expectation"],
            d["alpha_perception"],
        )
        for d in r["dimensions"]
    )
    worst, gap = _lowest({g.dimension: g.gap for g in gaps})
    headline = (
        Headline("mean_gap", r["unweighted"]),
        Headline("largest_shortfall", gap, subject=worst),
    )
    return {"n": r["n_respondents"], "gaps": gaps, "headline": headline}


def _zone(r: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("adequate", "desired", "perception", "msa", "mss")
    zone = tuple(ZoneFigure(d["dimension"], *(d[k] for k in keys)) for d in r["dimensions"])
    worst, msa = _lowest({z.dimension: z.msa for z in zone})
    below = sum(1 for z in zone if z.msa is not None and z.msa < 0)
    headline = (
        Headline("lowest_adequacy", msa, subject=worst),
        Headline("below_adequate", float(below)),
    )
    return {"n": r["n_respondents"], "zone": zone, "headline": headline}


def _kano(r: Mapping[str, Any]) -> dict[str, Any]:
    kano = tuple(
        KanoFigure(
            f["feature"], f["n"], f["category"], f["better"], f["worse"], bool(f["significant"])
        )
        for f in r["features"]
    )
    significant = sum(1 for k in kano if k.significant)
    headline = (
        Headline("features", float(len(kano))),
        Headline("significant_features", float(significant)),
    )
    return {"n": min((k.n for k in kano), default=0), "kano": kano, "headline": headline}


def _score(
    r: Mapping[str, Any], label: str, value_key: str, extra: tuple[str, ...]
) -> dict[str, Any]:
    lo, hi = r["ci95"] or (None, None)  # none: no answer (CES: fewer than two)
    score = ScoreFigure(label, r[value_key], lo, hi, tuple((k, r[k]) for k in extra))
    headline = (Headline("score", r[value_key], subject=label, low=lo, high=hi),)
    return {"n": r["n"], "score": score, "headline": headline}


def record_report_export(
    session: Session,
    actor: Actor,
    report: WaveReport,
    fmt: str,
    *,
    now: datetime,
) -> None:
    """Audit a downloaded report as the responses' exports are audited: who, which
    wave, which format, which analysis and how many answers it summed up."""
    require(actor, actor.role.can_read_reports, "export wave reports")
    session.rollback()  # the report's reads; the audit is a write of its own
    after = {
        "format": fmt,
        "instrument": None if report.instrument is None else report.instrument.value,
        "n": report.n,
    }
    with write(session, actor, "survey.report", now=now) as unit:
        unit.audit("survey_wave", report.wave.id, before=None, after=after)
