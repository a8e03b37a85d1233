"""Customer satisfaction index (CSI, 0–100) and the simple CSAT / NPS shares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import as_float_vector, ratio_or_none

__all__ = [
    "CsiItem",
    "CsiResult",
    "csat",
    "csi",
    "csi_from_sums",
    "normalise_item_weights",
    "nps",
]


@dataclass(frozen=True)
class CsiItem:
    """One satisfaction indicator: its mean, its 0–100 score and its weight."""

    item: str
    n: int
    mean: float | None
    score: float | None
    weight: float


@dataclass(frozen=True)
class CsiResult:
    """The index and its indicators."""

    csi: float | None
    items: tuple[CsiItem, ...]


def normalise_item_weights(weights: Sequence[float] | None, k: int) -> tuple[float, ...]:
    """Weights normalised to sum 1; equal weights when ``None``.

    .. math:: w_i = v_i / \\sum_j v_j

    Examples
    --------
    >>> normalise_item_weights([1, 3], 2)
    (0.25, 0.75)
    >>> normalise_item_weights(None, 4)
    (0.25, 0.25, 0.25, 0.25)
    """
    if k <= 0:
        raise ValueError("need at least one item")
    if weights is None:
        return tuple(1.0 / k for _ in range(k))
    if len(weights) != k:
        raise ValueError(f"{len(weights)} weights given for {k} items")
    values = [float(w) for w in weights]
    if any(not math.isfinite(w) or w < 0 for w in values):
        raise ValueError("weights must be non-negative numbers")
    total = sum(values)
    if total <= 0:
        raise ValueError("weights must not all be zero")
    return tuple(w / total for w in values)


def _check_scale(minimum: float, maximum: float) -> None:
    if not (math.isfinite(minimum) and math.isfinite(maximum)) or maximum <= minimum:
        raise ValueError(f"scale maximum must exceed minimum, got {minimum}–{maximum}")


def csi(
    means: npt.ArrayLike, minimum: float, maximum: float, weights: Sequence[float] | None = None
) -> float:
    """Customer satisfaction index on 0–100 from indicator means.

    .. math:: CSI = \\sum_i w_i \\, \\frac{\\bar x_i - \\min}{\\max - \\min} \\cdot 100

    with weights normalised to sum 1 (equal when not given).

    Parameters
    ----------
    means
        Mean answer of each satisfaction indicator.
    minimum, maximum
        The answer scale.
    weights
        Non-negative indicator weights, or ``None`` for equal weights.

    Returns
    -------
    float

    References
    ----------
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J. & Bryant, B. E. (1996).
    The American Customer Satisfaction Index. *Journal of Marketing* 60(4), 7–18.
    doi:10.1177/002224299606000403

    Examples
    --------
    >>> csi([4.0, 3.0], 1, 5, [1, 1])
    62.5
    """
    values = as_float_vector(means, "means")
    _check_scale(minimum, maximum)
    w = normalise_item_weights(weights, values.shape[0])
    scores = (values - minimum) / (maximum - minimum) * 100.0
    return float(np.dot(w, scores))


def csi_from_sums(
    names: Sequence[str],
    n: npt.ArrayLike,
    sums: npt.ArrayLike,
    minimum: float,
    maximum: float,
    weights: Sequence[float] | None = None,
) -> CsiResult:
    """CSI from per-indicator answer counts and sums.

    .. math:: \\bar x_i = \\frac{1}{n_i} \\sum x_i, \\qquad
              CSI = \\sum_i w_i \\frac{\\bar x_i - \\min}{\\max - \\min} \\cdot 100

    ``csi`` is ``None`` when an indicator has no answer.

    References
    ----------
    Fornell et al. (1996), *Journal of Marketing* 60(4), 7–18.

    Examples
    --------
    >>> csi_from_sums(["C1", "C2"], [2, 2], [8.0, 6.0], 1, 5).csi
    62.5
    """
    k = len(names)
    counts = as_float_vector(n, "n", k)
    totals = as_float_vector(sums, "sums", k)
    _check_scale(minimum, maximum)
    w = normalise_item_weights(weights, k)
    items: list[CsiItem] = []
    for index, name in enumerate(names):
        mean = ratio_or_none(float(totals[index]), float(counts[index]))
        score = None if mean is None else (mean - minimum) / (maximum - minimum) * 100.0
        items.append(CsiItem(name, int(counts[index]), mean, score, w[index]))
    index_value: float | None = None
    if all(item.score is not None for item in items):
        index_value = float(sum(item.weight * (item.score or 0.0) for item in items))
    return CsiResult(csi=index_value, items=tuple(items))


def csat(scores: npt.ArrayLike, satisfied: Sequence[float] = (4, 5)) -> float | None:
    """CSAT: share of answers in the satisfied boxes (4–5 on a 1–5 scale).

    .. math:: CSAT = \\frac{\\#\\{x \\in \\text{satisfied}\\}}{\\#\\{x\\}}

    ``NaN`` answers are ignored; ``None`` without answers.

    References
    ----------
    Farris, P. W. et al. (2010). *Marketing Metrics*, 2nd ed. Pearson, ch. 2.

    Examples
    --------
    >>> csat([5, 4, 3, 1])
    0.5
    """
    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    return ratio_or_none(float(np.isin(values, satisfied).sum()), float(values.size))


def nps(scores: npt.ArrayLike) -> float | None:
    """Net Promoter Score on −100..100 from 0–10 answers.

    .. math:: NPS = 100 \\cdot \\frac{\\#\\{9, 10\\} - \\#\\{0..6\\}}{n}

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
    Review* 81(12), 46–54.

    Examples
    --------
    >>> nps([10, 9, 8, 3])
    25.0
    """
    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    if np.any((values < 0) | (values > 10)):
        raise ValueError("NPS answers must lie on 0–10")
    promoters = float((values >= 9).sum())
    detractors = float((values <= 6).sum())
    return 100.0 * (promoters - detractors) / values.size
