"""Hypothesis properties: Kano counts sum to n, gaps stay within ±6, AHP weights sum to 1."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from touchpoint.quality.ahp import ahp_weights, geometric_mean_matrix
from touchpoint.quality.kano import kano, kano_from_table
from touchpoint.quality.reliability import cronbach_alpha
from touchpoint.quality.servqual import servqual
from touchpoint.quality.zone import zone_of_tolerance

answers_1_7 = st.one_of(st.integers(1, 7).map(float), st.just(float("nan")))
answers_1_5 = st.one_of(st.integers(1, 5).map(float), st.just(float("nan")))


@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.lists(answers_1_5, min_size=n, max_size=n),
            st.lists(answers_1_5, min_size=n, max_size=n),
        )
    )
)
def test_kano_counts_sum_to_n(pairs: tuple[list[float], list[float]]) -> None:
    functional, dysfunctional = pairs
    result = kano(functional, dysfunctional)
    answered = sum(
        1
        for f, d in zip(functional, dysfunctional, strict=True)
        if not np.isnan(f) and not np.isnan(d)
    )
    assert result.n == answered == sum(result.counts.values())
    if result.better is not None and result.worse is not None:
        assert 0.0 <= result.better <= 1.0 and -1.0 <= result.worse <= 0.0


@given(arrays(np.int64, (5, 5), elements=st.integers(0, 50)))
def test_kano_table_counts_sum_to_table_total(table: np.ndarray) -> None:
    result = kano_from_table(table)
    assert result.n == int(table.sum()) == sum(result.counts.values())
    if result.n:
        assert result.mode is not None and result.counts[result.mode] == max(result.counts.values())


@settings(max_examples=60)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 22), elements=answers_1_7),
            arrays(np.float64, (n, 22), elements=answers_1_7),
        )
    )
)
def test_servqual_gaps_are_bounded(data: tuple[np.ndarray, np.ndarray]) -> None:
    scores = servqual(*data)
    values = [i.gap for i in scores.items] + [d.gap for d in scores.dimensions]
    for gap in [*values, scores.unweighted]:
        assert gap is None or -6.0 <= gap <= 6.0
    for item in scores.items:
        if item.gap is not None:
            assert item.gap == (item.perception or 0) - (item.expectation or 0)


@settings(max_examples=40)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(*(arrays(np.float64, (n, 22), elements=answers_1_7) for _ in range(3)))
    )
)
def test_zone_shares_partition(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    for item in zone_of_tolerance(*data).items:
        if item.n:
            total = (item.share_below or 0) + (item.share_within or 0) + (item.share_above or 0)
            assert abs(total - 1.0) < 1e-12


saaty_scale = st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 7, 1 / 9])


@st.composite
def reciprocal_matrices(draw: st.DrawFn) -> np.ndarray:
    k = draw(st.integers(1, 15))
    matrix = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            value = draw(saaty_scale)
            matrix[i, j], matrix[j, i] = value, 1 / value
    return matrix


@given(reciprocal_matrices())
def test_ahp_weights_sum_to_one(matrix: np.ndarray) -> None:
    result = ahp_weights(matrix)
    assert abs(sum(result.weights) - 1.0) < 1e-9
    assert all(w > 0 for w in result.weights)
    assert result.lambda_max >= matrix.shape[0] - 1e-9  # Saaty: λmax ≥ n
    assert result.ci >= -1e-9


@given(st.lists(reciprocal_matrices(), min_size=1, max_size=1), st.integers(2, 4))
def test_group_geometric_mean_keeps_weights_summing_to_one(
    matrices: list[np.ndarray], judges: int
) -> None:
    combined = geometric_mean_matrix(matrices * judges)
    np.testing.assert_allclose(combined, matrices[0], rtol=1e-12)
    assert abs(sum(ahp_weights(combined).weights) - 1.0) < 1e-9


@settings(max_examples=40)
@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(2, 6)), elements=answers_1_7))
def test_alpha_is_at_most_one(data: np.ndarray) -> None:
    alpha = cronbach_alpha(data).alpha
    assert alpha is None or alpha <= 1.0 + 1e-9
