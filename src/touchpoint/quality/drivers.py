"""Driver analysis: which items move overall satisfaction, and where to act.

Standardised OLS betas and Johnson's relative weights both follow from the
correlation matrix, which itself follows from the count, sums and the
sum-of-products matrix; importance–performance analysis (IPA) then places each
item in one of four quadrants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import FloatArray, as_float_matrix, as_float_vector
from touchpoint.quality.reliability import covariance_from_sscp

__all__ = [
    "DriverAnalysis",
    "DriverItem",
    "DriverReport",
    "IpaQuadrant",
    "correlation_from_sscp",
    "driver_analysis",
    "driver_analysis_from_sscp",
    "driver_report_from_sscp",
    "ipa_quadrants",
    "relative_weights",
]


@dataclass(frozen=True)
class DriverAnalysis:
    """Standardised betas, R² and Johnson's relative weights of the predictors.

    ``relative_weights`` sum to ``r_squared``; ``rescaled_weights`` sum to 1.
    """

    predictors: tuple[str, ...]
    n: int
    betas: tuple[float, ...]
    r_squared: float
    relative_weights: tuple[float, ...]
    rescaled_weights: tuple[float, ...]


class IpaQuadrant(StrEnum):
    """Martilla & James's four importance–performance quadrants."""

    CONCENTRATE_HERE = "concentrate_here"  # important, performing poorly
    KEEP_UP_THE_GOOD_WORK = "keep_up_the_good_work"  # important, performing well
    LOW_PRIORITY = "low_priority"  # unimportant, performing poorly
    POSSIBLE_OVERKILL = "possible_overkill"  # unimportant, performing well


def correlation_from_sscp(n: int, sums: npt.ArrayLike, sscp: npt.ArrayLike) -> FloatArray:
    """Pearson correlation matrix from count, sums and sum-of-products matrix.

    .. math:: R_{ij} = \\frac{C_{ij}}{\\sqrt{C_{ii} C_{jj}}}

    with *C* from :func:`~touchpoint.quality.reliability.covariance_from_sscp`.

    References
    ----------
    Johnson & Wichern (2007), *Applied Multivariate Statistical Analysis*, §3.5.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 7.0]])
    >>> round(float(correlation_from_sscp(3, x.sum(0), x.T @ x)[0, 1]), 6)
    0.993399
    """
    cov = covariance_from_sscp(n, sums, sscp)
    sd = np.sqrt(np.diag(cov))
    if np.any(sd <= 0):
        zero = [str(i + 1) for i in np.flatnonzero(sd <= 0)]
        raise ValueError(f"variables without variance: column(s) {', '.join(zero)}")
    return np.asarray(cov / np.outer(sd, sd), dtype=np.float64)


def relative_weights(corr_xx: npt.ArrayLike, corr_xy: npt.ArrayLike) -> FloatArray:
    """Johnson's relative weights of correlated predictors.

    With :math:`R_{xx} = Q \\Lambda Q^\\top` and
    :math:`L = Q \\Lambda^{1/2} Q^\\top` (the symmetric square root),

    .. math::

        \\beta^{*} = L^{-1} r_{xy}, \\qquad
        \\varepsilon_j = \\sum_k L_{jk}^2 \\, \\beta^{*2}_k,
        \\qquad \\sum_j \\varepsilon_j = R^2

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight
    of predictor variables in multiple regression. *Multivariate Behavioral
    Research* 35(1), 1–19. doi:10.1207/S15327906MBR3501_1

    Examples
    --------
    >>> [round(float(v), 4) for v in relative_weights([[1, 0], [0, 1]], [0.5, 0.3])]
    [0.25, 0.09]
    """
    rxx = np.asarray(corr_xx, dtype=np.float64)
    rxy = as_float_vector(corr_xy, "corr_xy", rxx.shape[0])
    eigenvalues, q = np.linalg.eigh(rxx)
    if np.any(eigenvalues <= 1e-12):
        raise ValueError("predictors are perfectly collinear")
    root = q @ np.diag(np.sqrt(eigenvalues)) @ q.T
    beta_orth = np.linalg.solve(root, rxy)
    return np.asarray((root**2) @ (beta_orth**2), dtype=np.float64)


def driver_analysis_from_sscp(
    predictors: Sequence[str], n: int, sums: npt.ArrayLike, sscp: npt.ArrayLike
) -> DriverAnalysis:
    """Driver analysis from sufficient statistics; the outcome is the last variable.

    .. math::

        \\beta = R_{xx}^{-1} r_{xy}, \\qquad R^2 = r_{xy}^\\top \\beta

    plus :func:`relative_weights`.

    Parameters
    ----------
    predictors
        Names of the p predictors (the first p variables).
    n
        Complete respondents.
    sums, sscp
        Sums and sum-of-products matrix of the p predictors followed by the outcome.

    Returns
    -------
    DriverAnalysis

    References
    ----------
    Johnson (2000), *Multivariate Behavioral Research* 35(1), 1–19.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); x = rng.normal(size=(50, 2))
    >>> y = x @ [1.0, 0.5] + rng.normal(size=50)
    >>> d = np.column_stack([x, y])
    >>> r = driver_analysis_from_sscp(["a", "b"], 50, d.sum(0), d.T @ d)
    >>> abs(sum(r.relative_weights) - r.r_squared) < 1e-12
    True
    """
    p = len(predictors)
    if p == 0:
        raise ValueError("need at least one predictor")
    if n <= p + 1:
        raise ValueError(f"need more than {p + 1} complete respondents, got {n}")
    corr = correlation_from_sscp(n, sums, sscp)
    if corr.shape != (p + 1, p + 1):
        raise ValueError(f"expected {p} predictors plus the outcome, got {corr.shape[0]} variables")
    rxx, rxy = corr[:p, :p], corr[:p, p]
    try:
        betas = np.linalg.solve(rxx, rxy)
    except np.linalg.LinAlgError:
        raise ValueError("predictors are perfectly collinear") from None
    r_squared = float(rxy @ betas)
    raw = relative_weights(rxx, rxy)
    total = float(raw.sum())
    rescaled = raw / total if total > 0 else np.zeros(p)
    return DriverAnalysis(
        predictors=tuple(predictors),
        n=n,
        betas=tuple(float(b) for b in betas),
        r_squared=r_squared,
        relative_weights=tuple(float(w) for w in raw),
        rescaled_weights=tuple(float(w) for w in rescaled),
    )


def driver_analysis(
    predictors: npt.ArrayLike, outcome: npt.ArrayLike, names: Sequence[str] | None = None
) -> DriverAnalysis:
    """Driver analysis on raw data; rows with any ``NaN`` are dropped.

    .. math:: \\beta = R_{xx}^{-1} r_{xy}

    References
    ----------
    Johnson (2000), *Multivariate Behavioral Research* 35(1), 1–19.

    Examples
    --------
    >>> r = driver_analysis([[1, 0], [2, 1], [3, 1], [4, 3], [5, 2]], [1, 2, 2, 5, 4])
    >>> r.predictors, round(r.r_squared, 4)
    (('x1', 'x2'), 0.9815)
    """
    x = as_float_matrix(predictors, "predictors")
    y = as_float_vector(outcome, "outcome", x.shape[0])
    labels = tuple(f"x{i + 1}" for i in range(x.shape[1])) if names is None else tuple(names)
    data = np.column_stack([x, y])
    data = data[np.isfinite(data).all(axis=1)]
    return driver_analysis_from_sscp(labels, data.shape[0], data.sum(axis=0), data.T @ data)


def ipa_quadrants(
    importance: npt.ArrayLike,
    performance: npt.ArrayLike,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> tuple[IpaQuadrant, ...]:
    """Place each item in an importance–performance quadrant.

    .. math::

        \\text{high importance} \\iff I_i \\ge c_I, \\qquad
        \\text{high performance} \\iff P_i \\ge c_P

    with the cut points defaulting to the means over the items.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance–performance analysis.
    *Journal of Marketing* 41(1), 77–79. doi:10.1177/002224297704100112

    Examples
    --------
    >>> [q.value for q in ipa_quadrants([0.5, 0.1], [3.0, 6.0])]
    ['concentrate_here', 'possible_overkill']
    """
    imp = as_float_vector(importance, "importance")
    perf = as_float_vector(performance, "performance", imp.shape[0])
    if imp.size == 0:
        return ()
    ci = float(imp.mean()) if importance_cut is None else importance_cut
    cp = float(perf.mean()) if performance_cut is None else performance_cut
    out: list[IpaQuadrant] = []
    for i_value, p_value in zip(imp, perf, strict=True):
        high_i, high_p = i_value >= ci, p_value >= cp
        if high_i:
            out.append(
                IpaQuadrant.KEEP_UP_THE_GOOD_WORK if high_p else IpaQuadrant.CONCENTRATE_HERE
            )
        else:
            out.append(IpaQuadrant.POSSIBLE_OVERKILL if high_p else IpaQuadrant.LOW_PRIORITY)
    return tuple(out)


@dataclass(frozen=True)
class DriverItem:
    """One item's performance (mean), importance (weights) and IPA quadrant.

    ``rescaled_weight`` is on 0–100 (the items' weights sum to 100).
    """

    item: str
    mean: float
    beta: float
    relative_weight: float
    rescaled_weight: float | None
    quadrant: IpaQuadrant | None


@dataclass(frozen=True)
class DriverReport:
    """Driver analysis with importance–performance quadrants, items in the given order."""

    n: int
    r_squared: float
    items: tuple[DriverItem, ...]


def driver_report_from_sscp(
    predictors: Sequence[str], n: int, sums: npt.ArrayLike, sscp: npt.ArrayLike
) -> DriverReport:
    """Relative weights rescaled to 100 and IPA quadrants, from sufficient statistics.

    .. math::

        w_j = 100 \\, \\frac{\\varepsilon_j}{R^2}, \\qquad
        \\bar x_j = \\frac{1}{n} \\sum x_j

    and :func:`ipa_quadrants` with importance :math:`w_j`, performance
    :math:`\\bar x_j`, both cut at their mean over the items (a value at the cut
    is high). With :math:`R^2 = 0` no weight can be rescaled: ``rescaled_weight``
    and ``quadrant`` are ``None``.

    Parameters
    ----------
    predictors
        Names of the p items (the first p variables).
    n
        Respondents who answered the outcome and every item.
    sums, sscp
        Sums and sum-of-products matrix of the p items followed by the outcome.

    References
    ----------
    Johnson (2000), *Multivariate Behavioral Research* 35(1), 1–19;
    Martilla & James (1977), *Journal of Marketing* 41(1), 77–79.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([[1, 0, 1], [2, 1, 2], [3, 1, 2], [4, 3, 5], [5, 2, 4]], float)
    >>> r = driver_report_from_sscp(["a", "b"], 5, d.sum(0), d.T @ d)
    >>> round(sum(i.rescaled_weight for i in r.items), 9), r.items[0].mean
    (100.0, 3.0)
    """
    analysis = driver_analysis_from_sscp(predictors, n, sums, sscp)
    means = as_float_vector(sums, "sums")[: len(predictors)] / n
    r2 = analysis.r_squared
    rescaled: list[float] | None = None
    quadrants: tuple[IpaQuadrant | None, ...] = (None,) * len(predictors)
    if r2 > 0:
        rescaled = [100.0 * w / r2 for w in analysis.relative_weights]
        # Cuts as the contract states them: the sum over the items over their number.
        quadrants = ipa_quadrants(
            rescaled,
            means,
            importance_cut=sum(rescaled) / len(rescaled),
            performance_cut=sum(float(m) for m in means) / len(means),
        )
    items = tuple(
        DriverItem(
            item=name,
            mean=float(means[j]),
            beta=analysis.betas[j],
            relative_weight=analysis.relative_weights[j],
            rescaled_weight=None if rescaled is None else rescaled[j],
            quadrant=quadrants[j],
        )
        for j, name in enumerate(analysis.predictors)
    )
    return DriverReport(n=n, r_squared=r2, items=items)
