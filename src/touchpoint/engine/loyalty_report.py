"""Loyalty quadrants (attitude × repeat patronage) on a survey file or table.

One pass counts each (attitude, repeat) answer pair, blanks included, per
``--by`` group. That table holds everything: each column's median over its
own non-blank answers (the default cut) and the quadrant counts of complete
pairs for any cut, finished by :mod:`touchpoint.quality.loyalty`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from touchpoint.engine.answers import (
    WHOLE_NUMBERS,
    AnswerCounts,
    GroupedReport,
    answer_counts,
    grouped_dict,
)
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import SourceLike
from touchpoint.quality.loyalty import (
    LoyaltyQuadrant,
    LoyaltyShares,
    loyalty_from_pairs,
    median_from_counts,
)

__all__ = ["LoyaltyGroup", "LoyaltyReport", "loyalty"]


@dataclass(frozen=True)
class LoyaltyGroup:
    """Quadrant counts and shares of one analysis with the cuts it used.

    A cut is ``None`` only when it was not given and its column has no answer.
    """

    shares: LoyaltyShares
    attitude_cut: float | None
    repeat_cut: float | None

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object of one analysis."""
        shares = self.shares.shares
        return {
            "n": self.shares.n,
            "counts": {q.value: self.shares.counts[q] for q in LoyaltyQuadrant},
            "shares": {q.value: None if shares is None else shares[q] for q in LoyaltyQuadrant},
            "attitude_cut": self.attitude_cut,
            "repeat_cut": self.repeat_cut,
        }


@dataclass(frozen=True)
class LoyaltyReport(GroupedReport):
    """Loyalty quadrants of all answers and, grouped ``by`` a column, of each group."""

    overall: LoyaltyGroup
    by: str | None
    groups: tuple[tuple[Any, LoyaltyGroup], ...]

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze loyalty``."""
        return grouped_dict(
            self.overall.to_dict(), self.by, [(g, a.to_dict()) for g, a in self.groups]
        )


def _marginal(pairs: AnswerCounts, side: int) -> dict[float, int]:
    counts: dict[float, int] = {}
    for values, n in pairs.items():
        value = values[side]
        if value is not None:
            counts[value] = counts.get(value, 0) + n
    return counts


def _analyse(
    pairs: AnswerCounts, attitude_cut: float | None, repeat_cut: float | None
) -> LoyaltyGroup:
    a_cut = median_from_counts(_marginal(pairs, 0)) if attitude_cut is None else attitude_cut
    r_cut = median_from_counts(_marginal(pairs, 1)) if repeat_cut is None else repeat_cut
    complete: dict[tuple[float, float], int] = {}
    for (attitude, repeat), n in pairs.items():
        if attitude is not None and repeat is not None:
            complete[(attitude, repeat)] = n
    if a_cut is None or r_cut is None:  # a column without answers: no complete pair either
        return LoyaltyGroup(loyalty_from_pairs({}, 0.0, 0.0), a_cut, r_cut)
    return LoyaltyGroup(loyalty_from_pairs(complete, a_cut, r_cut), a_cut, r_cut)


def loyalty(
    source: SourceLike,
    attitude: str,
    repeat: str,
    *,
    attitude_cut: float | None = None,
    repeat_cut: float | None = None,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> LoyaltyReport:
    """Dick & Basu's loyalty quadrants: true, latent, spurious and none.

    A value at its cut counts as high; a cut left out is the median of that
    column's non-blank answers (of the group's own rows in a group); pairs
    with a blank are left out of the counts. Answers must be whole numbers.

    Parameters
    ----------
    source
        CSV, Parquet or XLSX path, pandas/Polars DataFrame, pyarrow or Ibis table.
    attitude, repeat
        The relative-attitude and repeat-patronage columns.
    attitude_cut, repeat_cut
        Fixed cuts (for every group), or ``None`` for the medians.
    by
        Optional column: each group's own analysis in ``groups``.
    backend, progress, sql_cache
        As for :func:`touchpoint.engine.servqual`.

    Raises
    ------
    InputError
        A missing column or a cell that is not a whole number.
    """
    columns = [(attitude, WHOLE_NUMBERS), (repeat, WHOLE_NUMBERS)]
    counted = answer_counts(
        source, columns, by=by, backend=backend, progress=progress, sql_cache=sql_cache
    )
    return LoyaltyReport(
        overall=_analyse(counted.overall, attitude_cut, repeat_cut),
        by=by,
        groups=tuple((g, _analyse(c, attitude_cut, repeat_cut)) for g, c in counted.groups),
    )
