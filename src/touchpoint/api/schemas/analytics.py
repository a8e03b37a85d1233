"""Schemas of the survey analytics beyond the instruments' own JSON: a survey's monthly
trend, a wave's segment comparison and the SERVQUAL dimensions' AHP weights (issue 24)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "AhpWeightsPublic",
    "MonthPublic",
    "SegmentPublic",
    "SegmentsPublic",
    "TrendPublic",
    "WaveAhpPublic",
]


class MonthPublic(BaseModel):
    """One calendar month: its answers and, with at least ``min_n``, the value and its
    95% interval (else both null)."""

    month: str
    n: int
    enough: bool
    value: float | None
    ci95: list[float] | None


class TrendPublic(BaseModel):
    """A survey's NPS, CSAT or CSI month by month (``GET /api/surveys/{id}/trends``)."""

    survey_id: int
    measure: str
    columns: list[str]
    scale: list[float]
    weights: list[float] | None
    time_zone: str
    min_n: int
    months: list[MonthPublic]


class SegmentPublic(BaseModel):
    """One segment against the rest of the wave (``segment`` null: a blank cell); the
    test's figures null below ``min_n`` answers on either side."""

    segment: str | None
    n: int
    rest_n: int
    enough: bool
    value: float | None
    rest_value: float | None
    difference: float | None
    statistic: float | None
    df: float | None
    p_value: float | None
    significant: bool | None


class SegmentsPublic(BaseModel):
    """Every segment of ``by`` against the rest (``GET /api/waves/{id}/segments``)."""

    wave_id: int
    by: str
    measure: str
    column: str
    scale: list[float]
    test: str
    alpha: float
    min_n: int
    n: int
    value: float | None
    segments: list[SegmentPublic]


class AhpWeightsPublic(BaseModel):
    """The five SERVQUAL dimensions' AHP weights from 10 judgements (``GET
    /api/servqual-ahp``): the judgements as numbers (earlier dimension first), the
    reciprocal matrix in ``criteria`` order, and ``touchpoint analyze ahp``'s keys."""

    criteria: list[str]
    judgements: dict[str, float]
    matrix: list[list[float]]
    weights: dict[str, float]
    lambda_max: float | None
    ci: float | None
    cr: float | None
    consistent: bool


class WaveAhpPublic(BaseModel):
    """A wave's SERVQUAL weighted by the AHP weights of the judgements (``GET
    /api/waves/{id}/servqual-ahp``): ``servqual`` is ``GET
    /api/waves/{id}/analysis/servqual`` with ``weights`` = ``ahp.weights``."""

    ahp: AhpWeightsPublic
    servqual: dict[str, Any]
