"""Bad input names the file, the 1-based data row, the column and the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.support import (
    arrow_table,
    materialise,
    random_servqual,
    write_xlsx,
    write_xlsx_rows,
)
from touchpoint.engine import InputError, csi, kano, servqual, zone


def _csv(tmp_path: Path, columns: dict[str, Any], edits: dict[tuple[int, str], str]) -> Path:
    """Write ``columns`` as CSV text, replacing cell (data row, column) by raw text."""
    names = list(columns)
    n = len(next(iter(columns.values())))
    lines = [",".join(names)]
    for r in range(n):
        cells = []
        for name in names:
            value = columns[name][r]
            if (r + 1, name) in edits:
                cells.append(edits[(r + 1, name)])
            elif isinstance(value, float) and np.isnan(value):
                cells.append("")
            elif isinstance(value, float):
                cells.append(str(int(value)))
            else:
                cells.append(str(value))
        lines.append(",".join(cells))
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_text_in_a_numeric_csv_cell(tmp_path: Path) -> None:
    columns = random_servqual(30, seed=1)
    path = _csv(tmp_path, columns, {(17, "P5"): "good", (20, "E2"): "9"})
    with pytest.raises(InputError) as info:
        servqual(path)
    error = info.value
    assert (error.row, error.column, error.value) == (17, "P5", "good")
    assert str(error) == f"{path}: row 17, column P5: text 'good' in a numeric cell (scale 1–7)"


def test_out_of_scale_in_parquet_reports_the_first_row(tmp_path: Path) -> None:
    columns = random_servqual(50, seed=2)
    columns["E7"][33] = 9.0
    columns["P1"][40] = 0.0
    path = materialise(columns, "parquet", tmp_path)
    with pytest.raises(InputError) as info:
        servqual(path)
    assert (info.value.row, info.value.column, info.value.value) == (34, "E7", 9)
    assert "value 9 is outside the scale 1–7" in str(info.value)


def test_same_row_reports_the_leftmost_column(tmp_path: Path) -> None:
    columns = random_servqual(10, seed=3)
    columns["P3"][4] = 8.0
    columns["E9"][4] = 8.0
    with pytest.raises(InputError, match=r"row 5, column E9: value 8"):
        servqual(materialise(columns, "parquet", tmp_path))


def test_fraction_in_xlsx_and_dataframe(tmp_path: Path) -> None:
    columns = random_servqual(12, seed=4)
    table = arrow_table(columns).to_pandas()
    table["E3"] = table["E3"].astype("float64")
    table.loc[6, "E3"] = 2.5
    with pytest.raises(
        InputError, match=r"<DataFrame>: row 7, column E3: value 2.5 is not a whole"
    ):
        servqual(table)
    import pyarrow as pa

    path = tmp_path / "survey.xlsx"
    write_xlsx(pa.Table.from_pandas(table, preserve_index=False), path)
    with pytest.raises(InputError) as info:
        servqual(path)
    assert (info.value.row, info.value.column) == (7, "E3")
    assert str(path) in str(info.value)


def test_text_in_xlsx(tmp_path: Path) -> None:
    table = arrow_table(random_servqual(8, seed=5))
    rows = table.to_pylist()
    rows[2]["P22"] = "n/a"
    path = tmp_path / "survey.xlsx"
    write_xlsx_rows(table.column_names, rows, path)
    with pytest.raises(InputError, match=r"row 3, column P22: text 'n/a' in a numeric cell"):
        servqual(path)


def test_missing_columns(tmp_path: Path) -> None:
    columns = {k: v for k, v in random_servqual(5, seed=6).items() if k != "P13"}
    path = materialise(columns, "parquet", tmp_path)
    with pytest.raises(InputError, match=r"survey.parquet: missing required column P13$"):
        servqual(path)
    with pytest.raises(InputError, match="missing required column channel"):
        servqual(materialise(random_servqual(5, seed=6), "csv", tmp_path), by="channel")
    partial = {k: v for k, v in random_servqual(5, seed=6).items() if k != "W_empathy"}
    with pytest.raises(InputError, match="missing required column W_empathy"):
        servqual(materialise(partial, "csv", tmp_path))


def test_negative_weight_points(tmp_path: Path) -> None:
    columns = random_servqual(9, seed=7)
    path = _csv(tmp_path, columns, {(4, "W_reliability"): "-5"})
    with pytest.raises(InputError, match=r"row 4, column W_reliability: value -5 is outside"):
        servqual(path)


def test_blank_and_spaced_cells_are_missing_not_errors(tmp_path: Path) -> None:
    columns = random_servqual(6, seed=8)
    path = _csv(tmp_path, columns, {(1, "E1"): " ", (2, "E1"): " 4 ", (3, "P1"): ""})
    report = servqual(path)
    assert report.items[0].n == sum(
        1 for r in range(3, 6) if not np.isnan(columns["E1"][r]) and not np.isnan(columns["P1"][r])
    ) + (1 if not np.isnan(columns["P1"][1]) else 0)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        servqual(tmp_path / "absent.csv")
    other = tmp_path / "survey.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"unsupported file type \.json"):
        servqual(other)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="cannot read the workbook"):
        servqual(broken)
    with pytest.raises(TypeError, match="source must be"):
        servqual(42)


def test_zone_kano_csi_bad_cells(tmp_path: Path) -> None:
    zone_columns = {f"{p}{i}": np.full(4, 4.0) for p in "ADP" for i in range(1, 23)}
    zone_columns["D9"][2] = 12.0
    with pytest.raises(InputError, match=r"row 3, column D9: value 12 is outside the scale 1–9"):
        zone(materialise(zone_columns, "parquet", tmp_path))
    kano_columns = {"wifi_f": np.array([1.0, 2.0, 6.0]), "wifi_d": np.array([5.0, 5.0, 5.0])}
    with pytest.raises(InputError, match=r"row 3, column wifi_f: value 6 is outside the scale 1–5"):
        kano(materialise(kano_columns, "csv", tmp_path))
    with pytest.raises(InputError, match="missing required column wifi_d"):
        kano(materialise({"wifi_f": np.array([1.0])}, "parquet", tmp_path))
    with pytest.raises(InputError, match="no Kano feature columns"):
        kano(materialise({"x": np.array([1.0])}, "parquet", tmp_path))
    csi_columns = {"C1": np.array([3.0, 11.0]), "C2": np.array([4.0, 4.0])}
    with pytest.raises(InputError, match=r"row 2, column C1: value 11 is outside the scale 1–10"):
        csi(materialise(csi_columns, "parquet", tmp_path), ["C1", "C2"], (1, 10))
