"""Customer satisfaction index (CSI, 0–100), CSAT and NPS shares with their intervals, CES."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import as_float_vector, ratio_or_none
from touchpoint.quality.significance import t_interval

__all__ = [
    "Z95",
    "CesScore",
    "CsatScore",
    "CsiItem",
    "CsiResult",
    "NpsScore",
    "ces_from_counts",
    "csat",
    "csat_from_counts",
    "csi",
    "csi_from_sums",
    "normalise_item_weights",
    "nps",
    "nps_from_counts",
    "nps_interval",
    "wilson_interval",
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


#: The normal quantile of a two-sided 95 % interval, as the formulas below state it
#: (fixed, so that every tool reproduces the same digits).
Z95 = 1.959964


@dataclass(frozen=True)
class NpsScore:
    """Net Promoter Score with its counts and adjusted-Wald interval (−100..100)."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci95: tuple[float, float] | None


def nps_interval(promoters: int, detractors: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Adjusted-Wald interval of the NPS (on −100..100).

    .. math::

        n' = n + 3, \\quad p' = \\frac{P + 0.75}{n'}, \\quad d' = \\frac{D + 0.75}{n'},
        \\qquad 100 \\left[(p' - d') \\pm z \\sqrt{\\frac{p' + d' - (p' - d')^2}{n'}}\\right]

    Not clipped to −100..100.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score".
    *The American Statistician* 70(4), 365–372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> [round(v, 3) for v in nps_interval(15, 5, 30)]
    [4.778, 55.828]
    """
    if n < 0 or promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"counts must satisfy 0 <= P + D <= n, got P={promoters}, D={detractors}")
    adjusted = n + 3.0
    p = (promoters + 0.75) / adjusted
    d = (detractors + 0.75) / adjusted
    half = z * math.sqrt((p + d - (p - d) ** 2) / adjusted)
    return (100.0 * (p - d - half), 100.0 * (p - d + half))


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsScore:
    """NPS from the counts of 9–10, 7–8 and 0–6 answers, with :func:`nps_interval`.

    .. math:: NPS = 100 \\cdot \\frac{P - D}{n}, \\qquad n = P + \\text{passives} + D

    ``nps`` and ``ci95`` are ``None`` without answers.

    References
    ----------
    Reichheld (2003), *Harvard Business Review* 81(12), 46–54; Rocks (2016),
    *The American Statistician* 70(4), 365–372.

    Examples
    --------
    >>> s = nps_from_counts(15, 10, 5)
    >>> round(s.nps, 4), [round(v, 3) for v in s.ci95]
    (33.3333, [4.778, 55.828])
    """
    n = promoters + passives + detractors
    if n == 0:
        return NpsScore(0, 0, 0, 0, None, None)
    score = 100.0 * (promoters - detractors) / n
    interval = nps_interval(promoters, detractors, n)
    return NpsScore(n, promoters, passives, detractors, score, interval)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (no continuity correction).

    .. math::

        \\frac{\\hat p + \\frac{z^2}{2n} \\pm
        z \\sqrt{\\frac{\\hat p (1 - \\hat p)}{n} + \\frac{z^2}{4 n^2}}}{1 + \\frac{z^2}{n}}

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22(158), 209–212. doi:10.1080/01621459.1927.10502953
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. *Statistics in Medicine* 17(8),
    857–872 (method 3). doi:10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    share = successes / n
    z2 = z * z
    centre = share + z2 / (2 * n)
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    scale = 1 + z2 / n
    low, high = (centre - half) / scale, (centre + half) / scale
    # The formula gives exactly 0 at no successes and 1 at all, which float
    # arithmetic misses by an ulp; these are the exact ends, not a clip.
    return (0.0 if successes == 0 else low, 1.0 if successes == n else high)


@dataclass(frozen=True)
class CsatScore:
    """CSAT: the share of answers in the top two points, its Wilson interval, the mean."""

    n: int
    satisfied: int
    csat: float | None
    mean: float | None
    ci95: tuple[float, float] | None


def csat_from_counts(counts: Mapping[float, int], maximum: float) -> CsatScore:
    """CSAT from the count of each answer on a scale whose top point is ``maximum``.

    .. math::

        CSAT = \\frac{\\#\\{x \\ge \\max - 1\\}}{n}, \\qquad
        \\bar x = \\frac{1}{n} \\sum_v v \\, n_v

    with :func:`wilson_interval` for the share; ``None`` values without answers.

    References
    ----------
    Farris, P. W. et al. (2010). *Marketing Metrics*, 2nd ed. Pearson, ch. 2;
    Wilson (1927), *JASA* 22(158), 209–212.

    Examples
    --------
    >>> s = csat_from_counts({5: 3, 4: 1, 2: 1}, 5)
    >>> s.satisfied, s.csat, s.mean
    (4, 0.8, 4.2)
    """
    n = int(sum(counts.values()))
    if n == 0:
        return CsatScore(0, 0, None, None, None)
    satisfied = int(sum(c for v, c in counts.items() if v >= maximum - 1))
    mean = float(sum(v * c for v, c in counts.items())) / n
    return CsatScore(n, satisfied, satisfied / n, mean, wilson_interval(satisfied, n))


@dataclass(frozen=True)
class CesScore:
    """Customer effort score: mean, sd (n − 1), t interval of the mean, share "easy"."""

    n: int
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None
    easy: float | None


def ces_from_counts(counts: Mapping[float, int], maximum: float) -> CesScore:
    """CES from the count of each answer on a scale whose top point (least effort) is ``maximum``.

    .. math::

        \\bar x \\pm t_{0.975,\\,n-1} \\frac{s}{\\sqrt n}, \\qquad
        s^2 = \\frac{\\sum_v n_v (v - \\bar x)^2}{n - 1}, \\qquad
        \\text{easy} = \\frac{\\#\\{x \\ge \\max - 2\\}}{n}

    ``sd`` and ``ci95`` need two answers; everything is ``None`` without answers.

    References
    ----------
    Dixon, M., Freeman, K. & Toman, N. (2010). Stop trying to delight your
    customers. *Harvard Business Review* 88(7/8), 116–122.
    Student (1908). The probable error of a mean. *Biometrika* 6(1), 1–25.
    doi:10.1093/biomet/6.1.1

    Examples
    --------
    >>> s = ces_from_counts({7: 2, 5: 1, 3: 1}, 7)
    >>> s.mean, round(s.sd, 4), s.easy
    (5.5, 1.9149, 0.75)
    """
    n = int(sum(counts.values()))
    if n == 0:
        return CesScore(0, None, None, None, None)
    mean = float(sum(v * c for v, c in counts.items())) / n
    easy = float(sum(c for v, c in counts.items() if v >= maximum - 2)) / n
    if n < 2:
        return CesScore(n, mean, None, None, easy)
    squares = float(sum(c * (v - mean) ** 2 for v, c in counts.items()))
    sd = math.sqrt(squares / (n - 1))
    return CesScore(n, mean, sd, t_interval(mean, sd, n), easy)
