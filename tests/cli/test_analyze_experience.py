"""``touchpoint analyze nps|csat|ces|drivers|loyalty``: exact JSON keys, groups, exit 2.

The real command in a subprocess, on CSV, Parquet and XLSX files; its JSON
must equal the engine's ``to_dict()`` (the API will serve the same objects).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from touchpoint.engine import ces, csat, drivers, loyalty, nps

NPS_KEYS = {"n", "promoters", "passives", "detractors", "nps", "ci95"}
CSAT_KEYS = {"n", "satisfied", "csat", "mean", "ci95"}
CES_KEYS = {"n", "mean", "sd", "ci95", "easy"}
DRIVERS_KEYS = {"n", "r2", "drivers"}
DRIVER_KEYS = {"item", "mean", "beta", "relative_weight", "rescaled_weight", "quadrant"}
LOYALTY_KEYS = {"n", "counts", "shares", "attitude_cut", "repeat_cut"}
QUADRANTS = {"true", "latent", "spurious", "none"}


@pytest.fixture(autouse=True)
def _private_sql_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUCHPOINT_CACHE_DIR", str(tmp_path / "sql-cache"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchpoint", "analyze", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_json(*args: str) -> Any:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _fails(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""  # nothing partial
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def close(a: Any, b: Any, tol: float = 1e-12) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tol
    return bool(a == b)


def survey(n: int = 60, seed: int = 11) -> dict[str, list[Any]]:
    """Whole-number answers (None = blank) and a text group column."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 8, n)
    b = rng.integers(1, 8, n)
    columns: dict[str, Any] = {
        "site": rng.choice(["airport", "downtown"], n).tolist(),
        "NPS": rng.integers(0, 11, n),
        "CSAT": rng.integers(1, 6, n),
        "CES": rng.integers(1, 8, n),
        "A": a,
        "B": b,
        "C": rng.integers(1, 8, n),
        "OVERALL": np.clip(np.round(0.6 * a + 0.3 * b + rng.normal(size=n)), 1, 10),
        "ATT": rng.integers(1, 8, n),
        "REP": rng.integers(0, 10, n),
    }
    out: dict[str, list[Any]] = {"site": columns["site"]}
    for name, values in columns.items():
        if name == "site":
            continue
        listed = [int(v) for v in values]
        out[name] = [None if rng.random() < 0.05 else v for v in listed]
    return out


def write(columns: dict[str, list[Any]], form: str, folder: Path, name: str = "survey") -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pa.table(columns)
    path = folder / f"{name}.{form}"
    if form == "csv":
        pacsv.write_csv(table, path)
    elif form == "parquet":
        pq.write_table(table, path)
    else:
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(list(columns))
        for row in zip(*columns.values(), strict=True):
            sheet.append(list(row))
        workbook.save(path)
    return path


COMMANDS: dict[str, tuple[list[str], set[str]]] = {
    "nps": ([], NPS_KEYS),
    "csat": (["--column", "CSAT", "--scale", "1-5"], CSAT_KEYS),
    "ces": (["--scale", "1-7"], CES_KEYS),
    "drivers": (["--outcome", "OVERALL", "--items", "A,B,C"], DRIVERS_KEYS),
    "loyalty": (["--attitude", "ATT", "--repeat", "REP"], LOYALTY_KEYS),
}


def engine_dict(command: str, path: Path, by: str | None) -> dict[str, Any]:
    if command == "nps":
        return nps(path, by=by).to_dict()
    if command == "csat":
        return csat(path, by=by).to_dict()
    if command == "ces":
        return ces(path, by=by).to_dict()
    if command == "drivers":
        return drivers(path, "OVERALL", ["A", "B", "C"], by=by).to_dict()
    return loyalty(path, "ATT", "REP", by=by).to_dict()


def check_keys(command: str, document: dict[str, Any], keys: set[str]) -> None:
    assert set(document) == keys
    if command == "drivers":
        assert [d["item"] for d in document["drivers"]] == ["A", "B", "C"]
        assert all(set(d) == DRIVER_KEYS for d in document["drivers"])
    if command == "loyalty":
        assert set(document["counts"]) == QUADRANTS == set(document["shares"])
    if "ci95" in document:
        assert isinstance(document["ci95"], list) and len(document["ci95"]) == 2


@pytest.mark.parametrize("form", ["csv", "parquet", "xlsx"])
def test_json_contract_groups_and_engine_equality(form: str, tmp_path: Path) -> None:
    path = write(survey(), form, tmp_path)
    for command, (options, keys) in COMMANDS.items():
        # Without --by once (CSV); the overall part of a grouped run is the same analysis.
        plain = engine_dict(command, path, None)
        if form == "csv":
            printed = run_json(command, str(path), *options)
            check_keys(command, printed, keys)
            assert close(printed, plain)
        grouped = run_json(command, str(path), *options, "--by", "site", "--format", "json")
        assert set(grouped) == keys | {"groups"}
        assert [g["group"] for g in grouped["groups"]] == ["airport", "downtown"]
        for group in grouped["groups"]:
            assert set(group) == keys | {"group"}
            check_keys(command, {k: v for k, v in group.items() if k != "group"}, keys)
        assert close({k: v for k, v in grouped.items() if k != "groups"}, plain)
        assert close(grouped, engine_dict(command, path, "site"))


def test_published_values_through_the_command(tmp_path: Path) -> None:
    # 15 promoters, 10 passives, 5 detractors: NPS 33.333, adjusted Wald
    # [4.778, 55.828] (Rocks 2016, worked in tests/quality/test_quality_experience.py).
    answers = [10] * 8 + [9] * 7 + [8] * 6 + [7] * 4 + [6, 5, 3, 0, 0] + [None]
    path = write({"NPS": answers}, "csv", tmp_path)
    document = run_json("nps", str(path))
    assert document["n"] == 30 and document["nps"] == pytest.approx(100 / 3, abs=1e-12)
    assert document["ci95"] == pytest.approx([4.778, 55.828], abs=5e-4)
    # 81 satisfied of 263 on 1-5: Wilson [0.2553, 0.3662] (Newcombe 1998).
    csat_path = write({"CSAT": [5] * 40 + [4] * 41 + [3] * 182}, "parquet", tmp_path)
    share = run_json("csat", str(csat_path))
    assert (share["n"], share["satisfied"]) == (263, 81)
    assert share["ci95"] == pytest.approx([0.2553, 0.3662], abs=5e-5)
    loyal = write({"ATT": [7, 5, 6, 2, 1, 1, None], "REP": [4, 3, 1, 3, 0, 5, 2]}, "xlsx", tmp_path)
    quadrants = run_json(
        "loyalty",
        str(loyal),
        "--attitude",
        "ATT",
        "--repeat",
        "REP",
        "--attitude-cut",
        "5",
        "--repeat-cut",
        "3",
    )
    # Cuts 5 and 3, at a cut is high (Dick & Basu 1994): (7,4) and (5,3) true, (6,1)
    # latent, (2,3) and (1,5) spurious, (1,0) none; the pair with a blank is left out.
    assert quadrants["counts"] == {"true": 2, "latent": 1, "spurious": 2, "none": 1}
    assert (quadrants["attitude_cut"], quadrants["repeat_cut"]) == (5, 3)


@pytest.mark.parametrize(
    ("command", "column", "value", "message"),
    [
        ("nps", "NPS", "7.5", "value 7.5 is not a whole number on the scale 0–10"),
        ("csat", "CSAT", "6", "value 6 is outside the scale 1–5"),
        ("ces", "CES", "easy", "text 'easy' in a numeric cell (scale 1–7)"),
        ("drivers", "B", "2.5", "value 2.5 is not a whole number"),
        ("loyalty", "ATT", "x", "text 'x' in a numeric cell (whole numbers)"),
    ],
)
def test_bad_cell_exit_2_naming_file_row_column_value(
    command: str, column: str, value: str, message: str, tmp_path: Path
) -> None:
    path = write(survey(20, seed=4), "csv", tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [h.strip('"') for h in lines[0].split(",")]
    cells = lines[4].split(",")  # data row 4
    cells[header.index(column)] = value
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = COMMANDS[command][0]
    _fails(run(command, str(path), *options), str(path), "row 4", f"column {column}", message)


def test_bad_options_and_missing_columns_exit_2(tmp_path: Path) -> None:
    path = write(survey(10, seed=5), "parquet", tmp_path)
    _fails(run("csat", str(path), "--scale", "five"), "--scale: expected MIN-MAX")
    _fails(run("ces", str(path), "--scale", "7-1"), "--scale: expected whole numbers MIN < MAX")
    _fails(run("nps", str(path), "--column", "LTR"), str(path), "missing required column LTR")
    _fails(
        run("drivers", str(path), "--outcome", "OVERALL", "--items", "A,Z"),
        "missing required column Z",
    )
    _fails(
        run("loyalty", str(path), "--attitude", "ATT", "--repeat", "REP", "--by", "region"),
        "missing required column region",
    )


def test_tables_on_request(tmp_path: Path) -> None:
    path = write(survey(30, seed=6), "csv", tmp_path)
    expected = {
        "nps": "95% CI (adj. Wald)",
        "csat": "95% CI (Wilson)",
        "ces": "95% CI (t)",
        "drivers": "rescaled %",
        "loyalty": "spurious",
    }
    for command, (options, _) in COMMANDS.items():
        result = run(command, str(path), *options, "--by", "site", "--format", "table")
        assert result.returncode == 0, result.stderr
        assert expected[command] in result.stdout and "downtown" in result.stdout
