"""NPS (Rocks 2016), Wilson (Newcombe 1998), CES, Johnson (2000) weights with IPA, Dick & Basu.

Each oracle sits beside its source: published digits where the source prints
them, otherwise a value worked by hand from the source's formula (the working
is in the comment), compared at a stated tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from touchpoint.quality.csi import (
    Z95,
    ces_from_counts,
    csat_from_counts,
    nps_from_counts,
    nps_interval,
    wilson_interval,
)
from touchpoint.quality.drivers import (
    IpaQuadrant,
    driver_analysis,
    driver_report_from_sscp,
    relative_weights,
)
from touchpoint.quality.loyalty import (
    LoyaltyQuadrant,
    loyalty_from_pairs,
    loyalty_shares,
    median_from_counts,
)

# ------------------------------------------------------------------ NPS


def test_nps_adjusted_wald_hand_worked_from_rocks_2016() -> None:
    # Rocks (2016), The American Statistician 70(4), 365-372, the adjusted Wald:
    # n' = n + 3, p' = (P + 3/4)/n', d' = (D + 3/4)/n',
    # 100 [(p' - d') ± z sqrt((p' + d' - (p' - d')^2)/n')].
    # 15 promoters, 10 passives, 5 detractors: n' = 33, p' = 15.75/33, d' = 5.75/33,
    # p' - d' = 10/33 = 0.303030, p' + d' = 21.5/33 = 0.651515,
    # variance = (0.651515 - 0.091827)/33 = 0.0169602, sd = 0.130231,
    # half-width 1.959964 * 0.130231 = 0.255249 -> [4.778, 55.828] (NPS 33.333).
    score = nps_from_counts(15, 10, 5)
    assert (score.n, score.promoters, score.passives, score.detractors) == (30, 15, 10, 5)
    assert score.nps == pytest.approx(100 / 3, abs=1e-12)
    assert score.ci95 is not None
    assert score.ci95 == pytest.approx((4.778, 55.828), abs=5e-4)
    half = Z95 * math.sqrt((21.5 / 33 - (10 / 33) ** 2) / 33)
    assert score.ci95 == pytest.approx((100 * (10 / 33 - half), 100 * (10 / 33 + half)), abs=1e-12)


def test_nps_interval_is_not_clipped_and_is_empty_without_answers() -> None:
    # All 4 promoters: p' = 4.75/7, d' = 0.75/7; the upper end passes 100.
    low, high = nps_interval(4, 0, 4)
    assert high > 100 and low < 100
    assert Z95 == 1.959964
    empty = nps_from_counts(0, 0, 0)
    assert (empty.n, empty.nps, empty.ci95) == (0, None, None)
    with pytest.raises(ValueError, match="counts"):
        nps_interval(3, 3, 5)


# ------------------------------------------------------------------ Wilson, CSAT


@pytest.mark.parametrize(
    ("successes", "n", "published"),
    [
        # Newcombe (1998), Statistics in Medicine 17, 857-872: the score method
        # without continuity correction (method 3) for his four examples.
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0000, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_interval_reproduces_newcombe_1998(
    successes: int, n: int, published: tuple[float, float]
) -> None:
    assert wilson_interval(successes, n) == pytest.approx(published, abs=5e-5)


def test_csat_from_counts() -> None:
    # 1-5 scale: 4 and 5 are the top two points. 6 of 10 satisfied,
    # mean (15 + 12 + 3 + 4 + 1)/10 = 3.5.
    score = csat_from_counts({5: 3, 4: 3, 3: 1, 2: 2, 1: 1}, 5)
    assert (score.n, score.satisfied, score.csat) == (10, 6, 0.6)
    assert score.mean == pytest.approx(3.5, abs=1e-12)
    assert score.ci95 == wilson_interval(6, 10)
    # 1-10 scale: the top two points are 9 and 10.
    assert csat_from_counts({10: 1, 9: 1, 8: 2}, 10).satisfied == 2
    assert csat_from_counts({}, 5).ci95 is None


# ------------------------------------------------------------------ CES


def test_ces_matches_the_t_interval_on_raw_answers() -> None:
    answers = np.array([7, 7, 6, 5, 5, 4, 2, 1, 7, 6], dtype=float)
    values, counts = np.unique(answers, return_counts=True)
    score = ces_from_counts(dict(zip(values.tolist(), counts.tolist(), strict=True)), 7)
    assert score.n == 10
    assert score.mean == pytest.approx(answers.mean(), abs=1e-12)
    assert score.sd == pytest.approx(answers.std(ddof=1), abs=1e-12)
    low, high = stats.t.interval(0.95, 9, loc=answers.mean(), scale=stats.sem(answers))
    assert score.ci95 == pytest.approx((low, high), abs=1e-9)
    assert score.easy == pytest.approx(7 / 10)  # 5, 6 and 7 on 1-7
    one = ces_from_counts({3: 1}, 7)
    assert (one.mean, one.sd, one.ci95, one.easy) == (3.0, None, None, 0.0)


# ------------------------------------------------------------------ drivers


def test_johnson_relative_weights_hand_worked() -> None:
    # Johnson (2000), Multivariate Behavioral Research 35(1), 1-19, eqs. 1-6, by hand
    # for r12 = 0.6, r1y = 0.5, r2y = 0.4:
    # Rxx = Q diag(1.6, 0.4) Q', L = Rxx^(1/2) = (1/sqrt 10) [[3, 1], [1, 3]];
    # beta* = L^-1 r = (sqrt 10 / 8) (1.1, 0.7), beta*^2 = (0.1890625, 0.0765625);
    # eps_1 = 0.9 * 0.1890625 + 0.1 * 0.0765625 = 0.1778125 (569/3200),
    # eps_2 = 0.1 * 0.1890625 + 0.9 * 0.0765625 = 0.0878125 (281/3200),
    # sum = 0.265625 = R^2 = r' Rxx^-1 r = 0.5 * 0.40625 + 0.4 * 0.15625.
    weights = relative_weights([[1.0, 0.6], [0.6, 1.0]], [0.5, 0.4])
    np.testing.assert_allclose(weights, [569 / 3200, 281 / 3200], atol=1e-12)
    assert weights.sum() == pytest.approx(17 / 64, abs=1e-12)


def _data(seed: int, n: int = 80) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, (n, 3)).astype(float)
    y = np.round(x @ [0.6, 0.3, 0.1] + rng.normal(size=n))
    return np.column_stack([x, y])


def test_driver_report_weights_sum_to_r2_and_rescale_to_100() -> None:
    d = _data(7)
    report = driver_report_from_sscp(["a", "b", "c"], d.shape[0], d.sum(0), d.T @ d)
    plain = driver_analysis(d[:, :3], d[:, 3])
    assert report.r_squared == pytest.approx(plain.r_squared, abs=1e-12)
    assert sum(i.relative_weight for i in report.items) == pytest.approx(report.r_squared)
    assert sum(i.rescaled_weight or 0 for i in report.items) == pytest.approx(100, abs=1e-9)
    # the older analysis still rescales to 1; the report's weights are 100 times those
    for item, share in zip(report.items, plain.rescaled_weights, strict=True):
        assert item.rescaled_weight == pytest.approx(100 * share, abs=1e-9)
        assert item.beta == plain.betas[report.items.index(item)]
    np.testing.assert_allclose([i.mean for i in report.items], d[:, :3].mean(0), atol=1e-12)


def test_ipa_quadrants_cut_at_the_mean_over_items_and_at_the_cut_is_high() -> None:
    # Item means 2, 3 and 4 (cut 3: b sits on it and counts as high performance).
    # Importance: a and c carry the outcome, b barely: a, c above the 100/3 cut.
    rng = np.random.default_rng(3)
    n = 198
    # Whole-number answers, each item's noise -1, 0 and +1 equally often: the
    # means are exactly 2, 3 and 4 and the cut exactly 3.
    noise = np.column_stack(
        [rng.permutation(np.repeat([-1.0, 0.0, 1.0], n // 3)) for _ in range(3)]
    )
    x = np.array([2.0, 3.0, 4.0]) + noise
    y = 2 * x[:, 0] + 2 * x[:, 2] + rng.normal(size=n)
    d = np.column_stack([x, y])
    report = driver_report_from_sscp(["a", "b", "c"], n, d.sum(0), d.T @ d)
    assert [i.mean for i in report.items] == [2.0, 3.0, 4.0]
    assert [i.quadrant for i in report.items] == [
        IpaQuadrant.CONCENTRATE_HERE,  # important, below the performance cut
        IpaQuadrant.POSSIBLE_OVERKILL,  # unimportant, at the performance cut = high
        IpaQuadrant.KEEP_UP_THE_GOOD_WORK,
    ]
    assert all(i.quadrant != IpaQuadrant.LOW_PRIORITY for i in report.items)


def test_ipa_low_priority() -> None:
    rng = np.random.default_rng(4)
    n = 150
    x = rng.integers(1, 8, (n, 2)).astype(float)
    x[:, 1] = np.minimum(x[:, 1], 3)  # item b: low mean and no part in the outcome
    y = 3 * x[:, 0] + rng.normal(size=n)
    d = np.column_stack([x, y])
    report = driver_report_from_sscp(["a", "b"], n, d.sum(0), d.T @ d)
    assert [i.quadrant for i in report.items] == [
        IpaQuadrant.KEEP_UP_THE_GOOD_WORK,
        IpaQuadrant.LOW_PRIORITY,
    ]


# ------------------------------------------------------------------ loyalty


def test_dick_and_basu_quadrants_hand_made() -> None:
    # Dick & Basu (1994), JAMS 22(2), 99-113, Figure 2: relative attitude (high/low)
    # crossed with repeat patronage (high/low). Cuts 5 and 3; at a cut is high.
    pairs = {
        (7.0, 4.0): 2,  # true loyalty
        (5.0, 3.0): 1,  # true: both at their cuts
        (6.0, 1.0): 3,  # latent
        (2.0, 3.0): 1,  # spurious (repeat at its cut)
        (1.0, 0.0): 3,  # none
    }
    shares = loyalty_from_pairs(pairs, 5, 3)
    assert shares.n == 10
    assert shares.counts == {
        LoyaltyQuadrant.TRUE: 3,
        LoyaltyQuadrant.LATENT: 3,
        LoyaltyQuadrant.SPURIOUS: 1,
        LoyaltyQuadrant.NONE: 3,
    }
    assert shares.shares is not None and shares.shares[LoyaltyQuadrant.SPURIOUS] == 0.1
    attitudes = [a for (a, _), k in pairs.items() for _ in range(k)]
    repeats = [r for (_, r), k in pairs.items() for _ in range(k)]
    assert loyalty_shares(attitudes, repeats, 5, 3) == shares


def test_median_from_counts_matches_numpy() -> None:
    rng = np.random.default_rng(9)
    for size in (1, 2, 5, 8, 31, 64):
        values = rng.integers(0, 6, size).astype(float)
        unique, counts = np.unique(values, return_counts=True)
        table = dict(zip(unique.tolist(), counts.tolist(), strict=True))
        assert median_from_counts(table) == float(np.median(values))
    assert median_from_counts({}) is None


# ------------------------------------------------------------------ properties

counts_0_10 = st.dictionaries(st.integers(0, 10).map(float), st.integers(1, 50), min_size=1)


@given(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200))
def test_nps_counts_add_up_and_the_interval_holds_the_adjusted_centre(
    promoters: int, passives: int, detractors: int
) -> None:
    score = nps_from_counts(promoters, passives, detractors)
    assert score.n == promoters + passives + detractors
    if score.n == 0:
        return
    assert score.nps is not None and -100 <= score.nps <= 100
    assert score.ci95 is not None
    centre = 100 * (promoters - detractors) / (score.n + 3)
    assert score.ci95[0] <= centre <= score.ci95[1]


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_share_inside_0_1(pair: tuple[int, int]) -> None:
    successes, n = pair
    low, high = wilson_interval(successes, n)
    assert -1e-12 <= low <= successes / n <= high <= 1 + 1e-12


@given(counts_0_10)
def test_loyalty_counts_sum_to_n_for_median_cuts(counts: dict[float, int]) -> None:
    pairs = {(value, 10 - value): k for value, k in counts.items()}
    cut = median_from_counts(counts)
    assert cut is not None
    shares = loyalty_from_pairs(pairs, cut, 10 - cut)
    assert sum(shares.counts.values()) == shares.n == sum(counts.values())
    assert shares.shares is not None
    assert sum(shares.shares.values()) == pytest.approx(1)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_relative_weights_sum_to_r2_and_rescaled_to_100(seed: int) -> None:
    d = _data(seed, n=40)
    if np.any(d.std(axis=0) == 0):
        return
    report = driver_report_from_sscp(["a", "b", "c"], 40, d.sum(0), d.T @ d)
    assert sum(i.relative_weight for i in report.items) == pytest.approx(report.r_squared)
    assert sum(i.rescaled_weight or 0 for i in report.items) == pytest.approx(100)
