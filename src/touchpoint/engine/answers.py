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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from touchpoint.engine._frames import json_value, records_frame
from touchpoint.engine.cells import Scale, check_aggregates, clean_column, has_invalid, row_checks
from touchpoint.engine.errors import InputError
from touchpoint.engine.run import Progress, fetch_rows
from touchpoint.engine.sources import Source, SourceLike, open_source

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
        raise InputError(option, f"expected whole numbers MIN < MAX, got {low:g}-{high:g}")
    return Scale(low, high, integer=True)


def _sort_key(label: Any) -> tuple[int, str, Any]:
    if label is None:
        return (2, "", 0)
    if isinstance(label, bool | int | float):
        return (0, "", float(label))
    return (1, str(label), 0)


def _open_checked(
    source: SourceLike, backend: Any, columns: Sequence[tuple[str, Scale]], by: str | None
) -> tuple[Source, Any]:
    """Open the source and select the clean answers ``v0, v1, …``, flags and group label."""
    src = open_source(source, backend)
    src.require([c for c, _ in columns] + ([] if by is None else [by]))
    t = src.table
    stage1: dict[str, Any] = {} if by is None else {_GROUP: t[by]}
    for k, (name, scale) in enumerate(columns):
        stage1[f"v{k}"] = clean_column(t[name], src.kinds[name])
        stage1.update(row_checks(f"v{k}", t[name], src.kinds[name], scale))
    return src, t.select(**stage1)


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


def _checks(s1: Any, columns: Sequence[tuple[str, Scale]], src: Source) -> dict[str, Any]:
    aggregates: dict[str, Any] = {}
    for k, (name, _) in enumerate(columns):
        aggregates.update(check_aggregates(f"v{k}", s1, src.kinds[name]))
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
) -> Grouped[AnswerCounts]:
    """How many rows hold each combination of answers in ``columns``, overall and per group.

    A blank cell counts as ``None``; any cell off its scale raises
    :class:`InputError` naming the file, row, column and value.
    """
    src, s1 = _open_checked(source, backend, columns, by)
    keys = [f"v{k}" for k in range(len(columns))]
    aggregates = {_COUNT: s1.count(), **_checks(s1, columns, src)}
    expr = s1.group_by([*([] if by is None else [_GROUP]), *keys]).aggregate(**aggregates)
    with src.reading():
        rows = fetch_rows(src.backend, expr, src.label, progress)
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
) -> Grouped[Crossproducts]:
    """Sufficient statistics of a regression over rows with no blank in ``columns``."""
    src, s1 = _open_checked(source, backend, columns, by)
    p = len(columns)
    total = s1["v0"]
    for k in range(1, p):
        total = total + s1[f"v{k}"]
    # 0 on complete rows, null otherwise: adding it keeps only complete rows' values.
    mask = total * 0
    masked = [s1[f"v{k}"] + mask for k in range(p)]
    aggregates: dict[str, Any] = {"n__": mask.count(), **_checks(s1, columns, src)}
    for a in range(p):
        aggregates[f"s__{a}"] = masked[a].sum()
        for b in range(a, p):
            aggregates[f"x__{a}_{b}"] = (masked[a] * masked[b]).sum()
    expr = (s1 if by is None else s1.group_by(_GROUP)).aggregate(**aggregates)
    with src.reading():
        rows = fetch_rows(src.backend, expr, src.label, progress)
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
