"""Zone of tolerance: perceived service against adequate and desired service levels.

PZB (1994) ask three columns per item: the adequate (minimum) level, the desired
level and the perceived level. The measure of service adequacy is
``MSA = P − adequate`` and of service superiority ``MSS = P − desired``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import (
    FloatArray,
    as_float_matrix,
    as_float_vector,
    mean_or_none,
    members_by_dimension,
    ratio_or_none,
)
from touchpoint.quality.servqual import SERVQUAL_ITEMS, dimension_of_item

__all__ = [
    "ZoneDimension",
    "ZoneItem",
    "ZoneOfTolerance",
    "ZonePosition",
    "zone_from_sums",
    "zone_of_tolerance",
    "zone_position",
]


class ZonePosition(StrEnum):
    """Where a perception falls relative to the zone of tolerance."""

    BELOW = "below"  # dissatisfied: P < adequate
    WITHIN = "within"  # satisfied: adequate ≤ P ≤ desired
    ABOVE = "above"  # delighted: P > desired


def zone_position(adequate: float, desired: float, perceived: float) -> ZonePosition:
    """Classify one answer triple.

    .. math::

        \\text{below} \\iff P < A, \\quad
        \\text{within} \\iff A \\le P \\le D, \\quad
        \\text{above} \\iff P > D \\text{ and } P \\ge A

    Below takes precedence, so a respondent whose adequate level exceeds the
    desired one (an inconsistent answer) still lands in exactly one position.

    References
    ----------
    Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1994). Alternative scales
    for measuring service quality. *Journal of Retailing* 70(3), 201–230.
    doi:10.1016/0022-4359(94)90033-7

    Examples
    --------
    >>> zone_position(4, 6, 7).value
    'above'
    """
    if perceived < adequate:
        return ZonePosition.BELOW
    if perceived <= desired:
        return ZonePosition.WITHIN
    return ZonePosition.ABOVE


@dataclass(frozen=True)
class ZoneItem:
    """One item's zone of tolerance over respondents with all three answers."""

    item: int
    dimension: str
    n: int
    adequate: float | None
    desired: float | None
    perception: float | None
    msa: float | None
    mss: float | None
    share_below: float | None
    share_within: float | None
    share_above: float | None


@dataclass(frozen=True)
class ZoneDimension:
    """A dimension's values: the means of its items' values."""

    dimension: str
    adequate: float | None
    desired: float | None
    perception: float | None
    msa: float | None
    mss: float | None
    share_below: float | None
    share_within: float | None
    share_above: float | None


@dataclass(frozen=True)
class ZoneOfTolerance:
    """Items and dimensions of a zone-of-tolerance analysis."""

    items: tuple[ZoneItem, ...]
    dimensions: tuple[ZoneDimension, ...]


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


@dataclass(frozen=True)
class _ZoneSums:
    """Per item (in item order), the three answer sums and the three position counts
    over the respondents with a complete answer triple: what :func:`zone_from_sums`
    divides by each item's count."""

    adequate: FloatArray
    desired: FloatArray
    perception: FloatArray
    below: FloatArray
    within: FloatArray
    above: FloatArray


def _item_zone(
    number: int,
    index: int,
    count: float,
    sums: _ZoneSums,
    dimensions: Mapping[str, Sequence[int]],
) -> ZoneItem:
    """One item's zone from its ``count`` of complete triples and its entry ``index`` of
    ``sums``: the three mean levels, MSA and MSS between them and the shares below,
    within and above (all ``None`` when no respondent gave the item a complete triple)."""
    adequate = ratio_or_none(float(sums.adequate[index]), count)
    desired = ratio_or_none(float(sums.desired[index]), count)
    perception = ratio_or_none(float(sums.perception[index]), count)
    return ZoneItem(
        item=number,
        dimension=dimension_of_item(number, dimensions),
        n=int(count),
        adequate=adequate,
        desired=desired,
        perception=perception,
        msa=_difference(perception, adequate),
        mss=_difference(perception, desired),
        share_below=ratio_or_none(float(sums.below[index]), count),
        share_within=ratio_or_none(float(sums.within[index]), count),
        share_above=ratio_or_none(float(sums.above[index]), count),
    )


def _dimension_zones(
    items: Sequence[ZoneItem], dimensions: Mapping[str, Sequence[int]]
) -> tuple[ZoneDimension, ...]:
    """Each dimension's values as the plain means of its items' values, so that every
    item counts once however many respondents answered it, in ``dimensions`` order; an
    item without a complete triple is left out of its dimension's means."""
    return tuple(
        ZoneDimension(
            dimension=dimension,
            adequate=mean_or_none(m.adequate for m in members),
            desired=mean_or_none(m.desired for m in members),
            perception=mean_or_none(m.perception for m in members),
            msa=mean_or_none(m.msa for m in members),
            mss=mean_or_none(m.mss for m in members),
            share_below=mean_or_none(m.share_below for m in members),
            share_within=mean_or_none(m.share_within for m in members),
            share_above=mean_or_none(m.share_above for m in members),
        )
        for dimension, members in members_by_dimension(items, dimensions)
    )


def zone_from_sums(
    n: npt.ArrayLike,
    sum_adequate: npt.ArrayLike,
    sum_desired: npt.ArrayLike,
    sum_perception: npt.ArrayLike,
    n_below: npt.ArrayLike,
    n_within: npt.ArrayLike,
    n_above: npt.ArrayLike,
    dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS,
) -> ZoneOfTolerance:
    """Zone of tolerance from per-item counts and sums over complete answer triples.

    .. math::

        MSA_i = \\bar P_i - \\bar A_i, \\qquad MSS_i = \\bar P_i - \\bar D_i, \\qquad
        \\text{share}_{i,\\text{below}} = \\frac{\\#\\{P < A\\}}{n_i}

    (and likewise *within* and *above*, see :func:`zone_position`). A dimension's
    values are the means of its items' values.

    Parameters
    ----------
    n
        Per item, respondents with adequate, desired and perceived answers.
    sum_adequate, sum_desired, sum_perception
        Per item, the sums of the three answers over those respondents.
    n_below, n_within, n_above
        Per item, how many of them fall below, within and above the zone.
    dimensions
        Dimension → item numbers; defaults to the 22-item SERVQUAL.

    Returns
    -------
    ZoneOfTolerance

    References
    ----------
    Parasuraman, Zeithaml & Berry (1994), *Journal of Retailing* 70(3), 201–230.
    doi:10.1016/0022-4359(94)90033-7

    Examples
    --------
    >>> z = zone_from_sums([4] * 22, [16.0] * 22, [24.0] * 22, [22.0] * 22,
    ...                    [1] * 22, [2] * 22, [1] * 22)
    >>> z.items[0].msa, z.items[0].mss, z.dimensions[0].share_within
    (1.5, -0.5, 0.5)
    """
    numbers = sorted(i for members in dimensions.values() for i in members)
    k = len(numbers)
    counts = as_float_vector(n, "n", k)
    sums = _ZoneSums(
        adequate=as_float_vector(sum_adequate, "sum_adequate", k),
        desired=as_float_vector(sum_desired, "sum_desired", k),
        perception=as_float_vector(sum_perception, "sum_perception", k),
        below=as_float_vector(n_below, "n_below", k),
        within=as_float_vector(n_within, "n_within", k),
        above=as_float_vector(n_above, "n_above", k),
    )
    if np.any(counts < 0):
        raise ValueError("item counts must be non-negative")
    items = tuple(
        _item_zone(number, index, float(counts[index]), sums, dimensions)
        for index, number in enumerate(numbers)
    )
    return ZoneOfTolerance(items=items, dimensions=_dimension_zones(items, dimensions))


def zone_of_tolerance(
    adequate: npt.ArrayLike,
    desired: npt.ArrayLike,
    perceived: npt.ArrayLike,
    dimensions: Mapping[str, Sequence[int]] = SERVQUAL_ITEMS,
) -> ZoneOfTolerance:
    """Zone of tolerance from raw answers (respondents × items, ``NaN`` = missing).

    .. math:: MSA_i = \\bar P_i - \\bar A_i, \\qquad MSS_i = \\bar P_i - \\bar D_i

    over respondents with all three answers to item *i*; see :func:`zone_from_sums`.

    Parameters
    ----------
    adequate, desired, perceived
        Respondents × items arrays, columns in item order.
    dimensions
        Dimension → item numbers; defaults to the 22-item SERVQUAL.

    Returns
    -------
    ZoneOfTolerance

    References
    ----------
    Parasuraman, Zeithaml & Berry (1994), *Journal of Retailing* 70(3), 201–230.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.full((1, 22), 4.0); d = np.full((1, 22), 6.0); p = np.full((1, 22), 3.0)
    >>> zone_of_tolerance(a, d, p).items[0].share_below
    1.0
    """
    k = sum(len(m) for m in dimensions.values())
    a = as_float_matrix(adequate, "adequate", k)
    d = as_float_matrix(desired, "desired", k)
    p = as_float_matrix(perceived, "perceived", k)
    if not a.shape == d.shape == p.shape:
        raise ValueError("adequate, desired and perceived must have the same shape")
    complete = np.isfinite(a) & np.isfinite(d) & np.isfinite(p)
    below = complete & (p < a)
    within = complete & ~below & (p <= d)
    above = complete & ~below & ~within
    return zone_from_sums(
        complete.sum(axis=0),
        np.where(complete, a, 0.0).sum(axis=0),
        np.where(complete, d, 0.0).sum(axis=0),
        np.where(complete, p, 0.0).sum(axis=0),
        below.sum(axis=0),
        within.sum(axis=0),
        above.sum(axis=0),
        dimensions,
    )
