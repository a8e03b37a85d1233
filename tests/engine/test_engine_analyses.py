"""Zone, Kano, CSI and AHP through the engine, against touchpoint.quality on raw arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.engine.support import close, materialise, matrix
from tests.quality.published import PUBLISHED, load
from touchpoint.engine import InputError, ahp, csi, kano, zone
from touchpoint.engine.run import fetch_rows
from touchpoint.quality.kano import kano as kano_raw
from touchpoint.quality.zone import zone_of_tolerance

ZONE_FIELDS = ["adequate", "desired", "perception", "msa", "mss"]
SHARES = ["share_below", "share_within", "share_above"]


def test_zone_hand_worked() -> None:
    expected = load("zone_hand_worked.json")
    document = zone(PUBLISHED / "zone_hand_worked.csv").to_dict()
    assert set(document) == {"instrument", "n_respondents", "items", "dimensions"}
    assert document["instrument"] == "zone" and document["n_respondents"] == 3
    for number, values in expected["items"].items():
        row = document["items"][int(number) - 1]
        assert set(row) == {"item", "dimension", "n", *ZONE_FIELDS, *SHARES}
        assert close({k: row[k] for k in values}, values, 1e-12), number
    for row in document["dimensions"]:
        assert set(row) == {"dimension", *ZONE_FIELDS, *SHARES}
        if row["dimension"] in expected["dimensions"]:
            assert close(
                {k: row[k] for k in expected["dimensions"][row["dimension"]]},
                expected["dimensions"][row["dimension"]],
                1e-12,
            )


@pytest.mark.parametrize("form", ["csv", "parquet", "polars"])
def test_zone_matches_raw(form: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    columns = {}
    for p in "ADP":
        for i in range(1, 23):
            values = rng.integers(1, 8, 70).astype(float)
            values[rng.random(70) < 0.1] = np.nan
            columns[f"{p}{i}"] = values
    report = zone(materialise(columns, form, tmp_path))
    raw = zone_of_tolerance(matrix(columns, "A"), matrix(columns, "D"), matrix(columns, "P"))
    assert report.items == raw.items and report.dimensions == pytest.approx(raw.dimensions)
    assert len(report.to_frame("dimensions")) == 5


@pytest.mark.parametrize("form", ["csv", "parquet", "xlsx", "pandas"])
def test_kano_matches_raw(form: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    columns = {"respondent": np.arange(90)}
    for name in ("wifi", "late_checkout", "minibar"):
        for side in "fd":
            values = rng.integers(1, 6, 90).astype(float)
            values[rng.random(90) < 0.1] = np.nan
            columns[f"{name}_{side}"] = values
    report = kano(materialise(columns, form, tmp_path))
    document = report.to_dict()
    assert list(document) == ["features"]
    assert [f["feature"] for f in document["features"]] == ["wifi", "late_checkout", "minibar"]
    for feature in report.features:
        raw = kano_raw(columns[f"{feature.feature}_f"], columns[f"{feature.feature}_d"])
        assert feature.result == raw
        row = feature.to_dict()
        assert set(row) == {
            "feature",
            "n",
            "counts",
            "mode",
            "category",
            "better",
            "worse",
            "significant",
        }
        assert list(row["counts"]) == ["A", "O", "M", "I", "R", "Q"]
        assert sum(row["counts"].values()) == row["n"]
    frame = report.to_frame()
    assert list(frame["feature"]) == ["wifi", "late_checkout", "minibar"]


def test_kano_published_row_through_a_file(tmp_path: Path) -> None:
    # Build respondents whose pairs give exactly M=95, O=123, A=45, I=33.
    counts = load("kano_berger_matzler.json")["features"][0]
    pairs = {"A": (1, 3), "O": (1, 5), "M": (3, 5), "I": (3, 3)}
    f: list[float] = []
    d: list[float] = []
    for code, (fv, dv) in pairs.items():
        f += [fv] * counts["counts"][code]
        d += [dv] * counts["counts"][code]
    report = kano(
        materialise({"x_f": np.array(f, float), "x_d": np.array(d, float)}, "parquet", tmp_path)
    )
    row = report.to_dict()["features"][0]
    assert row["n"] == 296
    assert row["better"] == pytest.approx(0.568, abs=0.0005)
    assert row["worse"] == pytest.approx(-0.736, abs=0.0005)


def test_csi(tmp_path: Path) -> None:
    columns = {"C1": np.array([8.0, 6.0, np.nan, 10.0]), "C2": np.array([5.0, np.nan, np.nan, 7.0])}
    report = csi(materialise(columns, "csv", tmp_path), ["C1", "C2"], (1, 10), [3, 1])
    mean1, mean2 = 8.0, 6.0
    expected = 0.75 * (mean1 - 1) / 9 * 100 + 0.25 * (mean2 - 1) / 9 * 100
    assert report.to_dict() == {
        "csi": pytest.approx(expected),
        "n": 3,
        "weights": {"C1": 0.75, "C2": 0.25},
    }
    equal = csi(materialise(columns, "parquet", tmp_path), ["C1", "C2"], (1, 10))
    assert equal.weights == {"C1": 0.5, "C2": 0.5}
    assert list(equal.to_frame()["item"]) == ["C1", "C2"]
    with pytest.raises(InputError, match="--scale: MAX must exceed MIN"):
        csi(materialise(columns, "csv", tmp_path), ["C1"], (5, 1))
    with pytest.raises(InputError, match="--weights: 1 weights given for 2 items") as refused:
        csi(materialise(columns, "csv", tmp_path), ["C1", "C2"], (1, 10), [1.5])
    # A page says it in its own language from the code and params.
    assert (refused.value.code, dict(refused.value.params)) == (
        "option_weights",
        {"field": "weights", "value": "1.5"},
    )


def test_ahp_drinks_file(tmp_path: Path) -> None:
    document = load("saaty_drinks.json")
    path = tmp_path / "drinks.json"
    path.write_text(json.dumps({"criteria": document["criteria"], "matrix": document["matrix"]}))
    report = ahp(path).to_dict()
    assert set(report) == {"weights", "lambda_max", "ci", "cr", "consistent"}
    assert report["weights"]["water"] == pytest.approx(0.327, abs=0.0005)
    assert report["cr"] == pytest.approx(0.022, abs=0.001) and report["consistent"] is True


def test_ahp_hierarchy_and_group(tmp_path: Path) -> None:
    document = {
        "criteria": ["price", "service"],
        "matrices": [[[1, 3], ["1/3", 1]], [[1, "1/3"], [3, 1]], [[1, 1], [1, 1]]],
        "children": {
            "service": {
                "criteria": ["speed", "courtesy", "accuracy"],
                "matrix": [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]],
            }
        },
    }
    report = ahp(document).to_dict()
    assert report["weights"] == pytest.approx({"price": 0.5, "service": 0.5})
    assert report["global_weights"] == pytest.approx(
        {"price": 0.5, "speed": 0.5 * 4 / 7, "courtesy": 0.5 * 2 / 7, "accuracy": 0.5 / 7}
    )
    assert [n["node"] for n in report["nodes"]] == ["", "service"]
    assert sum(report["global_weights"].values()) == pytest.approx(1.0)


def test_ahp_errors_name_file_row_column_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {"criteria": ["a", "b", "c"], "matrix": [[1, 2, 3], [0.5, 1, 4], [0.3, 0.25, 1]]}
        )
    )
    with pytest.raises(InputError) as info:
        ahp(path)
    assert str(info.value) == (
        f"{path}: row 3, column 1: matrix value 0.3 is not the reciprocal of 3 (row 1, column 3)"
    )
    path.write_text(json.dumps({"criteria": ["a", "b"], "matrix": [[1, "x"], [1, 1]]}))
    with pytest.raises(InputError, match=r"row 1, column 2: matrix value 'x' must be a positive"):
        ahp(path)
    nested = {
        "criteria": ["a", "b"],
        "matrix": [[1, 1], [1, 1]],
        "children": {"b": {"criteria": ["x", "y"], "matrix": [[1, 2], [2, 1]]}},
    }
    with pytest.raises(InputError, match=r"\(node b\): row 2, column 1: matrix value 2 is not"):
        ahp(nested)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        ahp(path)
    with pytest.raises(InputError, match="at most 15 criteria"):
        ahp({"criteria": [str(i) for i in range(16)], "matrix": np.ones((16, 16)).tolist()})


def test_progress_callback_reaches_one(tmp_path: Path) -> None:
    import ibis

    seen: list[float] = []
    con = ibis.duckdb.connect()
    con.raw_sql("CREATE TABLE numbers AS SELECT range AS x FROM range(1000)")
    table = ibis.table({"x": "int64"}, name="numbers")
    rows = fetch_rows(con, table.aggregate(s=table.x.sum()), "<memory>", seen.append)
    assert rows == [{"s": 499500}]
    assert seen and seen[-1] == 1.0 and all(0.0 <= v <= 1.0 for v in seen)


def test_memtable_runs_through_public_execution(tmp_path: Path) -> None:
    """An expression over an in-memory table runs (and reports progress) on DuckDB."""
    import ibis
    import pyarrow as pa

    seen: list[float] = []
    table = ibis.memtable(pa.table({"x": list(range(1000))}))
    rows = fetch_rows(
        ibis.duckdb.connect(), table.aggregate(s=table.x.sum()), "<memory>", seen.append
    )
    assert rows == [{"s": 499500}]
    assert seen == [1.0]


def test_unbound_ibis_table_opens_on_the_default_backend() -> None:
    """A memtable bound to no backend is read by Ibis's default backend."""
    import ibis
    import pyarrow as pa

    answers = {"C1": [7.0, 9.0, 4.0], "C2": [8.0, 6.0, 10.0]}
    expected = csi(pa.table(answers), ["C1", "C2"], (1, 10), [2, 1]).to_dict()
    unbound = csi(ibis.memtable(pa.table(answers)), ["C1", "C2"], (1, 10), [2, 1]).to_dict()
    assert unbound == expected
