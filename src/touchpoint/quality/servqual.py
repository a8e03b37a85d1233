"""SERVQUAL and SERVPERF: item and dimension gaps between perceived and expected service.

The 22 items of Parasuraman, Zeithaml & Berry (PZB) are each answered twice on a
1–7 scale, once for the expectation ``E_i`` and once for the perception ``P_i``.
Everything here works on sufficient statistics (counts and sums per item) so an
analytics engine can reduce any number of rows first; :func:`servqual` is the
convenience entry point on raw answer arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import (
    as_float_matrix,
    as_float_vector,
    mean_or_none,
    members_by_dimension,
    ratio_or_none,
)

__all__ = [
    "SERVQUAL_DIMENSIONS",
    "SERVQUAL_ITEMS",
    "SERVQUAL_SCALE",
    "DimensionGap",
    "ItemGap",
    "ServperfScores",
    "ServqualScores",
    "allocation_weights",
    "allocation_weights_from_sums",
    "dimension_of_item",
    "normalise_weights",
    "servperf_from_sums",
    "servqual",
    "servqual_from_sums",
    "weighted_score",
]

#: The five RATER dimensions in the order PZB report them.
SERVQUAL_DIMENSIONS: tuple[str, ...] = (
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
)

#: Item numbers (1-based) of each dimension in the 22-item instrument.
SERVQUAL_ITEMS: Mapping[str, tuple[int, ...]] = {
    "tangibles": (1, 2, 3, 4),
    "reliability": (5, 6, 7, 8, 9),
    "responsiveness": (10, 11, 12, 13),
    "assurance": (14, 15, 16, 17),
    "empathy": (18, 19, 20, 21, 22),
}

#: The answer scale of every SERVQUAL item (inclusive bounds).
SERVQUAL_SCALE: tuple[int, int] = (1, 7)


def dimension_of_item(item: int, dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS) -> str:
    """Name of the dimension that holds ``item`` (1-based).

    Examples
    --------
    >>> dimension_of_item(10)
    'responsiveness'
    """
    for dimension, items in dimensions.items():
        if item in items:
            return dimension
    raise ValueError(f"item {item} belongs to no dimension")


@dataclass(frozen=True)
class ItemGap:
    """One item's expectation, perception and gap, over respondents who answered both."""

    item: int
    dimension: str
    n: int
    expectation: float | None
    perception: float | None
    gap: float | None


@dataclass(frozen=True)
class DimensionGap:
    """A dimension's values: the means of its items' values."""

    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None


@dataclass(frozen=True)
class ServqualScores:
    """Item gaps, dimension gaps and the overall SERVQUAL scores."""

    items: tuple[ItemGap, ...]
    dimensions: tuple[DimensionGap, ...]
    unweighted: float | None
    weighted: float | None
    weights: Mapping[str, float] | None


@dataclass(frozen=True)
class ServperfScores:
    """SERVPERF: perception-only means per item, per dimension and overall."""

    items: Mapping[int, float | None]
    dimensions: Mapping[str, float | None]
    overall: float | None


def _item_numbers(dimensions: Mapping[str, Sequence[int]]) -> list[int]:
    numbers = sorted(i for items in dimensions.values() for i in items)
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError("dimension items must number 1..k without gaps or repeats")
    return numbers


def normalise_weights(
    weights: Mapping[str, float], dimensions: Sequence[str] = SERVQUAL_DIMENSIONS
) -> dict[str, float]:
    """Normalise a point allocation over the dimensions so that it sums to 1.

    .. math:: w_d = \\frac{p_d}{\\sum_{d'} p_{d'}}

    Parameters
    ----------
    weights
        Non-negative points per dimension (a 100-point allocation or any scale);
        every dimension must be present and no other key.
    dimensions
        The dimension names, in report order.

    Returns
    -------
    dict
        Dimension → weight, summing to 1, in ``dimensions`` order.

    References
    ----------
    Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL: a
    multiple-item scale for measuring consumer perceptions of service quality.
    *Journal of Retailing* 64(1), 12–40 (the point-allocation question).

    Examples
    --------
    >>> normalise_weights({"tangibles": 10, "reliability": 30, "responsiveness": 20,
    ...                    "assurance": 20, "empathy": 20})["reliability"]
    0.3
    """
    unknown = sorted(set(weights) - set(dimensions))
    if unknown:
        raise ValueError(f"unknown dimension in weights: {', '.join(unknown)}")
    missing = [d for d in dimensions if d not in weights]
    if missing:
        raise ValueError(f"weights miss dimension: {', '.join(missing)}")
    values: dict[str, float] = {}
    for dimension in dimensions:
        value = float(weights[dimension])
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight of {dimension} must be a non-negative number, got {value}")
        values[dimension] = value
    total = sum(values.values())
    if total <= 0:
        raise ValueError("weights must not all be zero")
    return {d: v / total for d, v in values.items()}


def allocation_weights(
    points: npt.ArrayLike, dimensions: Sequence[str] = SERVQUAL_DIMENSIONS
) -> dict[str, float] | None:
    """Average of each complete respondent's normalised point allocation.

    .. math:: w_d = \\frac{1}{m} \\sum_{r=1}^{m} \\frac{p_{rd}}{\\sum_{d'} p_{rd'}}

    where the sum runs over the *m* respondents who allocated points to every
    dimension (no missing value, ``NaN``) and a positive total.

    Parameters
    ----------
    points
        Respondents × dimensions array of non-negative points; ``NaN`` is missing.
    dimensions
        The dimension names, in column order.

    Returns
    -------
    dict or None
        Dimension → weight (summing to 1), or ``None`` without a complete respondent.

    References
    ----------
    Zeithaml, V. A., Parasuraman, A. & Berry, L. L. (1990). *Delivering Quality
    Service*. Free Press, appendix A (importance weights from a 100-point allocation).

    Examples
    --------
    >>> w = allocation_weights([[20, 20, 20, 20, 20], [0, 50, 50, 0, 0]])
    >>> round(w["reliability"], 6)
    0.35
    """
    array = as_float_matrix(points, "points", len(dimensions))
    finite = np.isfinite(array)
    if np.any(array[finite] < 0):
        raise ValueError("points must be non-negative")
    totals = array.sum(axis=1)
    complete = finite.all(axis=1) & (totals > 0)
    if not complete.any():
        return None
    shares = array[complete] / totals[complete, None]
    return allocation_weights_from_sums(int(complete.sum()), shares.sum(axis=0), dimensions)


def allocation_weights_from_sums(
    n_complete: int, sum_of_shares: npt.ArrayLike, dimensions: Sequence[str] = SERVQUAL_DIMENSIONS
) -> dict[str, float] | None:
    """Finish :func:`allocation_weights` from its sufficient statistics.

    .. math:: w_d = \\frac{1}{m} \\sum_r s_{rd}, \\qquad s_{rd} = p_{rd} / \\sum_{d'} p_{rd'}

    Parameters
    ----------
    n_complete
        Number *m* of complete respondents.
    sum_of_shares
        Per dimension, the sum over those respondents of their normalised shares.
    dimensions
        The dimension names, in the order of ``sum_of_shares``.

    Returns
    -------
    dict or None
        Dimension → weight, or ``None`` when ``n_complete`` is 0.

    References
    ----------
    Zeithaml, Parasuraman & Berry (1990), see :func:`allocation_weights`.

    Examples
    --------
    >>> allocation_weights_from_sums(2, [0.4, 0.6], ["a", "b"])
    {'a': 0.2, 'b': 0.3}
    """
    sums = as_float_vector(sum_of_shares, "sum_of_shares", len(dimensions))
    if n_complete <= 0:
        return None
    return {d: float(s) / n_complete for d, s in zip(dimensions, sums, strict=True)}


def weighted_score(
    scores: Mapping[str, float | None], weights: Mapping[str, float]
) -> float | None:
    """Weighted SERVQUAL: the weighted sum of dimension scores.

    .. math:: SQ_w = \\sum_d w_d \\, \\bar G_d

    Returns ``None`` when a dimension with weight has no score.

    References
    ----------
    Parasuraman, Zeithaml & Berry (1988), see :func:`normalise_weights`.

    Examples
    --------
    >>> weighted_score({"a": -1.0, "b": 0.5}, {"a": 0.25, "b": 0.75})
    0.125
    """
    total = 0.0
    for dimension, weight in weights.items():
        score = scores.get(dimension)
        if score is None:
            return None
        total += weight * score
    return total


def _item_gap(
    number: int,
    count: float,
    sum_expectation: float,
    sum_perception: float,
    dimensions: Mapping[str, Sequence[int]],
) -> ItemGap:
    """One item's mean expectation, mean perception and gap ``P − E`` over the ``count``
    respondents who answered both (all ``None`` when nobody did)."""
    expectation = ratio_or_none(sum_expectation, count)
    perception = ratio_or_none(sum_perception, count)
    gap = None if expectation is None or perception is None else perception - expectation
    return ItemGap(
        item=number,
        dimension=dimension_of_item(number, dimensions),
        n=int(count),
        expectation=expectation,
        perception=perception,
        gap=gap,
    )


def _dimension_gaps(
    items: Sequence[ItemGap], dimensions: Mapping[str, Sequence[int]]
) -> tuple[DimensionGap, ...]:
    """Each dimension's expectation, perception and gap as the plain means of its items'
    values, so that every item counts once however many respondents answered it, in
    ``dimensions`` order; an item nobody answered is left out of the means."""
    return tuple(
        DimensionGap(
            dimension=dimension,
            expectation=mean_or_none(m.expectation for m in members),
            perception=mean_or_none(m.perception for m in members),
            gap=mean_or_none(m.gap for m in members),
        )
        for dimension, members in members_by_dimension(items, dimensions)
    )


def servqual_from_sums(
    n: npt.ArrayLike,
    sum_expectation: npt.ArrayLike,
    sum_perception: npt.ArrayLike,
    weights: Mapping[str, float] | None = None,
    dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS,
) -> ServqualScores:
    """SERVQUAL scores from per-item counts and sums over paired answers.

    For item *i*, over the :math:`n_i` respondents who answered both its
    expectation and its perception:

    .. math::

        \\bar E_i = \\frac{1}{n_i}\\sum E_i, \\quad
        \\bar P_i = \\frac{1}{n_i}\\sum P_i, \\quad
        G_i = \\bar P_i - \\bar E_i

    A dimension's values are the means of its items' values; the unweighted
    score is the mean of the dimension gaps and the weighted score is
    :math:`\\sum_d w_d \\bar G_d`.

    Parameters
    ----------
    n
        Per item (in item order 1..k), the number of respondents with both answers.
    sum_expectation, sum_perception
        Per item, the sums of E and of P over those respondents.
    weights
        Dimension weights summing to 1 (see :func:`normalise_weights`), or ``None``.
    dimensions
        Dimension → item numbers; defaults to the 22-item SERVQUAL.

    Returns
    -------
    ServqualScores
        Items, dimensions, ``unweighted``, ``weighted`` (``None`` without weights).

    References
    ----------
    Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL.
    *Journal of Retailing* 64(1), 12–40.

    Examples
    --------
    >>> k = 22
    >>> scores = servqual_from_sums([2] * k, [12.0] * k, [10.0] * k)
    >>> scores.items[0].gap, scores.unweighted
    (-1.0, -1.0)
    """
    numbers = _item_numbers(dimensions)
    counts = as_float_vector(n, "n", len(numbers))
    sums_e = as_float_vector(sum_expectation, "sum_expectation", len(numbers))
    sums_p = as_float_vector(sum_perception, "sum_perception", len(numbers))
    if np.any(counts < 0):
        raise ValueError("item counts must be non-negative")
    items = tuple(
        _item_gap(
            number, float(counts[index]), float(sums_e[index]), float(sums_p[index]), dimensions
        )
        for index, number in enumerate(numbers)
    )
    dimension_rows = _dimension_gaps(items, dimensions)
    gaps = [d.gap for d in dimension_rows]
    unweighted = None if any(g is None for g in gaps) else mean_or_none(gaps)
    weighted = None
    if weights is not None:
        weighted = weighted_score({d.dimension: d.gap for d in dimension_rows}, weights)
    return ServqualScores(
        items=items,
        dimensions=dimension_rows,
        unweighted=unweighted,
        weighted=weighted,
        weights=None if weights is None else dict(weights),
    )


def servqual(
    expectations: npt.ArrayLike,
    perceptions: npt.ArrayLike,
    weights: Mapping[str, float] | None = None,
    dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS,
) -> ServqualScores:
    """SERVQUAL scores from raw answers (respondents × items, ``NaN`` = missing).

    .. math:: G_i = \\bar P_i - \\bar E_i

    with both means over the respondents who answered E and P of item *i*;
    see :func:`servqual_from_sums` for the rest.

    Parameters
    ----------
    expectations, perceptions
        Respondents × items arrays on the 1–7 scale, columns in item order.
    weights
        Dimension weights (see :func:`normalise_weights`), or ``None``.
    dimensions
        Dimension → item numbers; defaults to the 22-item SERVQUAL.

    Returns
    -------
    ServqualScores

    References
    ----------
    Parasuraman, Zeithaml & Berry (1988), *Journal of Retailing* 64(1), 12–40.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.full((2, 22), 6.0); p = np.full((2, 22), 5.0); p[0, 0] = np.nan
    >>> s = servqual(e, p)
    >>> s.items[0].n, s.items[0].gap, s.items[1].gap
    (1, -1.0, -1.0)
    """
    k = len(_item_numbers(dimensions))
    e = as_float_matrix(expectations, "expectations", k)
    p = as_float_matrix(perceptions, "perceptions", k)
    if e.shape != p.shape:
        raise ValueError(f"expectations {e.shape} and perceptions {p.shape} differ in shape")
    both = np.isfinite(e) & np.isfinite(p)
    counts = both.sum(axis=0)
    sums_e = np.where(both, e, 0.0).sum(axis=0)
    sums_p = np.where(both, p, 0.0).sum(axis=0)
    return servqual_from_sums(counts, sums_e, sums_p, weights, dimensions)


def servperf_from_sums(
    n: npt.ArrayLike,
    sum_perception: npt.ArrayLike,
    dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS,
) -> ServperfScores:
    """SERVPERF: perception-only scores from per-item counts and sums.

    .. math:: \\bar P_i = \\frac{1}{n_i} \\sum P_i, \\qquad
              \\bar P_d = \\operatorname{mean}_{i \\in d} \\bar P_i, \\qquad
              SP = \\operatorname{mean}_d \\bar P_d

    Parameters
    ----------
    n
        Per item, the number of respondents who answered its perception.
    sum_perception
        Per item, the sum of those perceptions.
    dimensions
        Dimension → item numbers; defaults to the 22-item SERVQUAL.

    Returns
    -------
    ServperfScores

    References
    ----------
    Cronin, J. J. & Taylor, S. A. (1992). Measuring service quality: a
    reexamination and extension. *Journal of Marketing* 56(3), 55–68.
    doi:10.1177/002224299205600304

    Examples
    --------
    >>> servperf_from_sums([2] * 22, [9.0] * 22).overall
    4.5
    """
    numbers = _item_numbers(dimensions)
    counts = as_float_vector(n, "n", len(numbers))
    sums = as_float_vector(sum_perception, "sum_perception", len(numbers))
    items = {
        number: ratio_or_none(float(sums[i]), float(counts[i])) for i, number in enumerate(numbers)
    }
    dims = {d: mean_or_none(items[i] for i in members) for d, members in dimensions.items()}
    overall = None if any(v is None for v in dims.values()) else mean_or_none(dims.values())
    return ServperfScores(items=items, dimensions=dims, overall=overall)
