"""Segment comparison with significance within a wave (issue 24): each segment of a
column (channel, touchpoint, customer class, region, or the answer to a choice
question) against the rest of the wave, on a question's mean or on a share.

* ``mean``: the question's mean answer, Welch's t test of the segment against the rest
  (:func:`touchpoint.quality.significance.welch_t_test`; p from scipy's t distribution).
* ``share``: the share of answers in the top two points of the question's scale — the
  CSAT top-two box on 1–5, the promoters (9–10) of an NPS question on 0–10 — with the
  two-proportion z test (pooled standard error).

A difference is flagged significant at α = 0.05 (two-sided). A segment with fewer than
:data:`~touchpoint.services.response_trends.MIN_ANSWERS` answers, or whose rest has fewer,
gets "not enough answers": its n, and no value, difference or statistic.

Data: the wave's analyses themselves (:func:`touchpoint.services.wave_analysis.analyze_wave`
over the wave's Parquet snapshot), grouped by the segment column: CES's per-group n, mean
and sd for ``mean``, CSAT's per-group n and top-two count for ``share``. Answers are whole
numbers, so each group's sum n·mean and sum of squares (n − 1)·sd² + n·mean² are whole
numbers too, recovered exactly by rounding; the rest of the wave is the whole wave minus
the segment, computed on those exact integers. Customer ids never enter (they are not a
segment column, and an anonymous wave's snapshot has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import QuestionType, SurveyDefinition
from touchpoint.domain.survey_quotas import CUSTOMER_SEGMENTS
from touchpoint.engine.options import scale_bounds
from touchpoint.quality.significance import ALPHA, two_proportion_z_test, welch_t_test
from touchpoint.services.base import Actor, get_or_404, require
from touchpoint.services.response_trends import MIN_ANSWERS
from touchpoint.services.surveys import wave_definition
from touchpoint.services.wave_analysis import (
    AnalysisOptions,
    Instrument,
    analyze_wave,
    option_error,
)
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.survey_models import SurveyWave

__all__ = [
    "RESPONSE_SEGMENTS",
    "SegmentComparison",
    "SegmentMeasure",
    "SegmentOptions",
    "SegmentRow",
    "compare_segments",
    "scale_questions",
    "segment_columns",
    "wave_choices",
]

#: The export's columns that segment every wave (choice questions add their own).
RESPONSE_SEGMENTS = ("channel", "touchpoint", *CUSTOMER_SEGMENTS)


class SegmentMeasure(StrEnum):
    """What is compared between a segment and the rest of the wave."""

    MEAN = "mean"
    SHARE = "share"

    @property
    def test(self) -> str:
        """The test's name in the JSON."""
        return "welch_t" if self is SegmentMeasure.MEAN else "two_proportion_z"


@dataclass(frozen=True, slots=True)
class SegmentOptions:
    """The comparison's options as text (the API's query parameters): the segment column
    ``by``, the question ``column`` and its ``scale`` as ``MIN-MAX`` (by default the
    question's own)."""

    by: str | None = None
    column: str | None = None
    scale: str | None = None


@dataclass(frozen=True, slots=True)
class _Group:
    """A group's exact sufficient statistics: answers, their sum and sum of squares for a
    mean; answers and top-two count for a share."""

    n: int
    total: int
    squares: int = 0

    def minus(self, other: _Group) -> _Group:
        return _Group(self.n - other.n, self.total - other.total, self.squares - other.squares)

    def value(self) -> float | None:
        """The mean answer, or the share (total: the top-two count)."""
        return None if self.n == 0 else self.total / self.n

    def variance(self) -> float:
        """The sample variance (n − 1) from the exact sums."""
        return (self.n * self.squares - self.total**2) / (self.n * (self.n - 1))


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """One segment against the rest of the wave (``segment`` None: a blank cell)."""

    segment: str | None
    n: int
    rest_n: int
    value: float | None = None
    rest_value: float | None = None
    difference: float | None = None
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None

    @property
    def enough(self) -> bool:
        """The segment and the rest both have :data:`MIN_ANSWERS` answers."""
        return self.n >= MIN_ANSWERS and self.rest_n >= MIN_ANSWERS

    @property
    def significant(self) -> bool | None:
        """p < α; None without enough answers for a test."""
        if not self.enough:
            return None
        return self.p_value is not None and self.p_value < ALPHA

    def to_dict(self) -> dict[str, Any]:
        """The segment's JSON object."""
        return {
            "segment": self.segment,
            "n": self.n,
            "rest_n": self.rest_n,
            "enough": self.enough,
            "value": self.value,
            "rest_value": self.rest_value,
            "difference": self.difference,
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "significant": self.significant,
        }


@dataclass(frozen=True)
class SegmentComparison:
    """Every segment of ``by`` against the rest of the wave."""

    wave_id: int
    by: str
    measure: SegmentMeasure
    column: str
    scale: tuple[float, float]
    n: int
    value: float | None
    segments: tuple[SegmentRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON: the options, the wave's own n and value, the segments."""
        return {
            "wave_id": self.wave_id,
            "by": self.by,
            "measure": self.measure.value,
            "column": self.column,
            "scale": list(self.scale),
            "test": self.measure.test,
            "alpha": ALPHA,
            "min_n": MIN_ANSWERS,
            "n": self.n,
            "value": self.value,
            "segments": [s.to_dict() for s in self.segments],
        }


def segment_columns(definition: SurveyDefinition) -> tuple[str, ...]:
    """The columns a wave of ``definition`` can be segmented by."""
    choices = tuple(q.id for q in definition.questions if q.type is QuestionType.CHOICE)
    return (*RESPONSE_SEGMENTS, *choices)


def scale_questions(definition: SurveyDefinition) -> tuple[str, ...]:
    """The questions a segment comparison can read (scale questions)."""
    return tuple(q.id for q in definition.questions if q.type is QuestionType.SCALE)


def wave_choices(
    session: Session, actor: Actor, wave_id: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The wave's segment columns and its scale questions (what a page offers)."""
    require(actor, actor.role.can_read_reports, "analyse survey waves")
    definition = wave_definition(session, get_or_404(session, SurveyWave, wave_id))
    return segment_columns(definition), scale_questions(definition)


def _checked(
    wave_id: int, definition: SurveyDefinition, o: SegmentOptions
) -> tuple[str, str, tuple[float, float]]:
    """The segment column, the question and its scale, checked against the wave."""
    allowed = segment_columns(definition)
    if o.by not in allowed:
        raise DomainError(
            f"by: {o.by!r} is not a segment of wave {wave_id}; one of {', '.join(allowed)}",
            code="not_a_segment",
            params={"value": o.by, "allowed": ", ".join(allowed)},
        )
    questions = {q.id: q for q in definition.questions if q.type is QuestionType.SCALE}
    column = o.column or next((q for q in ("NPS", "CSAT") if q in questions), None)
    question = questions.get(column or "")
    if question is None or question.low is None or question.high is None:
        raise DomainError(
            f"column: {o.column!r} is not a scale question of wave {wave_id}",
            code="not_a_scale_question",
            params={"value": o.column or ""},
        )
    if o.scale:
        bounds = scale_bounds(o.scale)
        whole = bounds is not None and all(b.is_integer() for b in bounds)
        if bounds is None or not whole or not bounds[0] < bounds[1]:
            raise option_error(
                "scale", o.scale, "expected whole numbers MIN-MAX such as 1-5", code="option_scale"
            )
        return o.by or "", question.id, bounds
    return o.by or "", question.id, (float(question.low), float(question.high))


def compare_segments(
    session: Session,
    actor: Actor,
    wave_id: int,
    measure: SegmentMeasure,
    options: SegmentOptions,
    *,
    snapshots: WaveSnapshots | None = None,
) -> SegmentComparison:
    """Each segment of ``options.by`` against the rest of the wave (module docstring).
    ``DomainError`` names a bad option; ``InputError`` a cell off the scale."""
    require(actor, actor.role.can_read_reports, "analyse survey waves")
    wave = get_or_404(session, SurveyWave, wave_id)
    by, column, scale = _checked(wave_id, wave_definition(session, wave), options)
    instrument = Instrument.CES if measure is SegmentMeasure.MEAN else Instrument.CSAT
    scale_text = f"{scale[0]:g}-{scale[1]:g}"
    report = analyze_wave(
        session,
        actor,
        wave_id,
        instrument,
        AnalysisOptions(by=by, column=column, scale=scale_text),
        snapshots=snapshots,
    )
    whole = _group(report, measure)
    rows = tuple(
        _row(group["group"], _group(group, measure), whole, measure) for group in report["groups"]
    )
    value = whole.value() if whole.n >= MIN_ANSWERS else None
    return SegmentComparison(wave_id, by, measure, column, scale, whole.n, value, rows)


def _group(analysis: dict[str, Any], measure: SegmentMeasure) -> _Group:
    """A group's exact sums from its analysis (CES: n, mean, sd; CSAT: n, satisfied)."""
    n = int(analysis["n"])
    if measure is SegmentMeasure.SHARE:
        return _Group(n, int(analysis["satisfied"]))
    if n == 0:
        return _Group(0, 0, 0)
    mean, sd = float(analysis["mean"]), float(analysis["sd"] or 0.0)
    return _Group(n, round(n * mean), round((n - 1) * sd * sd + n * mean * mean))


def _row(label: Any, segment: _Group, whole: _Group, measure: SegmentMeasure) -> SegmentRow:
    rest = whole.minus(segment)
    shown = None if label is None else str(label)
    if segment.n < MIN_ANSWERS or rest.n < MIN_ANSWERS:
        return SegmentRow(shown, segment.n, rest.n)
    if measure is SegmentMeasure.SHARE:
        z = two_proportion_z_test(segment.total, segment.n, rest.total, rest.n)
        statistic, df, p_value, difference = z.z, None, z.p_value, z.difference
    else:
        t = welch_t_test(
            segment.n,
            segment.total / segment.n,
            segment.variance(),
            rest.n,
            rest.total / rest.n,
            rest.variance(),
        )
        statistic, df, p_value, difference = t.t, t.df, t.p_value, t.difference
    return SegmentRow(
        shown,
        segment.n,
        rest.n,
        value=segment.value(),
        rest_value=rest.value(),
        difference=difference,
        statistic=statistic,
        df=df,
        p_value=p_value,
    )
