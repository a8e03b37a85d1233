"""Kano on a survey with ``NAME_f`` / ``NAME_d`` answer pairs (1–5) per feature.

One query unions, per feature, a GROUP BY over its (functional, dysfunctional)
pair: the 5×5 answer table (the Kano sufficient statistic) plus any value off
the scale, which the same rows reveal; ``quality.kano`` classifies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from touchpoint.engine._frames import records_frame
from touchpoint.engine.cells import Scale, clean_column, row_checks
from touchpoint.engine.errors import InputError
from touchpoint.engine.run import Progress
from touchpoint.engine.sources import Source, SourceLike, open_source
from touchpoint.engine.sql_cache import fetch_cached
from touchpoint.quality.kano import KanoCategory, KanoResult, kano_from_table

__all__ = ["KanoFeature", "KanoReport", "kano", "kano_features"]

_SCALE = Scale(1, 5)
_CODES = ("A", "O", "M", "I", "R", "Q")


@dataclass(frozen=True)
class KanoFeature:
    """One feature's Kano classification and its 5×5 answer table."""

    feature: str
    result: KanoResult
    table: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of one feature."""
        r = self.result
        return {
            "feature": self.feature,
            "n": r.n,
            "counts": {code: r.counts[KanoCategory(code)] for code in _CODES},
            "mode": None if r.mode is None else r.mode.value,
            "category": None if r.category is None else r.category.value,
            "better": r.better,
            "worse": r.worse,
            "significant": r.significant,
        }


@dataclass(frozen=True)
class KanoReport:
    """Kano classification of every feature, in column order."""

    features: tuple[KanoFeature, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``touchpoint analyze kano``."""
        return {"features": [f.to_dict() for f in self.features]}

    def to_frame(self) -> Any:
        """One row per feature: n, the six counts, mode, category, Better, Worse."""
        records = []
        for feature in self.features:
            row = feature.to_dict()
            counts = row.pop("counts")
            records.append({**row, **counts})
        columns = ["feature", "n", *_CODES, "mode", "category", "better", "worse", "significant"]
        return records_frame(records, columns)


def kano_features(columns: list[str], label: str) -> list[str]:
    """Feature names from ``NAME_f`` columns, each of which needs its ``NAME_d``."""
    present = set(columns)
    features = [c[:-2] for c in columns if c.endswith("_f") and len(c) > 2]
    for feature in features:
        if f"{feature}_d" not in present:
            raise InputError(
                label,
                f"missing required column {feature}_d",
                code="missing_columns",
                params={"columns": f"{feature}_d"},
            )
    for column in columns:
        if column.endswith("_d") and len(column) > 2 and f"{column[:-2]}_f" not in present:
            raise InputError(
                label,
                f"missing required column {column[:-2]}_f",
                code="missing_columns",
                params={"columns": f"{column[:-2]}_f"},
            )
    if not features:
        raise InputError(
            label, "no Kano feature columns (NAME_f and NAME_d pairs)", code="kano_no_features"
        )
    return features


def kano(
    source: SourceLike,
    *,
    backend: Any = None,
    progress: Progress | None = None,
    sql_cache: str | os.PathLike[str] | None = None,
) -> KanoReport:
    """Kano report of every ``NAME_f``/``NAME_d`` pair in ``source``.

    A respondent counts for a feature when both answers are present.
    ``sql_cache`` is a directory of compiled SQL (see
    :mod:`touchpoint.engine.sql_cache`), ``None`` for no cache.

    Raises
    ------
    InputError
        No feature columns, a lone ``_f`` or ``_d`` column, or a bad cell.
    """
    src = open_source(source, backend)
    features = kano_features(src.columns, src.label)
    # Inside the query feature k is K{k}: one compiled query per feature count
    # and column kinds, whatever the file calls its features (Source.planned).
    planned = [f"K{k}" for k in range(1, len(features) + 1)]
    plan = src.planned(
        [
            (f"{name}_{side}", f"{alias}_{side}")
            for name, alias in zip(features, planned, strict=True)
            for side in ("f", "d")
        ]
    )
    rows = fetch_cached(
        plan,
        "kano",
        {"features": planned},
        lambda: _expression(plan, planned),
        progress,
        sql_cache,
    )
    tables = {k: np.zeros((5, 5), dtype=np.int64) for k in range(len(features))}
    bad: set[str] = set()
    allowed = set(_SCALE.allowed())
    for row in rows:
        index = int(row["feature"])
        f, d, n = row["f"], row["d"], int(row["n"] or 0)
        name = features[index]
        for value, flagged, column in ((f, row["bad_f"], "_f"), (d, row["bad_d"], "_d")):
            if (flagged or 0) > 0 or (value is not None and float(value) not in allowed):
                bad.add(name + column)
        complete = f is not None and d is not None
        if complete and float(f) in allowed and float(d) in allowed:
            tables[index][int(f) - 1, int(d) - 1] += n
    if bad:
        raise src.first_bad_cell([(c, _SCALE) for c in bad])
    return KanoReport(
        features=tuple(
            KanoFeature(
                feature=name,
                result=kano_from_table(tables[k]),
                table=tuple(tuple(int(v) for v in r) for r in tables[k]),
            )
            for k, name in enumerate(features)
        )
    )


def _expression(src: Source, features: list[str]) -> Any:
    import ibis

    t = src.table
    names = [f"{feature}_{side}" for feature in features for side in ("f", "d")]
    # Answers stored as one integer type are grouped as they are (no cast: ~30%
    # cheaper); any other mix is cleaned to float64 so the branches share a type.
    as_stored = all(src.kinds[n] == "integer" for n in names) and (
        len({t[n].type() for n in names}) == 1
    )
    parts = []
    for index, feature in enumerate(features):
        columns: dict[str, Any] = {"feature": ibis.literal(index, "int64")}
        for side in ("f", "d"):
            name = f"{feature}_{side}"
            kind = src.kinds[name]
            columns[side] = t[name] if as_stored else clean_column(t[name], kind)
            flags = row_checks(name, t[name], kind, _SCALE)
            columns[f"bad_{side}"] = flags.get(f"bad__{name}", ibis.literal(0, "int64"))
        pairs = t.select(**columns)
        parts.append(
            pairs.group_by(["feature", "f", "d"]).aggregate(
                n=pairs.count(), bad_f=pairs.bad_f.sum(), bad_d=pairs.bad_d.sum()
            )
        )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]
