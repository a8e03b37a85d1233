"""Loyalty quadrants: relative attitude crossed with repeat patronage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import as_float_vector

__all__ = [
    "LoyaltyQuadrant",
    "LoyaltyShares",
    "loyalty_from_pairs",
    "loyalty_quadrant",
    "loyalty_shares",
    "median_from_counts",
]


class LoyaltyQuadrant(StrEnum):
    """Dick & Basu's four loyalty conditions (attitude × repeat purchase)."""

    TRUE = "true"  # 现实忠诚: high attitude, high repeat
    LATENT = "latent"  # 潜在忠诚: high attitude, low repeat
    SPURIOUS = "spurious"  # 表象忠诚: low attitude, high repeat
    NONE = "none"  # 非忠诚: low attitude, low repeat


def loyalty_quadrant(
    attitude: float, repeat: float, attitude_cut: float, repeat_cut: float
) -> LoyaltyQuadrant:
    """Quadrant of one customer; a value at its cut point counts as high.

    .. math::

        \\text{true} \\iff a \\ge c_a \\wedge r \\ge c_r, \\quad
        \\text{latent} \\iff a \\ge c_a \\wedge r < c_r, \\quad
        \\text{spurious} \\iff a < c_a \\wedge r \\ge c_r

    References
    ----------
    Dick, A. S. & Basu, K. (1994). Customer loyalty: toward an integrated
    conceptual framework. *Journal of the Academy of Marketing Science* 22(2),
    99–113. doi:10.1177/0092070394222001

    Examples
    --------
    >>> loyalty_quadrant(6, 1, 5, 3).value
    'latent'
    """
    high_attitude = attitude >= attitude_cut
    high_repeat = repeat >= repeat_cut
    if high_attitude:
        return LoyaltyQuadrant.TRUE if high_repeat else LoyaltyQuadrant.LATENT
    return LoyaltyQuadrant.SPURIOUS if high_repeat else LoyaltyQuadrant.NONE


@dataclass(frozen=True)
class LoyaltyShares:
    """Customers per quadrant and their shares."""

    n: int
    counts: dict[LoyaltyQuadrant, int]
    shares: dict[LoyaltyQuadrant, float] | None


def loyalty_shares(
    attitudes: npt.ArrayLike, repeats: npt.ArrayLike, attitude_cut: float, repeat_cut: float
) -> LoyaltyShares:
    """Count customers per loyalty quadrant (pairs with a ``NaN`` are skipped).

    .. math:: s_q = \\frac{n_q}{\\sum_{q'} n_{q'}}

    References
    ----------
    Dick & Basu (1994), *Journal of the Academy of Marketing Science* 22(2), 99–113.

    Examples
    --------
    >>> s = loyalty_shares([6, 6, 2, 2], [5, 1, 5, 1], 5, 3)
    >>> s.shares[LoyaltyQuadrant.TRUE]
    0.25
    """
    a = as_float_vector(attitudes, "attitudes")
    r = as_float_vector(repeats, "repeats", a.shape[0])
    keep = np.isfinite(a) & np.isfinite(r)
    counts = dict.fromkeys(LoyaltyQuadrant, 0)
    for attitude, repeat in zip(a[keep], r[keep], strict=True):
        counts[loyalty_quadrant(float(attitude), float(repeat), attitude_cut, repeat_cut)] += 1
    n = sum(counts.values())
    shares = None if n == 0 else {q: c / n for q, c in counts.items()}
    return LoyaltyShares(n=n, counts=counts, shares=shares)


def loyalty_from_pairs(
    pairs: Mapping[tuple[float, float], int], attitude_cut: float, repeat_cut: float
) -> LoyaltyShares:
    """Count customers per loyalty quadrant from the count of each (attitude, repeat) pair.

    .. math:: s_q = \\frac{n_q}{\\sum_{q'} n_{q'}}

    with :func:`loyalty_quadrant` (a value at its cut counts as high).

    References
    ----------
    Dick & Basu (1994), *Journal of the Academy of Marketing Science* 22(2), 99–113.

    Examples
    --------
    >>> s = loyalty_from_pairs({(6, 5): 2, (2, 1): 2}, 5, 3)
    >>> s.counts[LoyaltyQuadrant.TRUE], s.shares[LoyaltyQuadrant.NONE]
    (2, 0.5)
    """
    counts = dict.fromkeys(LoyaltyQuadrant, 0)
    for (attitude, repeat), count in pairs.items():
        counts[loyalty_quadrant(attitude, repeat, attitude_cut, repeat_cut)] += int(count)
    n = sum(counts.values())
    shares = None if n == 0 else {q: c / n for q, c in counts.items()}
    return LoyaltyShares(n=n, counts=counts, shares=shares)


def median_from_counts(counts: Mapping[float, int]) -> float | None:
    """Median of answers given as the count of each value; ``None`` without answers.

    .. math::

        \\tilde x = x_{((n+1)/2)} \\text{ for odd } n, \\qquad
        \\tilde x = \\tfrac12 \\left(x_{(n/2)} + x_{(n/2+1)}\\right) \\text{ for even } n

    References
    ----------
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages.
    *The American Statistician* 50(4), 361–365 (definition 2 at p = 1/2).
    doi:10.1080/00031305.1996.10473566

    Examples
    --------
    >>> median_from_counts({1: 1, 4: 2, 7: 1})
    4.0
    >>> median_from_counts({1: 1, 2: 1, 5: 1, 9: 1})
    3.5
    """
    n = int(sum(counts.values()))
    if n == 0:
        return None
    # 1-based order statistics of the middle one (odd n) or two (even n).
    wanted = [(n + 1) // 2, n // 2 + 1]
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += int(counts[value])
        while len(found) < 2 and seen >= wanted[len(found)]:
            found.append(float(value))
    return (found[0] + found[1]) / 2
