"""The gap model's shortfalls (``quality.gaps``): hand-worked values and bounds."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchpoint.quality import gaps


def test_the_docstring_examples() -> None:
    assert doctest.testmod(gaps).failed == 0


def test_hand_worked_values() -> None:
    # E 6.5, P 3.5: P - E = -3 -> 3 / 6 = 0.5; managers 5.0 vs customers 6.5 -> 1.5 / 6.
    assert gaps.customer_shortfall(3.5 - 6.5) == pytest.approx(0.5)
    assert gaps.knowledge_shortfall(5.0 - 6.5) == pytest.approx(0.25)
    # Importance 4.5 x4, 6.5 x9, 5.5 x9: mean 126 / 22 = 5.73 -> the nine 6.5s are high.
    importance = {i: 4.5 for i in range(1, 5)} | {i: 6.5 for i in range(5, 14)}
    importance |= {i: 5.5 for i in range(14, 23)}
    assert gaps.high_importance(importance) == list(range(5, 14))
    # Of the nine high items 5-13, standards cover 5 and 10-13: 6, 7, 8, 9 uncovered.
    assert gaps.standards_shortfall(list(range(5, 14)), {5, 10, 11, 12, 13}) == pytest.approx(4 / 9)
    # max(0, target - compliance): 0.9 - 0.5; compliance above its target is no shortfall.
    assert gaps.delivery_shortfall(0.9, 0.5) == pytest.approx(0.4)
    assert gaps.delivery_shortfall(0.5, 0.9) == 0.0
    assert gaps.share_within([40, 50, 90], 45) == pytest.approx(1 / 3)  # only 40 <= 45
    assert gaps.median([]) is None and gaps.share_within([], 45) is None
    with pytest.raises(ValueError, match="gap"):
        gaps.customer_shortfall(float("nan"))


means = st.floats(min_value=1.0, max_value=7.0)


@given(means, means)
def test_scale_shortfalls_lie_between_0_and_1(e: float, p: float) -> None:
    assert 0.0 <= gaps.customer_shortfall(p - e) <= 1.0
    assert 0.0 <= gaps.knowledge_shortfall(p - e) <= 1.0


@given(st.lists(st.integers(0, 10_000), max_size=50), st.floats(1.0, 10_000.0))
def test_a_promise_broken_or_kept_adds_up_to_all(values: list[int], promised: float) -> None:
    within = gaps.share_within(values, promised)
    if within is not None:
        assert gaps.promise_shortfall(within) + within == pytest.approx(1.0)
