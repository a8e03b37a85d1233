"""NPS, CSAT, CES, drivers and loyalty through the engine: every source form, groups, blanks.

The engine's answers are compared with the ``quality`` functions applied to
the raw values in numpy, so that only the reading, checking, grouping and
reduction to sufficient statistics are under test here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.support import FORMATS, close, materialise
from touchpoint.engine import InputError, ces, csat, drivers, loyalty, nps
from touchpoint.quality.csi import ces_from_counts, csat_from_counts, nps_from_counts
from touchpoint.quality.drivers import driver_analysis

NAN = float("nan")


def _survey(n: int = 90, seed: int = 5) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {"region": rng.choice(["east", "west", "north"], n)}
    columns["NPS"] = rng.integers(0, 11, n).astype(float)
    columns["CSAT"] = rng.integers(1, 6, n).astype(float)
    columns["CES"] = rng.integers(1, 8, n).astype(float)
    for name in ("A", "B", "C"):
        columns[name] = rng.integers(1, 8, n).astype(float)
    columns["OVERALL"] = np.clip(
        np.round(0.5 * columns["A"] + 0.4 * columns["B"] + rng.normal(size=n)), 1, 10
    )
    columns["ATT"] = rng.integers(1, 8, n).astype(float)
    columns["REP"] = rng.integers(0, 13, n).astype(float)
    for name in ("NPS", "CSAT", "CES", "A", "OVERALL", "ATT", "REP"):
        columns[name][rng.random(n) < 0.07] = NAN
    return columns


def _counts(values: np.ndarray) -> dict[float, int]:
    present = values[np.isfinite(values)]
    unique, counts = np.unique(present, return_counts=True)
    return dict(zip(unique.tolist(), counts.tolist(), strict=True))


def _all_reports(source: Any) -> list[dict[str, Any]]:
    return [
        nps(source, by="region").to_dict(),
        csat(source, by="region").to_dict(),
        ces(source, by="region").to_dict(),
        drivers(source, "OVERALL", ["A", "B", "C"], by="region").to_dict(),
        loyalty(source, "ATT", "REP", by="region").to_dict(),
    ]


@pytest.mark.parametrize("form", [f for f in FORMATS if f != "parquet"])
def test_every_form_gives_the_same_reports(form: str, tmp_path: Path) -> None:
    columns = _survey()
    reference = tmp_path / "reference"
    reference.mkdir()
    expected = _all_reports(materialise(columns, "parquet", reference))
    ours = _all_reports(materialise(columns, form, tmp_path))
    for mine, theirs in zip(ours, expected, strict=True):
        assert close(mine, theirs, 1e-12), (mine, theirs)


def test_scores_match_quality_on_the_raw_answers(tmp_path: Path) -> None:
    columns = _survey()
    path = materialise(columns, "parquet", tmp_path)
    region = np.asarray(columns["region"])
    report = nps(path, by="region").to_dict()
    for entry in [report, *report["groups"]]:
        rows = np.ones(region.size, bool) if "group" not in entry else region == entry["group"]
        counts = _counts(columns["NPS"][rows])
        promoters = sum(k for v, k in counts.items() if v >= 9)
        detractors = sum(k for v, k in counts.items() if v <= 6)
        expected = nps_from_counts(
            promoters, sum(counts.values()) - promoters - detractors, detractors
        )
        assert entry["n"] == expected.n and entry["nps"] == pytest.approx(expected.nps)
        assert entry["ci95"] == pytest.approx(list(expected.ci95 or ()))
    assert [g["group"] for g in report["groups"]] == ["east", "north", "west"]
    assert sum(g["n"] for g in report["groups"]) == report["n"]
    assert report["n"] == int(np.isfinite(columns["NPS"]).sum())  # blanks left out
    satisfaction = csat(path).to_dict()
    expected_csat = csat_from_counts(_counts(columns["CSAT"]), 5)
    assert satisfaction["satisfied"] == expected_csat.satisfied
    assert satisfaction["ci95"] == pytest.approx(list(expected_csat.ci95 or ()))
    effort = ces(path).to_dict()
    expected_ces = ces_from_counts(_counts(columns["CES"]), 7)
    assert effort["sd"] == pytest.approx(np.nanstd(columns["CES"], ddof=1))
    assert effort["ci95"] == pytest.approx(list(expected_ces.ci95 or ()))
    assert effort["easy"] == pytest.approx(expected_ces.easy)


def test_csat_and_ces_scales(tmp_path: Path) -> None:
    path = materialise(
        {"CSAT": [10.0, 9.0, 8.0, 1.0], "CES": [5.0, 4.0, 3.0, 1.0]}, "csv", tmp_path
    )
    ten = csat(path, scale=(1, 10)).to_dict()
    assert (ten["n"], ten["satisfied"], ten["csat"]) == (4, 2, 0.5)
    five = ces(path, scale=(1, 5)).to_dict()
    assert five["easy"] == 0.75  # 3, 4 and 5 are the top three points of 1-5
    with pytest.raises(InputError, match=r"--scale: expected whole numbers"):
        csat(path, scale=(1.5, 5))
    with pytest.raises(InputError, match=r"row 1, column CSAT: value 10 is outside the scale 1–5"):
        csat(path)


def test_drivers_match_numpy_per_group(tmp_path: Path) -> None:
    columns = _survey(150, seed=8)
    path = materialise(columns, "csv", tmp_path)
    report = drivers(path, "OVERALL", ["A", "B", "C"], by="region").to_dict()
    data = np.column_stack([columns[c] for c in ("A", "B", "C", "OVERALL")])
    region = np.asarray(columns["region"])
    for entry in [report, *report["groups"]]:
        rows = np.ones(region.size, bool) if "group" not in entry else region == entry["group"]
        subset = data[rows]
        subset = subset[np.isfinite(subset).all(axis=1)]
        expected = driver_analysis(subset[:, :3], subset[:, 3])
        assert entry["n"] == subset.shape[0]
        assert entry["r2"] == pytest.approx(expected.r_squared, abs=1e-10)
        assert [d["item"] for d in entry["drivers"]] == ["A", "B", "C"]
        for j, d in enumerate(entry["drivers"]):
            assert d["mean"] == pytest.approx(subset[:, j].mean(), abs=1e-12)
            assert d["beta"] == pytest.approx(expected.betas[j], abs=1e-10)
            assert d["relative_weight"] == pytest.approx(expected.relative_weights[j], abs=1e-10)
        assert sum(d["rescaled_weight"] for d in entry["drivers"]) == pytest.approx(100)


def test_drivers_degenerate_input(tmp_path: Path) -> None:
    columns = {
        "g": np.array(["x", "x", "x", "y", "y", "y", "y", "y", "y"]),
        "A": np.array([1.0, 2, 3, 4, 5, 6, 2, 3, 1]),
        "B": np.array([2.0, 2, 2, 1, 3, 2, 5, 4, 1]),
        "Y": np.array([1.0, 2, 3, 5, 6, 6, 3, 3, 2]),
    }
    path = materialise(columns, "parquet", tmp_path)
    report = drivers(path, "Y", ["A", "B"], by="g").to_dict()
    small = report["groups"][0]  # group x: 3 rows, 2 items: no regression
    assert small["group"] == "x" and small["n"] == 3 and small["r2"] is None
    assert small["drivers"][0] == {
        "item": "A",
        "mean": 2.0,
        "beta": None,
        "relative_weight": None,
        "rescaled_weight": None,
        "quadrant": None,
    }
    assert report["groups"][1]["r2"] is not None
    with pytest.raises(InputError, match=r"need more than 3 rows"):
        drivers(
            materialise({k: v[:3] for k, v in columns.items()}, "csv", tmp_path), "Y", ["A", "B"]
        )
    flat = dict(columns, B=np.full(9, 4.0))
    with pytest.raises(InputError, match=r"column B has the same answer in every complete row"):
        drivers(materialise(flat, "csv", tmp_path), "Y", ["A", "B"])
    with pytest.raises(InputError, match="cannot also be an item"):
        drivers(path, "Y", ["A", "Y"])


def test_loyalty_medians_cuts_and_blanks(tmp_path: Path) -> None:
    columns = {
        "g": np.array(["a", "a", "a", "a", "b", "b", "b"]),
        "ATT": np.array([7.0, 5, 3, 1, 6, NAN, 2]),
        "REP": np.array([4.0, 1, 4, 0, NAN, 9, 2]),
    }
    path = materialise(columns, "xlsx", tmp_path)
    report = loyalty(path, "ATT", "REP", by="g").to_dict()
    # ATT answers 1 2 3 5 6 7 -> median (3 + 5)/2 = 4; REP 0 1 2 4 4 9 -> (2 + 4)/2 = 3.
    assert (report["attitude_cut"], report["repeat_cut"]) == (4.0, 3.0)
    # complete pairs: (7,4) true, (5,1) latent, (3,4) spurious, (1,0) none, (2,2) none
    assert report["n"] == 5
    assert report["counts"] == {"true": 1, "latent": 1, "spurious": 1, "none": 2}
    assert report["shares"]["none"] == pytest.approx(0.4)
    group_a, group_b = report["groups"]
    # Each group's own medians: a ATT 1 3 5 7 -> (3 + 5)/2 = 4, REP 0 1 4 4 -> (1 + 4)/2
    # = 2.5; b ATT 2 6 -> 4, REP 2 9 -> 5.5, its one complete pair (2,2) below both: none.
    assert (group_a["attitude_cut"], group_a["repeat_cut"]) == (4.0, 2.5)
    assert (group_b["attitude_cut"], group_b["repeat_cut"]) == (4.0, 5.5)
    assert group_b["n"] == 1 and group_b["counts"]["none"] == 1
    fixed = loyalty(path, "ATT", "REP", attitude_cut=5, repeat_cut=4).to_dict()
    # at the cut is high: (5,1) latent, (7,4) true, (3,4) spurious
    assert fixed["counts"] == {"true": 1, "latent": 1, "spurious": 1, "none": 2}
    assert (fixed["attitude_cut"], fixed["repeat_cut"]) == (5, 4)


@pytest.mark.parametrize(
    ("form", "call", "column", "value", "row", "message"),
    [
        ("pandas", "nps", "NPS", 7.5, 4, "value 7.5 is not a whole number on the scale 0–10"),
        ("parquet", "csat", "CSAT", 6.0, 3, "value 6 is outside the scale 1–5"),
        ("xlsx", "ces", "CES", 0.0, 2, "value 0 is outside the scale 1–7"),
        ("pandas", "drivers", "B", 2.5, 5, "value 2.5 is not a whole number"),
        ("xlsx", "loyalty", "REP", 1.5, 3, "value 1.5 is not a whole number"),
    ],
)
def test_bad_cells_name_row_column_value(
    form: str, call: str, column: str, value: float, row: int, message: str, tmp_path: Path
) -> None:
    columns = _survey(12, seed=2)
    for name in ("NPS", "CSAT", "CES", "A", "B", "OVERALL", "ATT", "REP"):
        columns[name] = np.where(np.isnan(columns[name]), 1.0, columns[name])
    if form == "pandas":
        source = materialise(columns, form, tmp_path)
        source[column] = source[column].astype("float64")
        source.loc[row - 1, column] = value
    else:
        columns[column][row - 1] = value
        source = _write_raw(columns, form, tmp_path)
    run: Callable[[], object] = {
        "nps": lambda: nps(source),
        "csat": lambda: csat(source),
        "ces": lambda: ces(source),
        "drivers": lambda: drivers(source, "OVERALL", ["A", "B", "C"]),
        "loyalty": lambda: loyalty(source, "ATT", "REP"),
    }[call]
    with pytest.raises(InputError) as info:
        run()
    assert (info.value.row, info.value.column) == (row, column)
    assert message in str(info.value)


def _write_raw(columns: dict[str, Any], form: str, folder: Path) -> Path:
    """The columns as float64 (fractions kept) in a Parquet or XLSX file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.engine.support import write_xlsx

    table = pa.table(
        {
            k: pa.array(np.asarray(v, dtype=float) if k != "region" else v)
            for k, v in columns.items()
        }
    )
    path = folder / f"raw.{form}"
    if form == "parquet":
        pq.write_table(table, path)
    else:
        write_xlsx(table, path)
    return path


def test_text_in_a_csv_cell(tmp_path: Path) -> None:
    path = tmp_path / "loyal.csv"
    path.write_text("ATT,REP\n5,2\n6, \n4,often\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        loyalty(path, "ATT", "REP")
    assert (
        str(info.value)
        == f"{path}: row 3, column REP: text 'often' in a numeric cell (whole numbers)"
    )


def test_frames_hold_one_row_per_analysis(tmp_path: Path) -> None:
    columns = _survey(60, seed=12)
    path = materialise(columns, "parquet", tmp_path)
    frame = nps(path, by="region").to_frame()
    assert list(frame.columns) == [
        "group",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "ci95_low",
        "ci95_high",
    ]
    assert frame["group"].tolist()[1:] == ["east", "north", "west"]  # first: all rows
    assert frame["n"].tolist()[0] == sum(frame["n"].tolist()[1:])
    items = drivers(path, "OVERALL", ["A", "B", "C"]).to_frame()
    assert items["item"].tolist() == ["A", "B", "C"] and "group" not in items.columns
    quadrants = loyalty(path, "ATT", "REP").to_frame()
    assert (
        quadrants.loc[0, "counts_true"] + quadrants.loc[0, "counts_none"] <= quadrants.loc[0, "n"]
    )
    assert "shares_spurious" in quadrants.columns
