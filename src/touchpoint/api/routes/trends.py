"""A survey's monthly trends and a wave's segment comparison (issue 24).

``GET /api/surveys/{id}/trends?measure=nps|csat|csi`` — the survey's NPS, CSAT or CSI
per calendar month (of ``tz``, by default the desk's time zone) over all its waves, each
month with its 95 % interval (``services.response_trends``): ``{"survey_id", "measure",
"columns", "scale", "weights", "time_zone", "min_n", "months": [{"month", "n", "enough",
"value", "ci95"}]}``. Options: ``column`` (NPS, CSAT), ``items`` (``C1,C2,C3``) and
``weights`` (``2,1,1``) for CSI, ``scale`` (``MIN-MAX``), ``tz``.

``GET /api/waves/{id}/segments?by=COLUMN&measure=mean|share&column=Q`` — each segment of
``by`` against the rest of the wave (``services.segment_comparison``): ``{"wave_id", "by",
"measure", "column", "scale", "test", "alpha", "min_n", "n", "value", "segments":
[{"segment", "n", "rest_n", "enough", "value", "rest_value", "difference", "statistic",
"df", "p_value", "significant"}]}``.

Analysts, supervisors and admins; a bad option is 400 naming it, a cell the measure
cannot use 422 naming its wave, row and column.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from touchpoint.api.deps import IdPath, ReporterDesk
from touchpoint.api.errors import SURVEY_RESPONSES
from touchpoint.api.schemas.analytics import SegmentsPublic, TrendPublic
from touchpoint.services.response_trends import TrendMeasure, TrendOptions, survey_trend
from touchpoint.services.segment_comparison import (
    SegmentMeasure,
    SegmentOptions,
    compare_segments,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["surveys"], responses=SURVEY_RESPONSES)

Name = Annotated[str | None, Query(max_length=100)]


@router.get("/surveys/{survey_id}/trends", response_model=TrendPublic)
def survey_trends(
    survey_id: IdPath,
    d: ReporterDesk,
    measure: TrendMeasure = TrendMeasure.NPS,
    column: Name = None,
    items: Annotated[str | None, Query(max_length=4000)] = None,
    scale: Annotated[str | None, Query(max_length=40)] = None,
    weights: Annotated[str | None, Query(max_length=4000)] = None,
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone of the months; default the desk's"),
    ] = None,
) -> dict[str, Any]:
    """The survey's ``measure`` per calendar month of ``tz`` with 95 % intervals; a month
    with fewer than ``min_n`` answers has ``value`` and ``ci95`` null."""
    options = TrendOptions(column=column, items=items, scale=scale, weights=weights)
    trend = survey_trend(
        d.session,
        d.actor,
        survey_id,
        measure,
        options,
        snapshots=d.state.snapshots,
        time_zone=tz or d.state.time_zone,
    )
    return trend.to_dict()


@router.get("/waves/{wave_id}/segments", response_model=SegmentsPublic)
def wave_segments(
    wave_id: IdPath,
    d: ReporterDesk,
    by: Name = None,
    measure: SegmentMeasure = SegmentMeasure.MEAN,
    column: Name = None,
    scale: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Each segment of ``by`` against the rest of the wave: Welch's t for a mean, the
    two-proportion z test for the top-two share, flagged at α = 0.05."""
    options = SegmentOptions(by=by, column=column, scale=scale)
    comparison = compare_segments(
        d.session, d.actor, wave_id, measure, options, snapshots=d.state.snapshots
    )
    return comparison.to_dict()
