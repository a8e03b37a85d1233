"""The five gaps of the gap model (PZB 1985; DOMAIN.md §3.2) on comparable terms.

Each gap is measured in its own unit: gaps 1 and 5 as differences of means on the
SERVQUAL 1-7 scale, gap 2 as a share of items, gaps 3 and 4 as shares of orders. To
name the largest, every gap is put on one scale, a *shortfall* from 0 (no gap) to 1
(the widest gap possible):

- gap 5 (customer): ``max(0, E - P) / 6``, only a shortfall counts (P above E is no
  gap to close); 6 is the widest difference two means of a 1-7 scale can have;
- gap 1 (knowledge): ``|E_managers - E_customers| / 6``, either way is a misreading;
- gap 2 (standards): the share of high-importance items without a standard;
- gap 3 (delivery): ``max(0, target - compliance)``, the share of orders by which the
  desk falls short of a standard's target share;
- gap 4 (communication): ``1 - share within the promise``, the share of orders the
  promise was broken for.

References
----------
Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1985). A conceptual model of service
quality and its implications for future research. *Journal of Marketing*, 49(4),
41-50. https://doi.org/10.1177/002224298504900403
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

from touchpoint.quality.servqual import SERVQUAL_SCALE

__all__ = [
    "SCALE_WIDTH",
    "customer_shortfall",
    "delivery_shortfall",
    "high_importance",
    "knowledge_shortfall",
    "median",
    "promise_shortfall",
    "share_within",
    "standards_shortfall",
]

#: The widest difference of two means on the SERVQUAL scale (7 - 1).
SCALE_WIDTH: Final = float(SERVQUAL_SCALE[1] - SERVQUAL_SCALE[0])


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return value


def customer_shortfall(gap: float) -> float:
    r"""Gap 5 as a shortfall: how far perceptions fall below expectations.

    .. math:: s_5 = \max(0, -(P - E)) / 6

    Examples
    --------
    >>> customer_shortfall(-1.5)
    0.25
    >>> customer_shortfall(0.5)
    0.0
    """
    return max(0.0, -_finite(gap, "gap")) / SCALE_WIDTH


def knowledge_shortfall(managers_minus_customers: float) -> float:
    r"""Gap 1 as a shortfall: how far managers misread the customers' expectations.

    .. math:: s_1 = |E_m - E_c| / 6

    Examples
    --------
    >>> knowledge_shortfall(-0.75)
    0.125
    """
    return abs(_finite(managers_minus_customers, "gap")) / SCALE_WIDTH


def high_importance(importance: Mapping[int, float]) -> list[int]:
    """The items whose importance is at or above the mean importance of all of them
    (a value at the cut counts as high, as in importance-performance analysis), ascending.

    Examples
    --------
    >>> high_importance({1: 6.0, 2: 5.0, 3: 7.0, 4: 6.0})
    [1, 3, 4]
    """
    if not importance:
        return []
    cut = math.fsum(importance.values()) / len(importance)
    # A mean of equal values may come out a hair above them: compare with a tolerance.
    return sorted(i for i, v in importance.items() if v >= cut - 1e-12)


def standards_shortfall(high: Sequence[int], covered: set[int]) -> float | None:
    """Gap 2: the share of the ``high`` items without a standard (None: no high items).

    Examples
    --------
    >>> standards_shortfall([1, 3, 4, 5], {3})
    0.75
    """
    if not high:
        return None
    return sum(1 for i in high if i not in covered) / len(high)


def delivery_shortfall(target: float, compliance: float) -> float:
    """Gap 3: by how much of a share compliance falls short of the target share.

    Examples
    --------
    >>> delivery_shortfall(0.9, 0.5)
    0.4
    """
    return max(0.0, _finite(target, "target") - _finite(compliance, "compliance"))


def share_within(values: Sequence[float], promised: float) -> float | None:
    """The share of ``values`` at or within ``promised`` (None: no values).

    Examples
    --------
    >>> share_within([40, 50, 90], 45)
    0.3333333333333333
    """
    if not values:
        return None
    return sum(1 for v in values if v <= promised) / len(values)


def promise_shortfall(within: float) -> float:
    """Gap 4: the share of orders the promise was broken for.

    Examples
    --------
    >>> promise_shortfall(0.25)
    0.75
    """
    return 1.0 - _finite(within, "within")


def median(values: Sequence[float]) -> float | None:
    """The median (mean of the middle two for an even count; None: no values).

    Examples
    --------
    >>> median([90, 40, 50])
    50.0
    >>> median([40, 50])
    45.0
    """
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2
