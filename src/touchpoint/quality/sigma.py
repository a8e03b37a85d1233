"""Six Sigma process capability: defects per million opportunities and sigma level."""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["LONG_TERM_SHIFT", "dpmo", "sigma_level"]

#: The conventional 1.5σ long-term shift between short- and long-term capability.
LONG_TERM_SHIFT = 1.5

_STANDARD_NORMAL = NormalDist()


def dpmo(defects: float, units: float, opportunities_per_unit: float = 1) -> float:
    """Defects per million opportunities.

    .. math:: DPMO = 10^6 \\cdot \\frac{\\text{defects}}{\\text{units} \\cdot \\text{opportunities}}

    References
    ----------
    Pyzdek, T. & Keller, P. (2014). *The Six Sigma Handbook*, 4th ed.
    McGraw-Hill, ch. 9.

    Examples
    --------
    >>> dpmo(34, 10_000, 1)
    3400.0
    """
    if units <= 0 or opportunities_per_unit <= 0:
        raise ValueError("units and opportunities per unit must be positive")
    if defects < 0:
        raise ValueError("defects must be non-negative")
    opportunities = units * opportunities_per_unit
    if defects > opportunities:
        raise ValueError(f"{defects} defects exceed {opportunities} opportunities")
    return 1e6 * defects / opportunities


def sigma_level(dpmo_value: float, shift: float = LONG_TERM_SHIFT) -> float:
    """Short-term sigma level of a process from its DPMO.

    .. math:: \\sigma = \\Phi^{-1}\\!\\left(1 - \\frac{DPMO}{10^6}\\right) + 1.5

    Returns ``inf`` for 0 DPMO and ``-inf`` for 10⁶.

    References
    ----------
    Harry, M. J. (1988). *The Nature of Six Sigma Quality*. Motorola University
    Press (the 1.5σ shift; 3.4 DPMO ↔ 6σ).

    Examples
    --------
    >>> round(sigma_level(3.4), 2), round(sigma_level(66_807), 2)
    (6.0, 3.0)
    """
    if not 0 <= dpmo_value <= 1e6:
        raise ValueError(f"DPMO must lie in 0..1,000,000, got {dpmo_value}")
    if dpmo_value == 0:
        return math.inf
    if dpmo_value == 1e6:
        return -math.inf
    return _STANDARD_NORMAL.inv_cdf(1.0 - dpmo_value / 1e6) + shift
