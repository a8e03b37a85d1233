"""``touchpoint analyze``: the real command, its exact JSON keys and its exit-2 messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from touchpoint.engine import servqual
from touchpoint.engine.precompiled import MAX_FEATURES

# tests/cli is not a package (shared with other commands' tests), so the few
# helpers needed here are local rather than imported from tests.engine.
PUBLISHED = Path(__file__).resolve().parent.parent / "data" / "published"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PUBLISHED / name).read_text(encoding="utf-8"))
    return document


def materialise(columns: dict[str, list[float]], form: str, folder: Path) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pa.table({k: pa.array(v, pa.float64()).cast(pa.int16()) for k, v in columns.items()})
    path = folder / f"survey.{form}"
    if form == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tol
    return bool(a == b)


SERVQUAL_KEYS = {
    "instrument",
    "n_respondents",
    "items",
    "dimensions",
    "unweighted",
    "weighted",
    "weights",
}
ITEM_KEYS = {"item", "dimension", "n", "expectation", "perception", "gap"}
DIMENSION_KEYS = {
    "dimension",
    "expectation",
    "perception",
    "gap",
    "alpha_expectation",
    "alpha_perception",
}


@pytest.fixture(autouse=True)
def _private_sql_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands cache compiled SQL; each test gets its own cache, never the user's."""
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


def test_servqual_json_contract_and_values() -> None:
    path = PUBLISHED / "servqual_hand_worked.csv"
    weights = json.dumps(load("servqual_hand_worked.json")["with_weights_option"]["weights_option"])
    document = run_json("servqual", str(path), "--by", "segment", "--weights", weights)
    assert set(document) == SERVQUAL_KEYS | {"groups"}
    assert document["instrument"] == "servqual"
    assert all(set(item) == ITEM_KEYS for item in document["items"])
    assert all(set(d) == DIMENSION_KEYS for d in document["dimensions"])
    assert [d["dimension"] for d in document["dimensions"]] == [
        "tangibles",
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
    ]
    assert len(document["items"]) == 22
    assert all(set(g) == SERVQUAL_KEYS | {"group"} for g in document["groups"])
    assert document["weighted"] == pytest.approx(-1.07, abs=1e-12)
    expected = servqual(path, by="segment", weights=json.loads(weights)).to_dict()
    assert close(document, expected, 1e-12)
    # full precision in JSON: the tangibles alpha is exactly -16/3
    assert document["dimensions"][0]["alpha_expectation"] == pytest.approx(-16 / 3, abs=1e-12)
    assert document["dimensions"][0]["alpha_perception"] is None


def test_servqual_weight_columns_and_no_groups(tmp_path: Path) -> None:
    document = run_json("servqual", str(PUBLISHED / "servqual_hand_worked.csv"), "--format", "json")
    assert set(document) == SERVQUAL_KEYS
    assert document["weights"] == pytest.approx(
        {
            "tangibles": 0.1,
            "reliability": 0.35,
            "responsiveness": 0.35,
            "assurance": 0.1,
            "empathy": 0.1,
        }
    )


def test_zone_kano_csi_json(tmp_path: Path) -> None:
    zone_doc = run_json("zone", str(PUBLISHED / "zone_hand_worked.csv"))
    assert set(zone_doc) == {"instrument", "n_respondents", "items", "dimensions"}
    assert zone_doc["items"][0]["share_below"] == pytest.approx(1 / 3)
    assert set(zone_doc["items"][0]) == {
        "item",
        "dimension",
        "n",
        "adequate",
        "desired",
        "perception",
        "msa",
        "mss",
        "share_below",
        "share_within",
        "share_above",
    }
    kano_path = materialise(
        {"wifi_f": [1.0, 2.0, 2.0, 1.0], "wifi_d": [5.0, 5.0, 5.0, 3.0]}, "csv", tmp_path
    )
    kano_doc = run_json("kano", str(kano_path))
    assert kano_doc == {
        "features": [
            {
                "feature": "wifi",
                "n": 4,
                "counts": {"A": 1, "O": 1, "M": 2, "I": 0, "R": 0, "Q": 0},
                "mode": "M",
                "category": "M",
                "better": 0.5,
                "worse": -0.75,
                "significant": False,
            }
        ]
    }
    csi_path = materialise({"C1": [4.0, 5.0], "C2": [2.0, 3.0]}, "parquet", tmp_path)
    csi_doc = run_json(
        "csi", str(csi_path), "--items", "C1,C2", "--scale", "1-5", "--weights", "3,1"
    )
    assert csi_doc == {
        "csi": pytest.approx(0.75 * 87.5 + 0.25 * 37.5),  # means 4.5 and 2.5 on 1-5
        "n": 2,
        "weights": {"C1": 0.75, "C2": 0.25},
    }


def test_ahp_json(tmp_path: Path) -> None:
    drinks = load("saaty_drinks.json")
    path = tmp_path / "drinks.json"
    path.write_text(json.dumps({"criteria": drinks["criteria"], "matrix": drinks["matrix"]}))
    document = run_json("ahp", str(path))
    assert set(document) == {"weights", "lambda_max", "ci", "cr", "consistent"}
    assert document["weights"]["water"] == pytest.approx(0.327, abs=0.0005)
    assert document["cr"] == pytest.approx(0.022, abs=0.001)
    assert document["consistent"] is True
    hierarchy = tmp_path / "tree.json"
    hierarchy.write_text(
        json.dumps(
            {
                "criteria": ["a", "b"],
                "matrix": [[1, 3], ["1/3", 1]],
                "children": {"b": {"criteria": ["x", "y"], "matrix": [[1, 1], [1, 1]]}},
            }
        )
    )
    tree = run_json("ahp", str(hierarchy))
    assert tree["global_weights"] == pytest.approx({"a": 0.75, "x": 0.125, "y": 0.125})


def test_table_format(tmp_path: Path) -> None:
    result = run("servqual", str(PUBLISHED / "servqual_hand_worked.csv"), "--format", "table")
    assert result.returncode == 0, result.stderr
    assert "SERVQUAL: dimensions (n = 3)" in result.stdout
    assert "reliability 可靠性" in result.stdout and "-1.800" in result.stdout
    kano_path = materialise({"wifi_f": [1.0], "wifi_d": [5.0]}, "csv", tmp_path)
    table = run("kano", str(kano_path), "--format", "table")
    assert table.returncode == 0 and "Better" in table.stdout and "wifi" in table.stdout


def _fails(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""  # nothing partial
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_bad_cells_exit_2_naming_file_row_column_value(tmp_path: Path) -> None:
    text = (PUBLISHED / "servqual_hand_worked.csv").read_text(encoding="utf-8").splitlines()
    cells = text[2].split(",")
    header = text[0].split(",")
    cells[header.index("P7")] = "abc"
    text[2] = ",".join(cells)
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    _fails(run("servqual", str(path)), str(path), "row 2", "column P7", "'abc'")
    scale = materialise({"wifi_f": [1.0, 9.0], "wifi_d": [5.0, 5.0]}, "parquet", tmp_path)
    _fails(run("kano", str(scale)), str(scale), "row 2", "column wifi_f", "value 9")


def test_malformed_csv_lines_exit_2_naming_file_and_line(tmp_path: Path) -> None:
    """A short or long row or an open quote is named by line, not as missing columns."""
    text = (PUBLISHED / "servqual_hand_worked.csv").read_text(encoding="utf-8").splitlines()
    # Segment names quoted, as spreadsheet programs write text.
    good = [text[0]] + [re.sub(r",(\w+),", r',"\1",', line, count=1) for line in text[1:]]
    width = len(good[0].split(","))
    cases: dict[str, tuple[int, Callable[[str], str]]] = {
        "short": (2, lambda line: ",".join(line.split(",")[:3])),
        "long": (3, lambda line: line + ",7"),
        "open": (2, lambda line: line.replace('",', ",", 1)),
        "eof": (3, lambda line: line.replace('",', ",", 1)),
    }
    expected = {
        "short": f"line 3: 3 fields, the header has {width}",
        "long": f"line 4: {width + 1} fields, the header has {width}",
        "open": "line 3: unterminated quote (the quoted field runs on to line 4)",
        "eof": "line 4: unterminated quote (the quoted field runs to the end of the file)",
    }
    for name, (index, damage) in cases.items():
        lines = list(good)
        lines[index] = damage(lines[index])
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run("servqual", str(path), "--format", "json")
        _fails(result, f"error: {path} {expected[name]}")
        assert "Traceback" not in result.stderr and "missing required" not in result.stderr
    good_path = tmp_path / "good.csv"
    good_path.write_text("\n".join(good) + "\n", encoding="utf-8")
    assert run_json("servqual", str(good_path))["n_respondents"] == 3


def test_missing_columns_and_files_exit_2(tmp_path: Path) -> None:
    path = materialise({"E1": [1.0]}, "csv", tmp_path)
    _fails(run("servqual", str(path)), str(path), "missing required columns E2")
    _fails(run("zone", str(tmp_path / "nope.parquet")), "nope.parquet", "no such file")


def test_bad_options_exit_2(tmp_path: Path) -> None:
    path = materialise({"C1": [1.0]}, "csv", tmp_path)
    _fails(run("csi", str(path), "--items", "C1", "--scale", "five"), "--scale")
    _fails(run("servqual", str(path), "--weights", "{oops"), "--weights: not valid JSON")
    _fails(
        run("csi", str(path), "--items", "C1,C2", "--scale", "1-5"), "missing required column C2"
    )


def test_non_reciprocal_ahp_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "ahp.json"
    path.write_text(json.dumps({"criteria": ["a", "b"], "matrix": [[1, 4], [0.5, 1]]}))
    _fails(run("ahp", str(path)), str(path), "row 2, column 1", "value 0.5", "reciprocal")


def test_shipped_cached_and_compiled_sql_print_identical_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "sql-cache"
    path = PUBLISHED / "servqual_hand_worked.csv"
    args = ("servqual", str(path), "--by", "segment", "--format", "json")
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert list(cache.glob("*.json")) == []  # a common shape: the shipped SQL answered
    monkeypatch.setenv("TOUCHPOINT_CACHE_DIR", "")  # no shipped or cached SQL: Ibis compiles
    compiled = run(*args)
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout == first.stdout
    monkeypatch.setenv("TOUCHPOINT_CACHE_DIR", str(cache))
    # More Kano features than the package ships SQL for: compiled once, then cached.
    many = {f"f{k}_{side}": [1.0, 2.0] for k in range(MAX_FEATURES + 1) for side in "fd"}
    kano_path = materialise(many, "parquet", tmp_path)
    cold = run("kano", str(kano_path), "--format", "json")
    assert cold.returncode == 0, cold.stderr
    assert len(list(cache.glob("*.json"))) == 1
    assert run("kano", str(kano_path), "--format", "json").stdout == cold.stdout
    # The bad cell of a same-layout file is found by the cached SQL as well.
    bad = tmp_path / "bad"
    bad.mkdir()
    many["f3_d"] = [5.0, 0.0]
    scale = materialise(many, "parquet", bad)
    _fails(run("kano", str(scale)), str(scale), "row 2", "column f3_d", "value 0")
    assert len(list(cache.glob("*.json"))) == 1
