"""Loyalty quadrants: relative attitude crossed with repeat patronage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import as_float_vector

__all__ = ["LoyaltyQuadrant", "LoyaltyShares", "loyalty_quadrant", "loyalty_shares"]


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
