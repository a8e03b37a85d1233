"""Schemas of the survey analytics beyond the instruments' own JSON: a survey's monthly
trend and a wave's segment comparison (issue 24)."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["MonthPublic", "SegmentPublic", "SegmentsPublic", "TrendPublic"]


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
