"""Driver analysis with importance–performance quadrants on a survey file or table.

One pass sums the outcome and the items and their cross-products over rows
with no blank in any of them (per ``--by`` group); the correlation matrix,
standardised betas, Johnson's relative weights and the IPA quadrants follow
from those few numbers in :mod:`touchpoint.quality.drivers`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from touchpoint.engine.answers import (
    WHOLE_NUMBERS,
    Crossproducts,
    GroupedReport,
    crossproducts,
    grouped_dict,
)
from touchpoint.engine.errors import InputError, named_twice
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import SourceLike
from touchpoint.quality.drivers import DriverReport, driver_report_from_sscp

__all__ = ["DriversGroup", "DriversReport", "drivers"]


@dataclass(frozen=True)
class DriversGroup:
    """One analysis: ``result`` is ``None`` when the regression cannot be fitted.

    A group too small for its regression (or with an item that does not vary)
    keeps its ``n`` and item means and says why in ``problem``; the overall
    analysis raises instead.
    """

    items: tuple[str, ...]
    n: int
    means: tuple[float | None, ...]
    result: DriverReport | None
    problem: str | None
    # The problem's message code and params (:class:`InputError`'s), when it has them.
    problem_code: str | None = None
    problem_params: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object of one analysis."""
        if self.result is None:
            drivers = [
                {
                    "item": item,
                    "mean": mean,
                    "beta": None,
                    "relative_weight": None,
                    "rescaled_weight": None,
                    "quadrant": None,
                }
                for item, mean in zip(self.items, self.means, strict=True)
            ]
            return {"n": self.n, "r2": None, "drivers": drivers}
        return {
            "n": self.result.n,
            "r2": self.result.r_squared,
            "drivers": [
                {
                    "item": d.item,
                    "mean": d.mean,
                    "beta": d.beta,
                    "relative_weight": d.relative_weight,
                    "rescaled_weight": d.rescaled_weight,
                    "quadrant": None if d.quadrant is None else d.quadrant.value,
                }
                for d in self.result.items
            ],
        }


@dataclass(frozen=True)
class DriversReport(GroupedReport):
    """Driver analysis of all complete rows and, grouped ``by`` a column, of each group."""

    outcome: str
    overall: DriversGroup
    by: str | None
    groups: tuple[tuple[Any, DriversGroup], ...]

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze drivers``."""
        return grouped_dict(
            self.overall.to_dict(), self.by, [(g, a.to_dict()) for g, a in self.groups]
        )


class _Problem(NamedTuple):
    """Why a regression cannot be fitted: the English message, its code and params."""

    message: str
    code: str
    params: dict[str, object]


def _problem(items: Sequence[str], outcome: str, stats: Crossproducts) -> _Problem | None:
    """Why no regression can be fitted to ``stats``, in the data's words, with its message
    code and params (``None``: it can)."""
    p = len(items)
    if stats.n <= p + 1:
        return _Problem(
            f"need more than {p + 1} rows with the outcome and every item answered, got {stats.n}",
            code="drivers_too_few_rows",
            params={"needed": p + 1, "n": stats.n},
        )
    variance = np.diag(stats.sscp) - stats.sums**2 / stats.n
    names = [*items, outcome]
    flat = [names[j] for j in range(p + 1) if variance[j] <= 1e-12 * max(1.0, stats.sscp[j, j])]
    if flat:
        columns = ", ".join(flat)
        return _Problem(
            f"column {columns} has the same answer in every complete row",
            code="drivers_constant_column",
            params={"columns": columns},
        )
    return None


def _analyse(items: Sequence[str], outcome: str, stats: Crossproducts) -> DriversGroup:
    means = tuple(None if stats.n == 0 else float(s) / stats.n for s in stats.sums[: len(items)])
    found = _problem(items, outcome, stats)
    if found is not None:
        message, code, params = found
        return DriversGroup(tuple(items), stats.n, means, None, message, code, params)
    try:
        result = driver_report_from_sscp(list(items), stats.n, stats.sums, stats.sscp)
    except ValueError as exc:  # e.g. perfectly collinear items
        return DriversGroup(tuple(items), stats.n, means, None, str(exc))
    return DriversGroup(tuple(items), stats.n, means, result, None)


def drivers(
    source: SourceLike,
    outcome: str,
    items: Sequence[str],
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> DriversReport:
    """Standardised betas, Johnson's relative weights and IPA quadrants of ``items``.

    Rows with a blank in the outcome or any item are left out; every answer
    must be a whole number. Each ``by`` group gets its own regression.

    Parameters
    ----------
    source
        CSV, Parquet or XLSX path, pandas/Polars DataFrame, pyarrow or Ibis table.
    outcome
        The overall-satisfaction column.
    items
        The attribute columns, in the order reported.
    by
        Optional column: each group's own analysis in ``groups``.
    backend, progress, sql_cache
        As for :func:`touchpoint.engine.servqual`.

    Raises
    ------
    InputError
        Missing columns, a cell that is not a whole number, or an overall
        regression that cannot be fitted (too few complete rows, an item
        without variance, collinear items).
    """
    names = list(items)
    if not names:
        raise InputError("--items", "name at least one column")
    if len(set(names)) != len(names):
        raise named_twice("--items", names)
    if outcome in names:
        raise InputError(
            "--items",
            f"the outcome {outcome} cannot also be an item",
            code="option_outcome_item",
            params={"field": "items", "value": outcome},
        )
    columns = [(name, WHOLE_NUMBERS) for name in [*names, outcome]]
    stats = crossproducts(
        source, columns, by=by, backend=backend, progress=progress, sql_cache=sql_cache
    )
    overall = _analyse(names, outcome, stats.overall)
    if overall.problem is not None:
        raise InputError(
            stats.source,
            overall.problem,
            code=overall.problem_code,
            params=overall.problem_params,
        )
    groups = tuple((g, _analyse(names, outcome, s)) for g, s in stats.groups)
    return DriversReport(outcome=outcome, overall=overall, by=by, groups=groups)
