"""SERVQUAL through the engine: every input form, groups, weights, published example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.support import FORMATS, close, materialise, matrix, random_servqual
from tests.quality.published import PUBLISHED, load
from touchpoint.engine import InputError, servqual
from touchpoint.quality.reliability import cronbach_alpha
from touchpoint.quality.servqual import (
    SERVQUAL_DIMENSIONS,
    SERVQUAL_ITEMS,
    allocation_weights,
)
from touchpoint.quality.servqual import servqual as servqual_raw

KEYS = {"instrument", "n_respondents", "items", "dimensions", "unweighted", "weighted", "weights"}


def _expected(columns: dict[str, Any], weights: dict[str, float] | None = None) -> dict[str, Any]:
    """The contract computed straight from the raw arrays with touchpoint.quality."""
    e, p = matrix(columns, "E"), matrix(columns, "P")
    if weights is None and "W_tangibles" in columns:
        points = np.column_stack(
            [np.asarray(columns[f"W_{d}"], float) for d in SERVQUAL_DIMENSIONS]
        )
        weights = allocation_weights(points)
    scores = servqual_raw(e, p, weights)
    dims = []
    for d in scores.dimensions:
        members = [i - 1 for i in SERVQUAL_ITEMS[d.dimension]]
        dims.append(
            {
                "dimension": d.dimension,
                "expectation": d.expectation,
                "perception": d.perception,
                "gap": d.gap,
                "alpha_expectation": cronbach_alpha(e[:, members]).alpha,
                "alpha_perception": cronbach_alpha(p[:, members]).alpha,
            }
        )
    return {
        "instrument": "servqual",
        "n_respondents": e.shape[0],
        "items": [
            {
                "item": i.item,
                "dimension": i.dimension,
                "n": i.n,
                "expectation": i.expectation,
                "perception": i.perception,
                "gap": i.gap,
            }
            for i in scores.items
        ],
        "dimensions": dims,
        "unweighted": scores.unweighted,
        "weighted": scores.weighted,
        "weights": None if weights is None else dict(weights),
    }


def _present(value: float | None) -> float:
    assert value is not None
    return value


@pytest.mark.parametrize("form", FORMATS)
def test_every_input_form_gives_the_raw_array_answer(form: str, tmp_path: Path) -> None:
    columns = random_servqual(120, seed=1)
    report = servqual(materialise(columns, form, tmp_path))
    assert set(report.to_dict()) == KEYS
    assert close(report.to_dict(), _expected(columns), tol=1e-9)


def test_groups_are_the_report_of_each_subset(tmp_path: Path) -> None:
    columns = random_servqual(150, seed=2)
    report = servqual(materialise(columns, "parquet", tmp_path), by="region")
    document = report.to_dict()
    assert set(document) == KEYS | {"groups"}
    assert [g["group"] for g in document["groups"]] == ["east", "north", "west"]
    for group in document["groups"]:
        assert set(group) == KEYS | {"group"}
        mask = columns["region"] == group["group"]
        subset = {k: np.asarray(v)[mask] for k, v in columns.items()}
        expected = {"group": group["group"], **_expected(subset)}
        assert close(group, expected, tol=1e-9)
    assert close({k: v for k, v in document.items() if k != "groups"}, _expected(columns), 1e-9)


def test_weights_option_wins_over_columns(tmp_path: Path) -> None:
    columns = random_servqual(60, seed=3)
    option = {
        "tangibles": 10,
        "reliability": 30,
        "responsiveness": 20,
        "assurance": 20,
        "empathy": 20,
    }
    report = servqual(materialise(columns, "csv", tmp_path), weights=option)
    assert report.weights == pytest.approx({k: v / 100 for k, v in option.items()})
    gaps = {d.dimension: _present(d.gap) for d in report.dimensions}
    assert report.weighted == pytest.approx(sum(gaps[k] * v / 100 for k, v in option.items()))
    with pytest.raises(
        InputError, match="--weights: weights miss dimension: reliability, responsiveness"
    ):
        servqual(materialise(columns, "csv", tmp_path), weights={"tangibles": 1})


def test_without_weights_weighted_is_null(tmp_path: Path) -> None:
    columns = {k: v for k, v in random_servqual(30, seed=4).items() if not k.startswith("W_")}
    document = servqual(materialise(columns, "parquet", tmp_path)).to_dict()
    assert document["weighted"] is None and document["weights"] is None


@pytest.mark.parametrize("name", ["servqual_hand_worked.csv"])
def test_hand_worked_file(name: str) -> None:
    expected = load("servqual_hand_worked.json")
    report = servqual(PUBLISHED / name)
    document = report.to_dict()
    assert document["n_respondents"] == expected["n_respondents"]
    for number, values in expected["items"].items():
        assert close({k: document["items"][int(number) - 1][k] for k in values}, values, 1e-12), (
            number
        )
    for row in document["dimensions"]:
        assert close(
            {k: row[k] for k in expected["dimensions"][row["dimension"]]},
            expected["dimensions"][row["dimension"]],
            1e-12,
        ), row["dimension"]
    assert document["unweighted"] == pytest.approx(expected["unweighted"], abs=1e-12)
    columns = expected["with_weight_columns"]
    assert close(document["weights"], columns["weights"], 1e-12)
    assert document["weighted"] == pytest.approx(columns["weighted"], abs=1e-12)
    option = expected["with_weights_option"]
    weighted = servqual(PUBLISHED / name, weights=option["weights_option"])
    assert weighted.weighted == pytest.approx(option["weighted"], abs=1e-12)
    groups = servqual(PUBLISHED / name, by="segment").to_dict()["groups"]
    assert [(g["group"], g["n_respondents"]) for g in groups] == [("north", 2), ("south", 1)]


def test_to_frame(tmp_path: Path) -> None:
    columns = random_servqual(40, seed=5)
    report = servqual(materialise(columns, "parquet", tmp_path), by="region")
    items = report.to_frame()
    assert list(items.columns) == [
        "group",
        "item",
        "dimension",
        "n",
        "expectation",
        "perception",
        "gap",
    ]
    assert len(items) == 22 * 4
    dims = report.to_frame("dimensions")
    assert len(dims) == 5 * 4 and "alpha_perception" in dims.columns
    with pytest.raises(ValueError, match="level"):
        report.to_frame("rows")


def test_servperf_is_perceptions_only(tmp_path: Path) -> None:
    columns = random_servqual(80, seed=6)
    report = servqual(materialise(columns, "parquet", tmp_path))
    p = matrix(columns, "P")
    assert report.overall.servperf.items[3] == pytest.approx(np.nanmean(p[:, 2]))
