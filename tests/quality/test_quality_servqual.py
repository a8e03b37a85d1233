"""SERVQUAL science: hand-worked example, weights, SERVPERF, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.quality.published import PUBLISHED, load
from touchpoint.quality.servqual import (
    SERVQUAL_DIMENSIONS,
    allocation_weights,
    dimension_of_item,
    normalise_weights,
    servperf_from_sums,
    servqual,
    servqual_from_sums,
    weighted_score,
)


def _hand_worked_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import csv

    with (PUBLISHED / "servqual_hand_worked.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def matrix(prefix: str, count: int = 22) -> np.ndarray:
        return np.array(
            [[float(r[f"{prefix}{i}"] or "nan") for i in range(1, count + 1)] for r in rows]
        )

    points = np.array([[float(r[f"W_{d}"] or "nan") for d in SERVQUAL_DIMENSIONS] for r in rows])
    return matrix("E"), matrix("P"), points


def test_hand_worked_items_and_dimensions() -> None:
    expected = load("servqual_hand_worked.json")
    e, p, _ = _hand_worked_arrays()
    scores = servqual(e, p)
    tol = expected["tolerance"]
    for number, values in expected["items"].items():
        item = scores.items[int(number) - 1]
        assert item.n == values["n"]
        for key in ("expectation", "perception", "gap"):
            if values[key] is None:
                assert getattr(item, key) is None
            else:
                assert getattr(item, key) == pytest.approx(values[key], abs=tol)
    for dim in scores.dimensions:
        values = expected["dimensions"][dim.dimension]
        for key in ("expectation", "perception", "gap"):
            assert getattr(dim, key) == pytest.approx(values[key], abs=tol)
    assert scores.unweighted == pytest.approx(expected["unweighted"], abs=tol)
    assert scores.weighted is None and scores.weights is None


def test_hand_worked_weights() -> None:
    expected = load("servqual_hand_worked.json")
    e, p, points = _hand_worked_arrays()
    option = expected["with_weights_option"]
    weights = normalise_weights(option["weights_option"])
    assert weights == pytest.approx(option["weights"])
    assert servqual(e, p, weights).weighted == pytest.approx(option["weighted"], abs=1e-12)
    columns = expected["with_weight_columns"]
    from_columns = allocation_weights(points)
    assert from_columns == pytest.approx(columns["weights"])
    assert servqual(e, p, from_columns).weighted == pytest.approx(columns["weighted"], abs=1e-12)


def test_sums_and_raw_entry_points_agree() -> None:
    rng = np.random.default_rng(7)
    e = rng.integers(1, 8, (40, 22)).astype(float)
    p = rng.integers(1, 8, (40, 22)).astype(float)
    e[rng.random(e.shape) < 0.1] = np.nan
    raw = servqual(e, p)
    both = ~np.isnan(e) & ~np.isnan(p)
    from_sums = servqual_from_sums(
        both.sum(0), np.where(both, e, 0).sum(0), np.where(both, p, 0).sum(0)
    )
    assert raw == from_sums
    # the gap of item 3 by direct definition
    mask = both[:, 2]
    assert raw.items[2].gap == pytest.approx(p[mask, 2].mean() - e[mask, 2].mean())


def test_dimension_mapping_follows_pzb() -> None:
    assert [dimension_of_item(i) for i in (1, 4, 5, 9, 10, 13, 14, 17, 18, 22)] == [
        "tangibles",
        "tangibles",
        "reliability",
        "reliability",
        "responsiveness",
        "responsiveness",
        "assurance",
        "assurance",
        "empathy",
        "empathy",
    ]
    with pytest.raises(ValueError, match="item 23"):
        dimension_of_item(23)


def test_weights_are_checked() -> None:
    base = dict.fromkeys(SERVQUAL_DIMENSIONS, 20.0)
    with pytest.raises(ValueError, match="miss dimension: empathy"):
        normalise_weights({k: v for k, v in base.items() if k != "empathy"})
    with pytest.raises(ValueError, match="unknown dimension in weights: speed"):
        normalise_weights({**base, "speed": 1.0})
    with pytest.raises(ValueError, match="non-negative"):
        normalise_weights({**base, "tangibles": -1.0})
    with pytest.raises(ValueError, match="all be zero"):
        normalise_weights(dict.fromkeys(SERVQUAL_DIMENSIONS, 0.0))
    with pytest.raises(ValueError, match="non-negative"):
        allocation_weights([[-1, 20, 20, 20, 20]])
    assert allocation_weights([[np.nan] * 5, [0.0, 0.0, 0.0, 0.0, 0.0]]) is None


def test_weighted_score_needs_every_weighted_dimension() -> None:
    assert weighted_score({"a": None, "b": 1.0}, {"a": 0.5, "b": 0.5}) is None


def test_servperf_uses_perceptions_only() -> None:
    counts = [4] * 22
    sums = [float(4 * (1 + i % 7)) for i in range(22)]
    result = servperf_from_sums(counts, sums)
    assert result.items[1] == 1.0 and result.items[7] == 7.0 and result.items[8] == 1.0
    tangibles = np.mean([1, 2, 3, 4])
    assert result.dimensions["tangibles"] == pytest.approx(tangibles)
    assert result.overall == pytest.approx(np.mean(list(result.dimensions.values())))


def test_shape_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="must have 22 columns"):
        servqual(np.ones((2, 21)), np.ones((2, 21)))
    with pytest.raises(ValueError, match="differ in shape"):
        servqual(np.ones((2, 22)), np.ones((3, 22)))
