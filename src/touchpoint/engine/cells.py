"""Answer cells: one rule, applied twice.

In the engine, an Ibis expression turns each answer column into a clean float
column and counts the cells that break the rule, inside the one aggregation
pass. Only when that count is not zero does the Python side of the same rule
scan the source row by row to name the first bad cell (row, column, value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CellProblem",
    "ColumnKind",
    "Scale",
    "check_aggregates",
    "clean_column",
    "column_kind",
    "has_invalid",
    "row_checks",
]

#: How a column is stored, which decides how it is cleaned and checked.
ColumnKind = str  # "integer" | "floating" | "string"


@dataclass(frozen=True)
class Scale:
    """An answer scale: inclusive bounds, whole numbers only or any number."""

    low: float
    high: float
    integer: bool = True

    @property
    def bounded(self) -> bool:
        """Both bounds are finite (an unbounded whole-number rule only asks for integers)."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def describe(self) -> str:
        """``1–7`` style label (``whole numbers`` for an unbounded integer rule)."""
        if self.integer and not self.bounded:
            return "whole numbers"
        return f"{self.low:g}–{self.high:g}"

    def _where(self) -> str:
        return "whole numbers" if self.integer and not self.bounded else f"scale {self.describe()}"

    def allowed(self) -> list[float]:
        """The admissible values of an integer scale."""
        return [float(v) for v in range(int(self.low), int(self.high) + 1)]

    def problem(self, raw: object) -> CellProblem | None:
        """Why ``raw`` is not an admissible answer, or ``None`` (also for a missing answer)."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            return self._text(raw, f"scale {self.describe()}")
        if isinstance(raw, str):
            text = raw.strip()
            if text == "":
                return None
            try:
                value = float(text)
            except ValueError:
                return self._text(text, self._where())
            shown = text
        elif isinstance(raw, int | float):
            value = float(raw)
            shown = f"{value:g}"
        else:
            return self._text(str(raw), self._where())
        if math.isnan(value) or not self.low <= value <= self.high:
            return CellProblem(
                f"value {shown} is outside the scale {self.describe()}",
                code="cell_outside_scale",
                params={"value": shown, "low": f"{self.low:g}", "high": f"{self.high:g}"},
            )
        if self.integer and (math.isinf(value) or value != math.floor(value)):
            on_scale = f" on the scale {self.describe()}" if self.bounded else ""
            return CellProblem(
                f"value {shown} is not a whole number{on_scale}",
                code="cell_not_whole",
                params={"value": shown},
            )
        return None

    def _text(self, text: object, where: str) -> CellProblem:
        return CellProblem(
            f"text {text!r} in a numeric cell ({where})",
            code="cell_not_number",
            params={"value": str(text)},
        )


@dataclass(frozen=True, slots=True)
class CellProblem:
    """What is wrong with one answer cell: the English ``text`` (what ``InputError``
    says after the row and column) and a message ``code`` with ``params`` (the value as
    shown, and the scale's bounds when it is outside them), for a page's language."""

    text: str
    code: str
    params: dict[str, str]


def column_kind(dtype: Any) -> ColumnKind:
    """Classify an Ibis data type."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_floating() or dtype.is_decimal():
        return "floating"
    return "string"


def clean_column(column: Any, kind: ColumnKind) -> Any:
    """The answers as float64; blank text is missing, unreadable text becomes null."""
    if kind == "string":
        return column.cast("string").strip().nullif("").try_cast("float64")
    return column.cast("float64")


def row_checks(name: str, column: Any, kind: ColumnKind, scale: Scale) -> dict[str, Any]:
    """Per-row flag columns (1 = bad cell) for columns that min/max cannot check.

    Integer columns need no flag: the minimum and maximum of the raw column
    tell (cheap, and often read straight from Parquet statistics), so the raw
    column is carried along instead.
    """
    if kind == "integer":
        return {f"raw__{name}": column}
    if kind == "floating":
        value = column.cast("float64")
        present = value.notnull()
    else:
        text = column.cast("string").strip().nullif("")
        value = text.try_cast("float64")
        present = text.notnull()
    if scale.integer and not scale.bounded:
        # Any whole number: NaN and infinity are not (DuckDB holds NaN = NaN true).
        valid = ~(value.isnan() | value.isinf()) & (value == value.floor())
    elif scale.integer:
        valid = value.isin(scale.allowed())
    else:
        valid = value.between(scale.low, scale.high)
    return {f"bad__{name}": (present & (value.isnull() | ~valid)).cast("int64")}


def check_aggregates(name: str, table: Any, kind: ColumnKind) -> dict[str, Any]:
    """Aggregates over a table holding the clean column ``name`` and its row flags."""
    if kind == "integer":
        raw = table[f"raw__{name}"]
        return {f"min__{name}": raw.min(), f"max__{name}": raw.max()}
    return {f"bad__{name}": table[f"bad__{name}"].sum()}


def has_invalid(row: dict[str, Any], name: str, scale: Scale) -> bool:
    """Read the aggregates of :func:`check_aggregates` back from a result row."""
    if f"bad__{name}" in row:
        return bool(row[f"bad__{name}"] or 0)
    low, high = row.get(f"min__{name}"), row.get(f"max__{name}")
    return (low is not None and low < scale.low) or (high is not None and high > scale.high)
