"""Internal-consistency reliability of a multi-item scale: Cronbach's alpha.

Alpha needs only the complete respondents' count, item sums and the
sum-of-products (SSCP) matrix, so an engine can reduce any number of rows first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import FloatArray, as_float_matrix, as_float_vector

__all__ = [
    "CronbachAlpha",
    "covariance_from_sscp",
    "cronbach_alpha",
    "cronbach_alpha_from_sscp",
]

# A total variance this small relative to the mean square is rounding noise: zero.
_RELATIVE_ZERO = 1e-12


@dataclass(frozen=True)
class CronbachAlpha:
    """Alpha of a scale and alpha with each item deleted in turn.

    ``alpha`` is ``None`` with fewer than 2 complete respondents, fewer than 2
    items, or zero variance of the total score.
    """

    alpha: float | None
    n: int
    k: int
    alpha_if_deleted: tuple[float | None, ...]


def covariance_from_sscp(n: int, sums: npt.ArrayLike, sscp: npt.ArrayLike) -> FloatArray:
    """Sample covariance matrix from count, sums and the raw sum-of-products matrix.

    .. math:: C = \\frac{1}{n-1}\\left(X^\\top X - \\frac{1}{n} s s^\\top\\right),
              \\qquad s = X^\\top \\mathbf 1

    Parameters
    ----------
    n
        Number of complete rows (at least 2).
    sums
        Column sums ``s`` (length k).
    sscp
        Raw sum-of-products matrix :math:`X^\\top X` (k × k).

    Returns
    -------
    numpy.ndarray
        The k × k covariance matrix (ddof = 1).

    References
    ----------
    Johnson, R. A. & Wichern, D. W. (2007). *Applied Multivariate Statistical
    Analysis*, 6th ed. Pearson, §3.5 (sample covariance from sums of products).

    Examples
    --------
    >>> covariance_from_sscp(3, [6.0], [[14.0]]).tolist()
    [[1.0]]
    """
    s = as_float_vector(sums, "sums")
    k = s.shape[0]
    matrix = np.asarray(sscp, dtype=np.float64)
    if matrix.shape != (k, k):
        raise ValueError(f"sscp must be {k}×{k}, got shape {matrix.shape}")
    if n < 2:
        raise ValueError(f"need at least 2 rows for a covariance, got {n}")
    centred = matrix - np.outer(s, s) / n
    return np.asarray(centred / (n - 1), dtype=np.float64)


def _alpha_from_covariance(cov: FloatArray, mean_square_total: float) -> float | None:
    k = cov.shape[0]
    if k < 2:
        return None
    total_variance = float(cov.sum())
    if total_variance <= _RELATIVE_ZERO * max(1.0, mean_square_total):
        return None
    item_variance = float(np.trace(cov))
    return float(k / (k - 1) * (1.0 - item_variance / total_variance))


def cronbach_alpha_from_sscp(n: int, sums: npt.ArrayLike, sscp: npt.ArrayLike) -> CronbachAlpha:
    """Cronbach's alpha (and alpha if item deleted) from sufficient statistics.

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_T}\\right),
        \\qquad \\sigma^2_T = \\sum_{i,j} C_{ij}

    where *C* is the item covariance matrix of the complete respondents
    (:func:`covariance_from_sscp`). Alpha if item *j* deleted applies the same
    formula to *C* without row and column *j*.

    Parameters
    ----------
    n
        Number of complete respondents (listwise deletion).
    sums
        Item sums over those respondents.
    sscp
        Raw sum-of-products matrix of the items over those respondents.

    Returns
    -------
    CronbachAlpha
        ``alpha`` is ``None`` when ``n < 2``, ``k < 2`` or the total variance is zero.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika* 16(3), 297–334. doi:10.1007/BF02310555

    Examples
    --------
    >>> x = [[1, 2], [2, 3], [4, 4]]
    >>> import numpy as np; a = np.array(x, float)
    >>> round(cronbach_alpha_from_sscp(3, a.sum(0), a.T @ a).alpha, 6)
    0.947368
    """
    s = as_float_vector(sums, "sums")
    k = s.shape[0]
    if n < 2 or k < 2:
        return CronbachAlpha(alpha=None, n=max(n, 0), k=k, alpha_if_deleted=(None,) * k)
    cov = covariance_from_sscp(n, s, sscp)
    matrix = np.asarray(sscp, dtype=np.float64)
    mean_square_total = float(matrix.sum()) / n
    alpha = _alpha_from_covariance(cov, mean_square_total)
    deleted: list[float | None] = []
    for j in range(k):
        keep = [i for i in range(k) if i != j]
        sub = cov[np.ix_(keep, keep)]
        deleted.append(_alpha_from_covariance(sub, float(matrix[np.ix_(keep, keep)].sum()) / n))
    return CronbachAlpha(alpha=alpha, n=n, k=k, alpha_if_deleted=tuple(deleted))


def cronbach_alpha(items: npt.ArrayLike) -> CronbachAlpha:
    """Cronbach's alpha of raw answers (respondents × items, ``NaN`` = missing).

    Respondents with any missing item are dropped (listwise deletion), then
    :func:`cronbach_alpha_from_sscp` applies:

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_T}\\right)

    Parameters
    ----------
    items
        Respondents × items array.

    Returns
    -------
    CronbachAlpha

    References
    ----------
    Cronbach (1951), *Psychometrika* 16(3), 297–334. doi:10.1007/BF02310555

    Examples
    --------
    >>> round(cronbach_alpha([[1, 2], [2, 3], [4, 4], [float("nan"), 1]]).alpha, 6)
    0.947368
    """
    data = as_float_matrix(items, "items")
    complete = data[np.isfinite(data).all(axis=1)]
    return cronbach_alpha_from_sscp(complete.shape[0], complete.sum(axis=0), complete.T @ complete)
