"""Write the same survey columns as CSV, Parquet, XLSX or DataFrames for engine tests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet", "xlsx", "pandas", "polars")


def arrow_table(columns: dict[str, Any]) -> pa.Table:
    """Answers as nullable int16 (NaN = missing); other columns as they come."""
    arrays = {}
    for name, values in columns.items():
        array = np.asarray(values)
        if array.dtype.kind == "f":
            arrays[name] = pa.array(array, from_pandas=True).cast(pa.int16())
        else:
            arrays[name] = pa.array(array)
    return pa.table(arrays)


def write_xlsx(table: pa.Table, path: Path) -> None:
    write_xlsx_rows(table.column_names, table.to_pylist(), path)


def write_xlsx_rows(names: list[str], rows: list[dict[str, Any]], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(names)
    for row in rows:
        sheet.append([row[c] for c in names])
    workbook.save(path)


def materialise(columns: dict[str, Any], form: str, folder: Path) -> Any:
    """The survey as a file path (csv/parquet/xlsx) or a pandas/Polars DataFrame."""
    table = arrow_table(columns)
    if form == "csv":
        path = folder / "survey.csv"
        pacsv.write_csv(table, path)
        return path
    if form == "parquet":
        path = folder / "survey.parquet"
        pq.write_table(table, path)
        return path
    if form == "xlsx":
        path = folder / "survey.xlsx"
        write_xlsx(table, path)
        return path
    if form == "pandas":
        return table.to_pandas()
    if form == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(form)


def random_servqual(n: int, seed: int, missing: float = 0.08) -> dict[str, Any]:
    """E1..E22, P1..P22 on 1-7 with missing cells, plus a group column and W_*."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {"region": rng.choice(["east", "west", "north"], n)}
    for prefix in "EP":
        for i in range(1, 23):
            values = rng.integers(1, 8, n).astype(float)
            values[rng.random(n) < missing] = np.nan
            columns[f"{prefix}{i}"] = values
    for d in ("tangibles", "reliability", "responsiveness", "assurance", "empathy"):
        values = rng.integers(0, 40, n).astype(float)
        values[rng.random(n) < missing] = np.nan
        columns[f"W_{d}"] = values
    return columns


def matrix(columns: dict[str, Any], prefix: str, count: int = 22) -> np.ndarray:
    return np.column_stack(
        [np.asarray(columns[f"{prefix}{i}"], float) for i in range(1, count + 1)]
    )


def close(a: Any, b: Any, tol: float = 1e-12) -> bool:
    """Deep comparison of JSON-like documents with a float tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(a, b, abs_tol=tol, rel_tol=tol)
    return bool(a == b)
