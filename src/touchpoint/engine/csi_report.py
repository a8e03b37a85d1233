"""Customer satisfaction index of chosen indicator columns on a stated scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from touchpoint.engine._frames import records_frame
from touchpoint.engine.cells import Scale, check_aggregates, clean_column, has_invalid, row_checks
from touchpoint.engine.errors import InputError, named_twice, weights_refused
from touchpoint.engine.run import Progress, fetch_rows
from touchpoint.engine.sources import SourceLike, open_source
from touchpoint.quality.csi import CsiItem, csi_from_sums, normalise_item_weights

__all__ = ["CsiReport", "csi"]


@dataclass(frozen=True)
class CsiReport:
    """The index, the respondents behind it and each indicator's part."""

    csi: float | None
    n: int
    scale: tuple[float, float]
    items: tuple[CsiItem, ...]

    @property
    def weights(self) -> dict[str, float]:
        """Indicator → normalised weight."""
        return {i.item: i.weight for i in self.items}

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``touchpoint analyze csi``."""
        return {"csi": self.csi, "n": self.n, "weights": self.weights}

    def to_frame(self) -> Any:
        """One row per indicator: n, mean, 0–100 score, weight."""
        records = [
            {"item": i.item, "n": i.n, "mean": i.mean, "score": i.score, "weight": i.weight}
            for i in self.items
        ]
        return records_frame(records, ["item", "n", "mean", "score", "weight"])


def csi(
    source: SourceLike,
    items: Sequence[str],
    scale: tuple[float, float],
    weights: Sequence[float] | None = None,
    *,
    backend: Any = None,
    progress: Progress | None = None,
) -> CsiReport:
    """CSI = Σ wᵢ (meanᵢ − MIN)/(MAX − MIN) · 100 over the ``items`` columns.

    Each mean is over that indicator's answers; ``n`` counts respondents who
    answered at least one indicator. Weights are normalised (equal when ``None``).

    Raises
    ------
    InputError
        Bad scale or weights, missing columns, or a cell off the scale.
    """
    names = list(items)
    if not names:
        raise InputError("--items", "name at least one column")
    if len(set(names)) != len(names):
        raise named_twice("--items", names)
    low, high = float(scale[0]), float(scale[1])
    if not low < high:
        raise InputError(
            "--scale",
            f"MAX must exceed MIN, got {low:g}-{high:g}",
            code="option_scale",
            params={"field": "scale", "value": f"{low:g}-{high:g}"},
        )
    try:
        normalised = normalise_item_weights(weights, len(names))
    except ValueError as exc:
        raise weights_refused(exc, weights) from None
    src = open_source(source, backend)
    src.require(names)
    rule = Scale(low, high, integer=False)
    t = src.table
    stage1: dict[str, Any] = {}
    for name in names:
        stage1[name] = clean_column(t[name], src.kinds[name])
        stage1.update(row_checks(name, t[name], src.kinds[name], rule))
    s1 = t.select(**stage1)
    answered = s1[names[0]].notnull()
    for name in names[1:]:
        answered = answered | s1[name].notnull()
    aggregates: dict[str, Any] = {"n__": answered.cast("int64").sum()}
    for k, name in enumerate(names):
        aggregates.update(check_aggregates(name, s1, src.kinds[name]))
        aggregates[f"count__{k}"] = s1[name].count()
        aggregates[f"sum__{k}"] = s1[name].sum()
    with src.reading():
        row = fetch_rows(src.backend, s1.aggregate(**aggregates), src.label, progress)[0]
    bad = [(name, rule) for name in names if has_invalid(row, name, rule)]
    if bad:
        raise src.first_bad_cell(bad)
    result = csi_from_sums(
        names,
        [float(row[f"count__{k}"] or 0) for k in range(len(names))],
        [float(row[f"sum__{k}"] or 0) for k in range(len(names))],
        low,
        high,
        list(normalised),
    )
    return CsiReport(csi=result.csi, n=int(row["n__"] or 0), scale=(low, high), items=result.items)
