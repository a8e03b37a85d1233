"""Shared reading of the answer-count instruments (NPS, CSAT, CES, loyalty, drivers).

One aggregation pass per analysis, grouped by the ``--by`` column when asked:
either the count of each distinct answer (or answer pair), which is all that
NPS, CSAT, CES and the loyalty quadrants need, or the count, sums and
cross-products of complete rows, which is all that a regression needs. Every
cell is checked in the same pass (see :mod:`touchpoint.engine.cells`); only
when a check fails is the source re-read to name the first bad cell.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from touchpoint.engine._frames import json_value, records_frame
from touchpoint.engine.cells import Scale, check_aggregates, clean_column, has_invalid, row_checks
from touchpoint.engine.errors import InputError
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import Source, SourceLike, open_source
from touchpoint.engine.sql_cache import fetch_cached

__all__ = [
    "WHOLE_NUMBERS",
    "AnswerCounts",
    "Crossproducts",
    "Grouped",
    "GroupedReport",
    "answer_counts",
    "check_scale",
    "crossproducts",
    "grouped_dict",
    "grouped_frame",
]

#: Answers without a stated scale (loyalty, drivers): any whole number.
WHOLE_NUMBERS = Scale(-math.inf, math.inf, integer=True)

_GROUP = "group__"
_COUNT = "count__"

T = TypeVar("T")


@dataclass(frozen=True)
class Grouped(Generic[T]):
    """An analysis of all rows and, with ``by``, of each group's rows alone.

    Groups are ordered by label (numbers, then text); rows with a blank
    ``by`` cell form the last group, labelled ``None``. ``source`` names the
    data in messages (the file path or ``<DataFrame>``).
    """

    overall: T
    by: str | None
    groups: tuple[tuple[Any, T], ...]
    source: str = ""


def grouped_dict(
    overall: dict[str, Any], by: str | None, groups: Sequence[tuple[Any, dict[str, Any]]]
) -> dict[str, Any]:
    """The contract's JSON: the overall keys, plus ``groups`` when grouped ``by`` a column.

    Each group entry is ``group`` followed by every top-level key.
    """
    out = dict(overall)
    if by is not None:
        out["groups"] = [{"group": json_value(label), **document} for label, document in groups]
    return out


def grouped_frame(document: Mapping[str, Any], by: str | None) -> Any:
    """A pandas DataFrame of a grouped JSON document: one row per analysis (or per item).

    Intervals become ``ci95_low``/``ci95_high``; nested counts and shares
    become ``counts_true``, ``shares_true`` and so on; a ``drivers`` list gives
    one row per item. With ``by``, a ``group`` column (``None`` for all rows)
    leads.
    """
    analyses = [(None, document), *[(g["group"], g) for g in document.get("groups", [])]]
    records: list[dict[str, Any]] = []
    for label, analysis in analyses:
        flat: dict[str, Any] = {} if by is None else {"group": label}
        for key, value in analysis.items():
            if key in ("group", "groups", "drivers"):
                continue
            if key == "ci95":
                flat["ci95_low"], flat["ci95_high"] = value if value is not None else (None, None)
            elif isinstance(value, Mapping):
                flat.update({f"{key}_{k}": v for k, v in value.items()})
            else:
                flat[key] = value
        items = analysis.get("drivers")
        records.extend([{**flat, **item} for item in items] if items is not None else [flat])
    return records_frame(records, list(records[0]))


class GroupedReport:
    """Base of the grouped reports (NPS, CSAT, CES, drivers, loyalty): their ``to_frame``.

    A subclass is a frozen dataclass with a ``by`` field and its own ``to_dict``.
    """

    by: str | None

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON contract."""
        raise NotImplementedError

    def to_frame(self) -> Any:
        """One row per analysis (per item for drivers), ``group`` first when grouped."""
        return grouped_frame(self.to_dict(), self.by)


def check_scale(scale: tuple[float, float], option: str = "--scale") -> Scale:
    """A whole-number answer scale MIN–MAX from the option's two numbers."""
    low, high = float(scale[0]), float(scale[1])
    if not (low.is_integer() and high.is_integer()) or not low < high:
        raise InputError(
            option,
            f"expected whole numbers MIN < MAX, got {low:g}-{high:g}",
            code="option_scale",
            params={"field": option.removeprefix("--"), "value": f"{low:g}-{high:g}"},
        )
    return Scale(low, high, integer=True)


def _sort_key(label: Any) -> tuple[int, str, Any]:
    if label is None:
        return (2, "", 0)
    if isinstance(label, bool | int | float):
        return (0, "", float(label))
    return (1, str(label), 0)


def _planned(
    source: SourceLike, backend: Any, columns: Sequence[tuple[str, Scale]], by: str | None
) -> tuple[Source, Source]:
    """The source, and its answer columns read as ``c0, c1, …`` (the group as ``group__``),
    so the SQL compiled over them depends on the file's shape only (``engine.sql_cache``)."""
    src = open_source(source, backend)
    src.require([c for c, _ in columns] + ([] if by is None else [by]))
    read = [(name, f"c{k}") for k, (name, _) in enumerate(columns)]
    return src, src.planned(read + ([] if by is None else [(by, _GROUP)]))


def _checked(plan: Source, columns: Sequence[tuple[str, Scale]], by: str | None) -> Any:
    """The clean answers ``v0, v1, …`` of ``plan``, their checks and the group label."""
    t = plan.table
    stage1: dict[str, Any] = {} if by is None else {_GROUP: t[_GROUP]}
    for k, (_, scale) in enumerate(columns):
        kind = plan.kinds[f"c{k}"]
        stage1[f"v{k}"] = clean_column(t[f"c{k}"], kind)
        stage1.update(row_checks(f"v{k}", t[f"c{k}"], kind, scale))
    return t.select(**stage1)


def _cache_options(columns: Sequence[tuple[str, Scale]], by: str | None) -> dict[str, Any]:
    """What besides the file's shape decides the compiled SQL."""
    scales = [[str(scale.low), str(scale.high), scale.integer] for _, scale in columns]
    return {"by": by is not None, "scales": scales}


def _raise_bad_cells(
    src: Source, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, Scale]]
) -> None:
    """Raise the error naming the first bad cell when any check in ``rows`` failed."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if value is None or not key.startswith(("bad__", "min__", "max__")):
                continue
            if key.startswith("min__"):
                total[key] = min(total.get(key, value), value)
            elif key.startswith("max__"):
                total[key] = max(total.get(key, value), value)
            else:
                total[key] = total.get(key, 0) + value
    bad = [
        (name, scale)
        for k, (name, scale) in enumerate(columns)
        if has_invalid(total, f"v{k}", scale)
    ]
    if bad:
        raise src.first_bad_cell(bad)


def _checks(s1: Any, columns: Sequence[tuple[str, Scale]], plan: Source) -> dict[str, Any]:
    aggregates: dict[str, Any] = {}
    for k in range(len(columns)):
        aggregates.update(check_aggregates(f"v{k}", s1, plan.kinds[f"c{k}"]))
    return aggregates


def _grouped(
    by: str | None, per_group: Mapping[Any, T], combine: Callable[[list[T]], T]
) -> tuple[T, tuple[tuple[Any, T], ...]]:
    labels = sorted(per_group, key=_sort_key)
    overall = combine([per_group[label] for label in labels])
    groups = tuple((label, per_group[label]) for label in labels) if by is not None else ()
    return overall, groups


#: Counts of each answer tuple (``None`` for a blank cell), per group.
AnswerCounts = dict[tuple[float | None, ...], int]


def answer_counts(
    source: SourceLike,
    columns: Sequence[tuple[str, Scale]],
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> Grouped[AnswerCounts]:
    """How many rows hold each combination of answers in ``columns``, overall and per group.

    A blank cell counts as ``None``; any cell off its scale raises
    :class:`InputError` naming the file, row, column and value. ``sql_cache`` is a
    directory of compiled SQL (:mod:`touchpoint.engine.sql_cache`), ``None`` for none.
    """
    src, plan = _planned(source, backend, columns, by)
    keys = [f"v{k}" for k in range(len(columns))]

    def build() -> Any:
        s1 = _checked(plan, columns, by)
        aggregates = {_COUNT: s1.count(), **_checks(s1, columns, plan)}
        return s1.group_by([*([] if by is None else [_GROUP]), *keys]).aggregate(**aggregates)

    options = _cache_options(columns, by)
    rows = fetch_cached(plan, "answer_counts", options, build, progress, sql_cache)
    _raise_bad_cells(src, rows, columns)
    per_group: dict[Any, AnswerCounts] = {}
    for row in rows:
        values = tuple(None if row[key] is None else float(row[key]) for key in keys)
        counts = per_group.setdefault(row.get(_GROUP), {})
        counts[values] = counts.get(values, 0) + int(row[_COUNT])

    def combine(parts: list[AnswerCounts]) -> AnswerCounts:
        total: AnswerCounts = {}
        for part in parts:
            for values, count in part.items():
                total[values] = total.get(values, 0) + count
        return total

    overall, groups = _grouped(by, per_group, combine)
    return Grouped(overall=overall, by=by, groups=groups, source=src.label)


def _crossproducts_expression(
    s1: Any, columns: Sequence[tuple[str, Scale]], plan: Source, by: str | None
) -> Any:
    """The one aggregation of a regression's sufficient statistics (per group).

    The answers of complete rows (``m0, m1, …``; null in a row with any blank) are
    projected first, so that the sums of products read them rather than repeating the
    row's completeness test in each of the p(p + 1)/2 products."""
    p = len(columns)
    total = s1["v0"]
    for k in range(1, p):
        total = total + s1[f"v{k}"]
    # 0 on complete rows, null otherwise: adding it keeps only complete rows' values.
    masked = s1.select(*s1.columns, mask__=total * 0)
    kept = [c for c in s1.columns if c.startswith(("raw__", "bad__")) or c == _GROUP]
    mask = masked["mask__"]
    s2 = masked.select(*kept, n__=mask, **{f"m{k}": masked[f"v{k}"] + mask for k in range(p)})
    aggregates: dict[str, Any] = {"n__": s2["n__"].count(), **_checks(s2, columns, plan)}
    for a in range(p):
        aggregates[f"s__{a}"] = s2[f"m{a}"].sum()
        for b in range(a, p):
            aggregates[f"x__{a}_{b}"] = (s2[f"m{a}"] * s2[f"m{b}"]).sum()
    return (s2 if by is None else s2.group_by(_GROUP)).aggregate(**aggregates)


@dataclass(frozen=True)
class Crossproducts:
    """Count, sums and sum-of-products matrix of the rows complete in every column."""

    n: int
    sums: np.ndarray[Any, np.dtype[np.float64]]
    sscp: np.ndarray[Any, np.dtype[np.float64]]


def crossproducts(
    source: SourceLike,
    columns: Sequence[tuple[str, Scale]],
    *,
    by: str | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> Grouped[Crossproducts]:
    """Sufficient statistics of a regression over rows with no blank in ``columns``
    (``sql_cache`` as for :func:`answer_counts`)."""
    src, plan = _planned(source, backend, columns, by)
    p = len(columns)
    options = _cache_options(columns, by)
    rows = fetch_cached(
        plan,
        "crossproducts",
        options,
        lambda: _crossproducts_expression(_checked(plan, columns, by), columns, plan, by),
        progress,
        sql_cache,
    )
    _raise_bad_cells(src, rows, columns)
    per_group: dict[Any, Crossproducts] = {}
    for row in rows:
        sums = np.array([float(row[f"s__{a}"] or 0) for a in range(p)])
        sscp = np.zeros((p, p))
        for a in range(p):
            for b in range(a, p):
                sscp[a, b] = sscp[b, a] = float(row[f"x__{a}_{b}"] or 0)
        per_group[row.get(_GROUP)] = Crossproducts(int(row["n__"] or 0), sums, sscp)

    def combine(parts: list[Crossproducts]) -> Crossproducts:
        return Crossproducts(
            sum(part.n for part in parts),
            np.sum([part.sums for part in parts], axis=0) if parts else np.zeros(p),
            np.sum([part.sscp for part in parts], axis=0) if parts else np.zeros((p, p)),
        )

    overall, groups = _grouped(by, per_group, combine)
    return Grouped(overall=overall, by=by, groups=groups, source=src.label)
