"""CSI, CSAT, NPS, drivers (statsmodels oracle), loyalty, sigma, Erlang C staffing."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from tests.quality.published import load
from touchpoint.quality.csi import csat, csi, csi_from_sums, normalise_item_weights, nps
from touchpoint.quality.drivers import (
    IpaQuadrant,
    driver_analysis,
    driver_analysis_from_sscp,
    ipa_quadrants,
    relative_weights,
)
from touchpoint.quality.loyalty import LoyaltyQuadrant, loyalty_quadrant, loyalty_shares
from touchpoint.quality.sigma import dpmo, sigma_level
from touchpoint.quality.staffing import (
    average_speed_of_answer,
    erlang_c,
    service_level,
    staffing,
)

sm = pytest.importorskip("statsmodels.api")


# ------------------------------------------------------------------ CSI


def test_csi_hand_worked() -> None:
    # means 8 and 6 on 1-10, weights 3:1 -> 0.75*(7/9) + 0.25*(5/9) = 26/36 -> 72.2222
    assert csi([8, 6], 1, 10, [3, 1]) == pytest.approx(100 * 26 / 36)
    assert csi([8, 6], 1, 10) == pytest.approx(100 * (7 / 9 + 5 / 9) / 2)
    result = csi_from_sums(["C1", "C2"], [4, 0], [32.0, 0.0], 1, 10)
    assert result.csi is None and result.items[1].mean is None
    with pytest.raises(ValueError, match="2 weights given for 3 items"):
        normalise_item_weights([1, 2], 3)
    with pytest.raises(ValueError, match="maximum must exceed"):
        csi([1.0], 5, 5)


def test_csat_and_nps() -> None:
    assert csat([5, 4, 4, 3, 2, float("nan")]) == pytest.approx(0.6)
    assert csat([]) is None
    assert nps([10, 10, 9, 8, 7, 6, 0, 5]) == pytest.approx(0.0)
    assert nps([10, 9, 9, 1]) == pytest.approx(50.0)
    with pytest.raises(ValueError, match="0–10"):
        nps([11])


# ------------------------------------------------------------------ drivers


def test_betas_match_statsmodels_on_standardised_data() -> None:
    rng = np.random.default_rng(2024)
    n = 300
    x = rng.normal(size=(n, 3))
    x[:, 1] += 0.6 * x[:, 0]  # correlated predictors
    y = 0.8 * x[:, 0] + 0.3 * x[:, 1] - 0.2 * x[:, 2] + rng.normal(size=n)
    ours = driver_analysis(x, y, ["a", "b", "c"])
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    fit = sm.OLS(zy, sm.add_constant(z)).fit()
    np.testing.assert_allclose(ours.betas, fit.params[1:], atol=1e-10)
    assert ours.r_squared == pytest.approx(fit.rsquared, abs=1e-10)
    assert sum(ours.relative_weights) == pytest.approx(ours.r_squared, abs=1e-12)
    assert sum(ours.rescaled_weights) == pytest.approx(1.0)
    data = np.column_stack([x, y])
    again = driver_analysis_from_sscp(["a", "b", "c"], n, data.sum(0), data.T @ data)
    np.testing.assert_allclose(again.betas, ours.betas, atol=1e-12)


def test_relative_weights_of_uncorrelated_predictors_are_squared_correlations() -> None:
    # With R_xx = I, Johnson's weights reduce to r_xy squared (Johnson 2000, p. 6).
    np.testing.assert_allclose(relative_weights(np.eye(3), [0.5, -0.2, 0.1]), [0.25, 0.04, 0.01])


def test_relative_weights_follow_johnsons_svd_construction() -> None:
    # Johnson (2000): X = P D Q' (SVD of the standardised predictors), Z = P Q' is
    # the closest orthogonal set; regress y on Z (betas), each x_j on Z (loadings),
    # eps_j = sum_k loading_jk^2 * beta_k^2. Done here with statsmodels regressions.
    rng = np.random.default_rng(17)
    n = 250
    x = rng.normal(size=(n, 3)) @ np.array([[1.0, 0.5, 0.2], [0.0, 1.0, 0.4], [0.0, 0.0, 1.0]])
    y = x @ np.array([0.5, 0.4, 0.1]) + rng.normal(size=n)
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    p, _, qt = np.linalg.svd(zx, full_matrices=False)
    z = p @ qt * np.sqrt(n - 1)
    betas = sm.OLS(zy, z).fit().params
    loadings = np.array([sm.OLS(zx[:, j], z).fit().params for j in range(3)])
    expected = (loadings**2) @ (betas**2)
    ours = driver_analysis(x, y)
    np.testing.assert_allclose(ours.relative_weights, expected, atol=1e-10)


def test_ipa_quadrants() -> None:
    quadrants = ipa_quadrants([0.4, 0.4, 0.1, 0.1], [3.0, 6.0, 3.0, 6.0])
    assert quadrants == (
        IpaQuadrant.CONCENTRATE_HERE,
        IpaQuadrant.KEEP_UP_THE_GOOD_WORK,
        IpaQuadrant.LOW_PRIORITY,
        IpaQuadrant.POSSIBLE_OVERKILL,
    )
    assert ipa_quadrants([], []) == ()


def test_driver_errors() -> None:
    with pytest.raises(ValueError, match="without variance"):
        driver_analysis([[1, 1], [1, 2], [1, 3], [1, 4]], [1, 2, 3, 5])
    with pytest.raises(ValueError, match="need more than"):
        driver_analysis([[1.0], [2.0]], [1.0, 3.0])


# ------------------------------------------------------------------ loyalty


def test_loyalty_quadrants() -> None:
    assert loyalty_quadrant(6, 5, 5, 3) is LoyaltyQuadrant.TRUE
    assert loyalty_quadrant(6, 1, 5, 3) is LoyaltyQuadrant.LATENT
    assert loyalty_quadrant(2, 5, 5, 3) is LoyaltyQuadrant.SPURIOUS
    assert loyalty_quadrant(2, 1, 5, 3) is LoyaltyQuadrant.NONE
    shares = loyalty_shares([6, 6, 2, 2, float("nan")], [5, 1, 5, 1, 3], 5, 3)
    assert shares.n == 4
    assert shares.shares is not None
    assert all(v == pytest.approx(0.25) for v in shares.shares.values())
    assert loyalty_shares([], [], 5, 3).shares is None


# ------------------------------------------------------------------ sigma


def test_sigma_table() -> None:
    document = load("sigma_table.json")
    for row in document["rows"]:
        assert sigma_level(row["dpmo"]) == pytest.approx(row["sigma"], abs=document["tolerance"])
    assert sigma_level(0) == math.inf
    assert dpmo(5, 1000, 5) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="exceed"):
        dpmo(11, 10, 1)
    with pytest.raises(ValueError, match="DPMO must lie"):
        sigma_level(-1)


def test_sigma_against_scipy() -> None:
    from scipy.stats import norm

    for value in (1.0, 12.5, 500.0, 45_000.0, 500_000.0):
        assert sigma_level(value) == pytest.approx(norm.ppf(1 - value / 1e6) + 1.5, abs=1e-12)


# ------------------------------------------------------------------ Erlang C


def _erlang_c_exact(agents: int, traffic: Fraction) -> Fraction:
    """Textbook formula with exact fractions and factorials (independent oracle)."""
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


@pytest.mark.parametrize(("agents", "traffic"), [(2, 1), (13, 10), (14, 10), (63, 56), (5, 4.5)])
def test_erlang_c_against_exact_formula(agents: int, traffic: float) -> None:
    exact = float(_erlang_c_exact(agents, Fraction(traffic)))
    assert erlang_c(agents, traffic) == pytest.approx(exact, rel=1e-12)


def test_service_level_and_asa_formulas() -> None:
    c = erlang_c(14, 10.0)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(1 - c * math.exp(-4 * 20 / 180))
    assert average_speed_of_answer(14, 10.0, 180) == pytest.approx(c * 180 / 4)
    assert erlang_c(10, 10.0) == 1.0
    assert service_level(10, 10.0, 180, 20) == 0.0
    assert average_speed_of_answer(9, 10.0, 180) == math.inf


def test_staffing_is_the_fewest_agents_meeting_the_target() -> None:
    plan = staffing(100, 1800, 180, 0.8, 20)
    assert plan.traffic == pytest.approx(10.0)
    assert plan.service_level >= 0.8
    assert service_level(plan.agents - 1, 10.0, 180, 20) < 0.8
    assert plan.occupancy == pytest.approx(10 / plan.agents)
    capped = staffing(100, 1800, 180, 0.8, 20, max_occupancy=0.6)
    assert capped.occupancy <= 0.6 and capped.agents == 17
    with pytest.raises(ValueError, match="strictly between"):
        staffing(100, 1800, 180, 1.0)
