"""Zone of tolerance: hand-worked example and the position rule."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.quality.published import PUBLISHED, load
from touchpoint.quality.zone import ZonePosition, zone_of_tolerance, zone_position


def _arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with (PUBLISHED / "zone_hand_worked.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(  # type: ignore[return-value]
        np.array([[float(r[f"{p}{i}"] or "nan") for i in range(1, 23)] for r in rows])
        for p in "ADP"
    )


def test_hand_worked() -> None:
    expected = load("zone_hand_worked.json")
    result = zone_of_tolerance(*_arrays())
    tol = expected["tolerance"]
    for number, values in expected["items"].items():
        item = result.items[int(number) - 1]
        for key, value in values.items():
            assert getattr(item, key) == pytest.approx(value, abs=tol), (number, key)
    dims = {d.dimension: d for d in result.dimensions}
    for name, values in expected["dimensions"].items():
        for key, value in values.items():
            assert getattr(dims[name], key) == pytest.approx(value, abs=tol), (name, key)


def test_positions() -> None:
    assert zone_position(4, 6, 3) is ZonePosition.BELOW
    assert zone_position(4, 6, 4) is ZonePosition.WITHIN
    assert zone_position(4, 6, 6) is ZonePosition.WITHIN
    assert zone_position(4, 6, 7) is ZonePosition.ABOVE
    # inconsistent answers (adequate above desired): below wins, else above
    assert zone_position(6, 5, 5.5) is ZonePosition.BELOW
    assert zone_position(6, 5, 6) is ZonePosition.ABOVE


def test_shares_partition_the_complete_respondents() -> None:
    rng = np.random.default_rng(11)
    a, d, p = (rng.integers(1, 8, (60, 22)).astype(float) for _ in range(3))
    p[rng.random(p.shape) < 0.1] = np.nan
    for item in zone_of_tolerance(a, d, p).items:
        total = (item.share_below or 0) + (item.share_within or 0) + (item.share_above or 0)
        assert total == pytest.approx(1.0)
        assert item.msa == pytest.approx((item.perception or 0) - (item.adequate or 0))
