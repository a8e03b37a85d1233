"""Welch's t, the two-proportion z test and the t interval of a mean
(``touchpoint.quality.significance``) against scipy and statsmodels on the same data,
and the docstring examples."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest  # type: ignore[import-untyped]

from touchpoint.quality import significance
from touchpoint.quality.significance import t_interval, two_proportion_z_test, welch_t_test


def test_docstring_examples() -> None:
    result = doctest.testmod(significance, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_welch_matches_scipy_on_raw_answers() -> None:
    a = np.array([7, 6, 7, 5, 6, 7, 4, 6], dtype=float)
    b = np.array([5, 4, 6, 3, 5, 4, 5, 2, 6, 4, 5], dtype=float)
    r = welch_t_test(a.size, a.mean(), a.var(ddof=1), b.size, b.mean(), b.var(ddof=1))
    expected = stats.ttest_ind(a, b, equal_var=False)  # Welch (1947)
    assert r.t == pytest.approx(expected.statistic, abs=1e-12)
    assert r.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    assert r.df == pytest.approx(expected.df, abs=1e-9)
    assert r.difference == pytest.approx(a.mean() - b.mean(), abs=1e-12)
    assert r.significant() is (float(expected.pvalue) < 0.05)


def test_z_test_matches_statsmodels_and_the_hand_formula() -> None:
    r = two_proportion_z_test(41, 60, 30, 70)
    z, p = proportions_ztest([41, 30], [60, 70])  # pooled standard error, two-sided
    assert r.z == pytest.approx(z, abs=1e-12) and r.p_value == pytest.approx(p, abs=1e-12)
    pooled = 71 / 130
    by_hand = (41 / 60 - 30 / 70) / math.sqrt(pooled * (1 - pooled) * (1 / 60 + 1 / 70))
    assert r.z == pytest.approx(by_hand, abs=1e-12)


def test_t_interval_matches_scipy() -> None:
    lo, hi = t_interval(62.5, 11.0, 30)
    assert (lo, hi) == pytest.approx(stats.t.interval(0.95, 29, loc=62.5, scale=11 / math.sqrt(30)))


def test_no_spread_no_test_and_bad_counts_refused() -> None:
    assert welch_t_test(5, 4.0, 0.0, 6, 3.0, 0.0).p_value is None
    assert not welch_t_test(5, 4.0, 0.0, 6, 3.0, 0.0).significant()
    assert two_proportion_z_test(5, 5, 6, 6).z is None
    with pytest.raises(ValueError, match="two answers"):
        welch_t_test(1, 4.0, 0.0, 6, 3.0, 1.0)
    with pytest.raises(ValueError, match="0 <= x <= n"):
        two_proportion_z_test(6, 5, 1, 5)
    with pytest.raises(ValueError, match="n >= 2"):
        t_interval(1.0, 0.5, 1)
