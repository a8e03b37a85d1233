"""SERVQUAL on a survey file or DataFrame: one aggregation pass, then ``quality`` maths.

The pass returns, per group (or once): the respondent count; per item the
paired count and E and P sums; per dimension and column family (E, P) the
complete count, item sums and item cross-products for Cronbach's alpha; the
allocation-weight sums; SERVPERF counts and sums; and the cell checks. All of
these add across groups, so the overall report is the sum of the groups.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from touchpoint.engine._frames import json_value, records_frame
from touchpoint.engine.cells import Scale, check_aggregates, clean_column, has_invalid, row_checks
from touchpoint.engine.errors import weights_refused
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import Source, SourceLike, open_source
from touchpoint.engine.sql_cache import fetch_cached
from touchpoint.quality.reliability import cronbach_alpha_from_sscp
from touchpoint.quality.servqual import (
    SERVQUAL_DIMENSIONS,
    SERVQUAL_ITEMS,
    SERVQUAL_SCALE,
    ServperfScores,
    allocation_weights_from_sums,
    normalise_weights,
    servperf_from_sums,
    servqual_from_sums,
)

__all__ = [
    "ServqualDimension",
    "ServqualGroup",
    "ServqualItem",
    "ServqualReport",
    "servqual",
]

_SCALE = Scale(*SERVQUAL_SCALE)
_WEIGHT_SCALE = Scale(0.0, float("inf"), integer=False)
_ITEMS = tuple(range(1, 23))
_WEIGHT_COLUMNS = tuple(f"W_{d}" for d in SERVQUAL_DIMENSIONS)
#: The ``--by`` column's name inside the query.
_BY = "by__"


@dataclass(frozen=True)
class ServqualItem:
    """An item's means over respondents who answered both its E and its P."""

    item: int
    dimension: str
    n: int
    expectation: float | None
    perception: float | None
    gap: float | None


@dataclass(frozen=True)
class ServqualDimension:
    """A dimension's means of item values and the alpha of its E and P items."""

    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None
    alpha_expectation: float | None
    alpha_perception: float | None


@dataclass(frozen=True)
class ServqualGroup:
    """The SERVQUAL report of all respondents or of one ``--by`` group."""

    group: Any
    n_respondents: int
    items: tuple[ServqualItem, ...]
    dimensions: tuple[ServqualDimension, ...]
    unweighted: float | None
    weighted: float | None
    weights: Mapping[str, float] | None
    servperf: ServperfScores

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of one report (without ``group``)."""
        return {
            "instrument": "servqual",
            "n_respondents": self.n_respondents,
            "items": [
                {
                    "item": i.item,
                    "dimension": i.dimension,
                    "n": i.n,
                    "expectation": i.expectation,
                    "perception": i.perception,
                    "gap": i.gap,
                }
                for i in self.items
            ],
            "dimensions": [
                {
                    "dimension": d.dimension,
                    "expectation": d.expectation,
                    "perception": d.perception,
                    "gap": d.gap,
                    "alpha_expectation": d.alpha_expectation,
                    "alpha_perception": d.alpha_perception,
                }
                for d in self.dimensions
            ],
            "unweighted": self.unweighted,
            "weighted": self.weighted,
            "weights": None if self.weights is None else dict(self.weights),
        }


@dataclass(frozen=True)
class ServqualReport:
    """SERVQUAL report: ``overall`` plus one entry per group when grouped ``by`` a column."""

    overall: ServqualGroup
    by: str | None
    groups: tuple[ServqualGroup, ...]

    @property
    def n_respondents(self) -> int:
        """Respondents (data rows) in the source."""
        return self.overall.n_respondents

    @property
    def items(self) -> tuple[ServqualItem, ...]:
        """Overall item gaps."""
        return self.overall.items

    @property
    def dimensions(self) -> tuple[ServqualDimension, ...]:
        """Overall dimension gaps and alphas."""
        return self.overall.dimensions

    @property
    def unweighted(self) -> float | None:
        """Mean of the five dimension gaps."""
        return self.overall.unweighted

    @property
    def weighted(self) -> float | None:
        """Weighted sum of the dimension gaps, ``None`` without weights."""
        return self.overall.weighted

    @property
    def weights(self) -> Mapping[str, float] | None:
        """Dimension weights used for ``weighted``."""
        return self.overall.weights

    def to_dict(self) -> dict[str, Any]:
        """The exact JSON contract of ``touchpoint analyze servqual``."""
        out = self.overall.to_dict()
        if self.by is not None:
            out["groups"] = [{"group": json_value(g.group), **g.to_dict()} for g in self.groups]
        return out

    def to_frame(self, level: str = "items") -> Any:
        """Items (``level="items"``) or dimensions as a pandas DataFrame.

        With groups, the group rows follow the overall rows and a ``group``
        column tells them apart (``None`` for overall).
        """
        if level not in ("items", "dimensions"):
            raise ValueError("level must be 'items' or 'dimensions'")
        records: list[dict[str, Any]] = []
        for group, report in [(None, self.overall), *[(g.group, g) for g in self.groups]]:
            for row in report.to_dict()[level]:
                records.append({"group": group, **row} if self.by is not None else row)
        columns = list(records[0]) if records else []
        return records_frame(records, columns)


def servqual(
    source: SourceLike,
    *,
    by: str | None = None,
    weights: Mapping[str, float] | None = None,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> ServqualReport:
    """SERVQUAL report of a survey with columns ``E1..E22`` and ``P1..P22`` (1–7).

    Parameters
    ----------
    source
        CSV, Parquet or XLSX path, pandas/Polars DataFrame, pyarrow or Ibis table.
    by
        Optional column to report groups by.
    weights
        Dimension → non-negative points (normalised to sum 1); wins over the
        ``W_*`` allocation columns.
    backend
        An Ibis backend (default: a new embedded DuckDB).
    progress
        Callback receiving the completed fraction while the query runs.
    sql_cache
        Directory of compiled SQL (see :mod:`touchpoint.engine.sql_cache`);
        used for CSV/Parquet files on the default backend, ``None`` = no cache.

    Raises
    ------
    InputError
        Missing columns, bad cells (naming row, column and value) or bad weights.
    """
    fixed = _fixed_weights(weights)
    src = open_source(source, backend)
    columns = [f"{p}{i}" for p in "EP" for i in _ITEMS]
    src.require(columns + ([by] if by is not None else []))
    present_w = [c for c in _WEIGHT_COLUMNS if c in src.kinds]
    use_columns = fixed is None and bool(present_w)
    if use_columns:
        src.require(_WEIGHT_COLUMNS)
    checks = [(c, _SCALE) for c in columns]
    if use_columns:
        checks += [(c, _WEIGHT_SCALE) for c in _WEIGHT_COLUMNS]
    # The query reads the answers under their own names and the group column as
    # ``by__`` (see Source.planned); bad cells are reported from ``src``.
    plan_by = None if by is None else _BY
    read = [(c, c) for c, _ in checks] + ([] if by is None else [(by, _BY)])
    plan = src.planned(read)
    options = {
        "by": plan_by,
        "weight_columns": use_columns,
        "checks": [[name, scale.low, scale.high, scale.integer] for name, scale in checks],
    }
    rows = fetch_cached(
        plan,
        "servqual",
        options,
        lambda: _expression(plan, plan_by, checks, use_columns),
        progress,
        sql_cache,
    )
    # Groups in a fixed order: the weight shares are not whole numbers, so the
    # overall sums must not depend on the order the backend returns groups in.
    rows = sorted(_merge_halves(rows, by), key=_group_order)
    bad = [
        (name, scale) for name, scale in checks if any(has_invalid(r, name, scale) for r in rows)
    ]
    if bad:
        raise src.first_bad_cell(bad)
    total = _sum_rows(rows)
    overall = _group_report(None, total, fixed, use_columns)
    groups: tuple[ServqualGroup, ...] = ()
    if by is not None:
        groups = tuple(_group_report(r["group__"], r, fixed, use_columns) for r in rows)
    return ServqualReport(overall=overall, by=by, groups=groups)


def _fixed_weights(weights: Mapping[str, float] | None) -> dict[str, float] | None:
    """The ``weights`` option normalised to shares, ``None`` when not given."""
    if weights is None:
        return None
    try:
        return normalise_weights(weights)
    except ValueError as exc:
        raise weights_refused(exc, weights) from None


def _group_order(row: Mapping[str, Any]) -> tuple[bool, tuple[str, Any]]:
    group = row.get("group__")
    return (group is None, _sort_key(group))


def _sort_key(value: Any) -> tuple[str, Any]:
    if value is None:
        return ("", 0)
    if isinstance(value, int | float):
        return ("0", value)
    return ("1", str(value))


def _expression(
    src: Source, by: str | None, checks: Sequence[tuple[str, Scale]], use_weights: bool
) -> Any:
    """The statistics in two halves, two aggregations of the same rows joined by UNION ALL.

    Half 0 (E side): respondents, paired item sums, E alphas; half 1 (P side):
    all cell checks, SERVPERF sums, P alphas, allocation weights.
    DuckDB runs the two branches in parallel (it scans one Parquet row group
    on one thread only) and the P branch reads only P and weight columns. Each
    branch has every column; the other half's are typed nulls.
    """
    import ibis

    halves = [_half(src, by, checks, use_weights, half) for half in (0, 1)]
    branches = []
    for index, (table, _) in enumerate(halves):
        aggregates: dict[str, Any] = {}
        for other, (_, statistics) in enumerate(halves):
            for name, value in statistics.items():
                aggregates[name] = value if other == index else ibis.null(value.type())
        grouped = table if by is None else table.group_by("group__")
        branches.append(grouped.aggregate(**aggregates))
    return ibis.union(*branches)


def _half(
    src: Source, by: str | None, checks: Sequence[tuple[str, Scale]], use_weights: bool, half: int
) -> tuple[Any, dict[str, Any]]:
    """One half's table of per-row values and its aggregates (see :func:`_expression`)."""
    import ibis

    t = src.table
    prefix = "EP"[half]
    # Every cell check is in the P half: it reads fewer columns and less
    # arithmetic, so this evens out the two branches' work.
    own = list(checks) if half == 1 else []
    answers = [f"{p}{i}" for p in ("EP" if half == 0 else "P") for i in _ITEMS]
    if half == 1 and use_weights:
        answers += _WEIGHT_COLUMNS
    # Stage 1: clean floats, per-row cell flags, the group label.
    stage1: dict[str, Any] = {} if by is None else {"group__": t[by]}
    for name in answers:
        stage1[name] = clean_column(t[name], src.kinds[name])
    for name, scale in own:
        stage1.update(row_checks(name, t[name], src.kinds[name], scale))
    s1 = t.select(**stage1)
    # Stage 2: masks are 0 when all items of a dimension (or all weights) are
    # answered, else null, so adding one keeps a value only for complete rows.
    stage2: dict[str, Any] = {}
    for dimension, members in SERVQUAL_ITEMS.items():
        total = s1[f"{prefix}{members[0]}"]
        for i in members[1:]:
            total = total + s1[f"{prefix}{i}"]
        stage2[f"mask__{prefix}_{dimension}"] = total * 0
    if half == 0:
        for i in _ITEMS:
            # Over respondents with both answers: Σ(P − E) and Σ(P + E) give both sums.
            stage2[f"gap__{i}"] = s1[f"P{i}"] - s1[f"E{i}"]
            stage2[f"both__{i}"] = s1[f"P{i}"] + s1[f"E{i}"]
    elif use_weights:
        total_points = s1[_WEIGHT_COLUMNS[0]]
        for c in _WEIGHT_COLUMNS[1:]:
            total_points = total_points + s1[c]
        stage2["wtotal__"] = ibis.ifelse(total_points > 0, total_points, ibis.null("float64"))
    s2 = s1.mutate(**stage2)
    stage3: dict[str, Any] = {}
    for dimension, members in SERVQUAL_ITEMS.items():
        mask = s2[f"mask__{prefix}_{dimension}"]
        for i in members:
            stage3[f"l{prefix}{i}"] = s2[f"{prefix}{i}"] + mask
    if half == 1 and use_weights:
        for c in _WEIGHT_COLUMNS:
            stage3[f"share__{c}"] = s2[c] / s2["wtotal__"]
    s3 = s2.mutate(**stage3)

    aggregates: dict[str, Any] = {"n_respondents__": s3.count()} if half == 0 else {}
    for name, _ in own:
        aggregates.update(check_aggregates(name, s3, src.kinds[name]))
    for i in _ITEMS:
        if half == 0:
            aggregates[f"n__{i}"] = s3[f"gap__{i}"].count()
            aggregates[f"sg__{i}"] = s3[f"gap__{i}"].sum()
            aggregates[f"sb__{i}"] = s3[f"both__{i}"].sum()
        else:
            aggregates[f"npo__{i}"] = s3[f"P{i}"].count()
            aggregates[f"spo__{i}"] = s3[f"P{i}"].sum()
    for dimension, members in SERVQUAL_ITEMS.items():
        key = f"{prefix}_{dimension}"
        masked = [s3[f"l{prefix}{i}"] for i in members]
        aggregates[f"an__{key}"] = s3[f"mask__{key}"].count()
        for a, xa in enumerate(masked):
            aggregates[f"as__{key}__{a}"] = xa.sum()
            for b in range(a, len(masked)):
                aggregates[f"ax__{key}__{a}_{b}"] = (xa * masked[b]).sum()
    if half == 1 and use_weights:
        for c in _WEIGHT_COLUMNS:
            aggregates[f"ws__{c}"] = s3[f"share__{c}"].sum()
        aggregates["wn__"] = s3["wtotal__"].count()
    return s3, aggregates


def _merge_halves(rows: Sequence[dict[str, Any]], by: str | None) -> list[dict[str, Any]]:
    """One row per group from the two halves of :func:`_expression` (each value is in one)."""
    merged: dict[Any, dict[str, Any]] = {}
    for row in rows:
        target = merged.setdefault(row.get("group__") if by is not None else None, {})
        for key, value in row.items():
            if value is not None or key not in target:
                target[key] = value
    return list(merged.values())


def _sum_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Add the groups' statistics (min/max combine as such)."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key == "group__" or value is None:
                continue
            if key.startswith("min__"):
                total[key] = value if key not in total else min(total[key], value)
            elif key.startswith("max__"):
                total[key] = value if key not in total else max(total[key], value)
            else:
                total[key] = total.get(key, 0) + value
    return total


def _value(row: Mapping[str, Any], key: str) -> float:
    value = row.get(key)
    return 0.0 if value is None else float(value)


def _alpha(row: Mapping[str, Any], key: str, k: int) -> float | None:
    n = int(_value(row, f"an__{key}"))
    sums = np.array([_value(row, f"as__{key}__{a}") for a in range(k)])
    sscp = np.zeros((k, k))
    for a in range(k):
        for b in range(a, k):
            sscp[a, b] = sscp[b, a] = _value(row, f"ax__{key}__{a}_{b}")
    return cronbach_alpha_from_sscp(n, sums, sscp).alpha


def _group_report(
    group: Any, row: Mapping[str, Any], fixed: Mapping[str, float] | None, use_columns: bool
) -> ServqualGroup:
    weights: Mapping[str, float] | None = fixed
    if fixed is None and use_columns:
        weights = allocation_weights_from_sums(
            int(_value(row, "wn__")), [_value(row, f"ws__{c}") for c in _WEIGHT_COLUMNS]
        )
    gaps = np.array([_value(row, f"sg__{i}") for i in _ITEMS])
    both = np.array([_value(row, f"sb__{i}") for i in _ITEMS])
    # Exact: the answers are whole numbers, so these sums are exact in float64.
    scores = servqual_from_sums(
        [_value(row, f"n__{i}") for i in _ITEMS], (both - gaps) / 2, (both + gaps) / 2, weights
    )
    dimensions = tuple(
        ServqualDimension(
            dimension=d.dimension,
            expectation=d.expectation,
            perception=d.perception,
            gap=d.gap,
            alpha_expectation=_alpha(row, f"E_{d.dimension}", len(SERVQUAL_ITEMS[d.dimension])),
            alpha_perception=_alpha(row, f"P_{d.dimension}", len(SERVQUAL_ITEMS[d.dimension])),
        )
        for d in scores.dimensions
    )
    items = tuple(
        ServqualItem(i.item, i.dimension, i.n, i.expectation, i.perception, i.gap)
        for i in scores.items
    )
    servperf = servperf_from_sums(
        [_value(row, f"npo__{i}") for i in _ITEMS], [_value(row, f"spo__{i}") for i in _ITEMS]
    )
    return ServqualGroup(
        group=group,
        n_respondents=int(_value(row, "n_respondents__")),
        items=items,
        dimensions=dimensions,
        unweighted=scores.unweighted,
        weighted=scores.weighted,
        weights=scores.weights,
        servperf=servperf,
    )
