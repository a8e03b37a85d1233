"""NPS, CSAT and CES of one answer column, overall and per ``--by`` group.

The pass counts each answer (per group): eleven numbers for NPS, a handful
for CSAT and CES, whatever the number of rows. The scores and intervals are
then finished by :mod:`touchpoint.quality.csi`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from touchpoint.engine.answers import (
    AnswerCounts,
    Grouped,
    GroupedReport,
    answer_counts,
    check_scale,
    grouped_dict,
)
from touchpoint.engine.cells import Scale
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import SourceLike
from touchpoint.quality.csi import (
    CesScore,
    CsatScore,
    NpsScore,
    ces_from_counts,
    csat_from_counts,
    nps_from_counts,
)

__all__ = ["CesReport", "CsatReport", "NpsReport", "ces", "csat", "nps"]

T = TypeVar("T")

#: The NPS question's scale ("how likely … 0–10").
NPS_SCALE = Scale(0.0, 10.0, integer=True)


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def _values(counts: AnswerCounts) -> dict[float, int]:
    """Counts of the one column's answers, blanks left out."""
    return {values[0]: n for values, n in counts.items() if values[0] is not None}


def _scored(
    counted: Grouped[AnswerCounts], score: Callable[[dict[float, int]], T]
) -> tuple[T, tuple[tuple[Any, T], ...]]:
    """``score`` of all the column's answers, and of each group's."""
    groups = tuple((g, score(_values(c))) for g, c in counted.groups)
    return score(_values(counted.overall)), groups


def nps_dict(score: NpsScore) -> dict[str, Any]:
    """One NPS analysis as the contract's JSON object."""
    return {
        "n": score.n,
        "promoters": score.promoters,
        "passives": score.passives,
        "detractors": score.detractors,
        "nps": score.nps,
        "ci95": _interval(score.ci95),
    }


def csat_dict(score: CsatScore) -> dict[str, Any]:
    """One CSAT analysis as the contract's JSON object."""
    return {
        "n": score.n,
        "satisfied": score.satisfied,
        "csat": score.csat,
        "mean": score.mean,
        "ci95": _interval(score.ci95),
    }


def ces_dict(score: CesScore) -> dict[str, Any]:
    """One CES analysis as the contract's JSON object."""
    return {
        "n": score.n,
        "mean": score.mean,
        "sd": score.sd,
        "ci95": _interval(score.ci95),
        "easy": score.easy,
    }


@dataclass(frozen=True)
class NpsReport(GroupedReport):
    """NPS of all answers and, grouped ``by`` a column, of each group."""

    overall: NpsScore
    by: str | None
    groups: tuple[tuple[Any, NpsScore], ...]

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze nps``."""
        return grouped_dict(
            nps_dict(self.overall), self.by, [(g, nps_dict(s)) for g, s in self.groups]
        )


@dataclass(frozen=True)
class CsatReport(GroupedReport):
    """CSAT of all answers and, grouped ``by`` a column, of each group."""

    overall: CsatScore
    by: str | None
    groups: tuple[tuple[Any, CsatScore], ...]
    scale: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze csat``."""
        return grouped_dict(
            csat_dict(self.overall), self.by, [(g, csat_dict(s)) for g, s in self.groups]
        )


@dataclass(frozen=True)
class CesReport(GroupedReport):
    """CES of all answers and, grouped ``by`` a column, of each group."""

    overall: CesScore
    by: str | None
    groups: tuple[tuple[Any, CesScore], ...]
    scale: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze ces``."""
        return grouped_dict(
            ces_dict(self.overall), self.by, [(g, ces_dict(s)) for g, s in self.groups]
        )


def _nps_score(counts: Mapping[float, int]) -> NpsScore:
    promoters = sum(n for v, n in counts.items() if v >= 9)
    passives = sum(n for v, n in counts.items() if 7 <= v <= 8)
    detractors = sum(n for v, n in counts.items() if v <= 6)
    return nps_from_counts(promoters, passives, detractors)


def nps(
    source: SourceLike,
    column: str = "NPS",
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> NpsReport:
    """Net Promoter Score of ``column`` (whole numbers 0–10) with its adjusted-Wald interval.

    Parameters
    ----------
    source
        CSV, Parquet or XLSX path, pandas/Polars DataFrame, pyarrow or Ibis table.
    column
        The 0–10 answers; blank cells are left out.
    by
        Optional column: each group's own NPS in ``groups``.
    backend, progress, sql_cache
        As for :func:`touchpoint.engine.servqual`.

    Raises
    ------
    InputError
        A missing column or a cell that is not a whole number on 0–10.
    """
    counted = answer_counts(
        source,
        [(column, NPS_SCALE)],
        by=by,
        backend=backend,
        progress=progress,
        sql_cache=sql_cache,
    )
    overall, groups = _scored(counted, _nps_score)
    return NpsReport(overall=overall, by=by, groups=groups)


def csat(
    source: SourceLike,
    column: str = "CSAT",
    scale: tuple[float, float] = (1.0, 5.0),
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> CsatReport:
    """CSAT: the share of answers in the top two points of ``scale``, with a Wilson interval.

    Raises
    ------
    InputError
        A scale that is not whole numbers MIN < MAX, a missing column or a cell
        that is not a whole number on the scale.
    """
    rule = check_scale(scale)
    counted = answer_counts(
        source, [(column, rule)], by=by, backend=backend, progress=progress, sql_cache=sql_cache
    )
    overall, groups = _scored(counted, lambda values: csat_from_counts(values, rule.high))
    return CsatReport(overall=overall, by=by, groups=groups, scale=(rule.low, rule.high))


def ces(
    source: SourceLike,
    column: str = "CES",
    scale: tuple[float, float] = (1.0, 7.0),
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> CesReport:
    """Customer effort score: mean, sd, t interval and the share in the top three points.

    The top of ``scale`` is the least effort ("very easy").

    Raises
    ------
    InputError
        A scale that is not whole numbers MIN < MAX, a missing column or a cell
        that is not a whole number on the scale.
    """
    rule = check_scale(scale)
    counted = answer_counts(
        source, [(column, rule)], by=by, backend=backend, progress=progress, sql_cache=sql_cache
    )
    overall, groups = _scored(counted, lambda values: ces_from_counts(values, rule.high))
    return CesReport(overall=overall, by=by, groups=groups, scale=(rule.low, rule.high))
