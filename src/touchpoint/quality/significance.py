"""Significance of a difference between two groups of respondents, and the t interval
of a mean, from sufficient statistics (counts, means, variances) only.

Used to compare a segment of a wave with the rest of the wave (Welch's t test for a
mean answer, the two-proportion z test for a share such as CSAT's top-two box) and to
put an interval on a mean of respondents' scores (the monthly CSI trend).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "ALPHA",
    "ProportionTest",
    "WelchTest",
    "t_interval",
    "two_proportion_z_test",
    "welch_t_test",
]

#: The significance level a difference is flagged at.
ALPHA = 0.05


@dataclass(frozen=True)
class WelchTest:
    """Welch's t test of two means: difference (first − second), t, its degrees of
    freedom and the two-sided p-value; ``t``, ``df`` and ``p_value`` are ``None`` when
    neither group varies (the standard error is 0)."""

    difference: float
    t: float | None
    df: float | None
    p_value: float | None

    def significant(self, alpha: float = ALPHA) -> bool:
        """Whether the difference is significant at ``alpha`` (never without a test)."""
        return self.p_value is not None and self.p_value < alpha


@dataclass(frozen=True)
class ProportionTest:
    """The two-proportion z test: difference of the shares (first − second), z and the
    two-sided p-value; ``z`` and ``p_value`` are ``None`` when the pooled share is 0 or 1
    (the standard error is 0)."""

    difference: float
    z: float | None
    p_value: float | None

    def significant(self, alpha: float = ALPHA) -> bool:
        """Whether the difference is significant at ``alpha`` (never without a test)."""
        return self.p_value is not None and self.p_value < alpha


def welch_t_test(
    n1: int, mean1: float, var1: float, n2: int, mean2: float, var2: float
) -> WelchTest:
    """Welch's unequal-variances t test from each group's n, mean and variance (n − 1).

    .. math::

        t = \\frac{\\bar x_1 - \\bar x_2}{\\sqrt{s_1^2/n_1 + s_2^2/n_2}}, \\qquad
        \\nu = \\frac{(s_1^2/n_1 + s_2^2/n_2)^2}
                    {\\frac{(s_1^2/n_1)^2}{n_1 - 1} + \\frac{(s_2^2/n_2)^2}{n_2 - 1}}

    with the two-sided p-value :math:`2\\,P(T_\\nu > |t|)`.

    Raises
    ------
    ValueError
        A group with fewer than two answers, or a negative variance.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika* 34(1–2), 28–35.
    doi:10.1093/biomet/34.1-2.28

    Examples
    --------
    >>> r = welch_t_test(5, 4.2, 0.7, 6, 3.0, 2.0)
    >>> round(r.t, 4), round(r.df, 3), round(r.p_value, 4)
    (1.7442, 8.261, 0.1181)
    """
    if n1 < 2 or n2 < 2:
        raise ValueError(f"each group needs two answers, got n1={n1}, n2={n2}")
    if var1 < 0 or var2 < 0:
        raise ValueError(f"variances must not be negative, got {var1}, {var2}")
    from scipy import stats

    difference = mean1 - mean2
    a, b = var1 / n1, var2 / n2
    if a + b == 0:
        return WelchTest(difference, None, None, None)
    t = difference / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    return WelchTest(difference, t, df, float(2 * stats.t.sf(abs(t), df)))


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> ProportionTest:
    """The two-proportion z test with the pooled standard error.

    .. math::

        \\hat p = \\frac{x_1 + x_2}{n_1 + n_2}, \\qquad
        z = \\frac{x_1/n_1 - x_2/n_2}{\\sqrt{\\hat p (1 - \\hat p)(1/n_1 + 1/n_2)}}

    with the two-sided p-value :math:`2\\,(1 - \\Phi(|z|)) = \\operatorname{erfc}(|z|/\\sqrt 2)`.

    Raises
    ------
    ValueError
        An empty group, or counts outside 0 ≤ x ≤ n.

    References
    ----------
    Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods for Rates and
    Proportions*, 3rd ed. Wiley, ch. 2. doi:10.1002/0471445428

    Examples
    --------
    >>> r = two_proportion_z_test(30, 50, 20, 50)
    >>> round(r.difference, 2), round(r.z, 4), round(r.p_value, 4)
    (0.2, 2.0, 0.0455)
    """
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError(f"need 0 <= x <= n and n > 0, got {x1} of {n1}, {x2} of {n2}")
    difference = x1 / n1 - x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    spread = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if spread == 0:
        return ProportionTest(difference, None, None)
    z = difference / math.sqrt(spread)
    return ProportionTest(difference, z, math.erfc(abs(z) / math.sqrt(2)))


def t_interval(mean: float, sd: float, n: int) -> tuple[float, float]:
    """The 95 % t interval of a mean from its answers' standard deviation (n − 1).

    .. math:: \\bar x \\pm t_{0.975,\\,n-1} \\frac{s}{\\sqrt n}

    Raises
    ------
    ValueError
        Fewer than two answers, or a negative ``sd``.

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika* 6(1), 1–25.
    doi:10.1093/biomet/6.1.1

    Examples
    --------
    >>> [round(v, 3) for v in t_interval(5.5, 1.9149, 4)]
    [2.453, 8.547]
    """
    if n < 2 or sd < 0:
        raise ValueError(f"need n >= 2 and sd >= 0, got n={n}, sd={sd}")
    from scipy import stats

    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return (mean - half, mean + half)
