"""Kano model: classify a feature from paired functional / dysfunctional answers.

Answers run 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike. The sufficient
statistic of a feature is its 5×5 table of answer pairs (row = functional
answer, column = dysfunctional answer); everything else follows from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "CATEGORY_ORDER",
    "KANO_TABLE",
    "KanoCategory",
    "KanoResult",
    "better_worse",
    "fong_significant",
    "kano",
    "kano_category",
    "kano_from_counts",
    "kano_from_table",
    "table_counts",
]


class KanoCategory(StrEnum):
    """The six Kano categories (codes as in Berger et al. 1993)."""

    ATTRACTIVE = "A"
    ONE_DIMENSIONAL = "O"
    MUST_BE = "M"
    INDIFFERENT = "I"
    REVERSE = "R"
    QUESTIONABLE = "Q"


_A, _O, _M, _I, _R, _Q = (
    KanoCategory.ATTRACTIVE,
    KanoCategory.ONE_DIMENSIONAL,
    KanoCategory.MUST_BE,
    KanoCategory.INDIFFERENT,
    KanoCategory.REVERSE,
    KanoCategory.QUESTIONABLE,
)

#: Evaluation table: ``KANO_TABLE[functional - 1][dysfunctional - 1]``.
KANO_TABLE: tuple[tuple[KanoCategory, ...], ...] = (
    (_Q, _A, _A, _A, _O),
    (_R, _I, _I, _I, _M),
    (_R, _I, _I, _I, _M),
    (_R, _I, _I, _I, _M),
    (_R, _R, _R, _R, _Q),
)

#: Tie-break order (Berger et al. 1993: M > O > A > I), then R and Q.
CATEGORY_ORDER: tuple[KanoCategory, ...] = (_M, _O, _A, _I, _R, _Q)

#: Categories in report order.
_REPORT_ORDER: tuple[KanoCategory, ...] = (_A, _O, _M, _I, _R, _Q)

# One-sided 95 % normal quantile used by Fong's test.
_FONG_Z = 1.65


def kano_category(functional: int, dysfunctional: int) -> KanoCategory:
    """Category of one answer pair from the Kano evaluation table.

    Parameters
    ----------
    functional, dysfunctional
        Answers 1–5 to "if it has X" and "if it lacks X".

    Returns
    -------
    KanoCategory

    References
    ----------
    Berger, C. et al. (1993). Kano's methods for understanding customer-defined
    quality. *Center for Quality Management Journal* 2(4), 3–36 (table 1).

    Examples
    --------
    >>> kano_category(1, 5).value, kano_category(2, 5).value, kano_category(1, 3).value
    ('O', 'M', 'A')
    """
    for name, value in (("functional", functional), ("dysfunctional", dysfunctional)):
        if value not in (1, 2, 3, 4, 5):
            raise ValueError(f"{name} answer must be 1–5, got {value!r}")
    return KANO_TABLE[functional - 1][dysfunctional - 1]


def table_counts(table: npt.ArrayLike) -> dict[KanoCategory, int]:
    """Category counts from a 5×5 table of answer-pair counts.

    .. math:: n_c = \\sum_{f,d:\\ T(f,d) = c} N_{fd}

    Examples
    --------
    >>> t = [[0] * 5 for _ in range(5)]; t[0][4] = 3; t[1][4] = 2
    >>> table_counts(t)[KanoCategory.ONE_DIMENSIONAL]
    3
    """
    array = np.asarray(table)
    if array.shape != (5, 5):
        raise ValueError(f"a Kano table must be 5×5, got shape {array.shape}")
    if np.any(array < 0) or np.any(array != np.round(array)):
        raise ValueError("Kano table cells must be non-negative whole counts")
    counts = dict.fromkeys(_REPORT_ORDER, 0)
    for f in range(5):
        for d in range(5):
            counts[KANO_TABLE[f][d]] += int(array[f, d])
    return counts


def better_worse(
    attractive: int, one_dimensional: int, must_be: int, indifferent: int
) -> tuple[float | None, float | None]:
    """Berger's customer-satisfaction coefficients.

    .. math::

        \\text{Better} = \\frac{A + O}{A + O + M + I}, \\qquad
        \\text{Worse} = -\\frac{O + M}{A + O + M + I}

    Both are ``None`` when :math:`A + O + M + I = 0`.

    References
    ----------
    Berger et al. (1993), *Center for Quality Management Journal* 2(4), 3–36;
    Matzler, K. et al. (1996). How to delight your customers. *Journal of
    Product & Brand Management* 5(2), 6–18. doi:10.1108/10610429610119469

    Examples
    --------
    >>> b, w = better_worse(45, 123, 95, 33)
    >>> round(b, 3), round(w, 3)
    (0.568, -0.736)
    """
    denominator = attractive + one_dimensional + must_be + indifferent
    if denominator == 0:
        return None, None
    return (
        (attractive + one_dimensional) / denominator,
        -(one_dimensional + must_be) / denominator,
    )


def fong_significant(first: int, second: int, n: int) -> bool:
    """Fong's test: are the two most frequent categories significantly different?

    .. math:: |a - b| \\ge 1.65 \\sqrt{\\frac{(a + b)(2n - a - b)}{2n}}

    Parameters
    ----------
    first, second
        Frequencies *a* and *b* of the two most frequent categories.
    n
        Number of respondents classified.

    Returns
    -------
    bool
        ``True`` when the difference is significant (at the 0.05 level);
        ``False`` when ``n`` is 0.

    References
    ----------
    Fong, D. (1996). Using the self-stated importance questionnaire to interpret
    Kano questionnaire results. *Center for Quality Management Journal* 5(3), 21–23.

    Examples
    --------
    >>> fong_significant(123, 95, 296), fong_significant(100, 95, 296)
    (True, False)
    """
    if n <= 0:
        return False
    threshold = _FONG_Z * math.sqrt((first + second) * (2 * n - first - second) / (2 * n))
    return abs(first - second) >= threshold


@dataclass(frozen=True)
class KanoResult:
    """A feature's Kano counts, category, coefficients and Fong's test."""

    n: int
    counts: Mapping[KanoCategory, int]
    mode: KanoCategory | None
    category: KanoCategory | None
    better: float | None
    worse: float | None
    significant: bool


def kano_from_counts(counts: Mapping[str, int]) -> KanoResult:
    """Classify a feature from its category counts.

    The mode is the most frequent category (ties broken in the order
    M, O, A, I, R, Q). ``significant`` is Fong's test between the two most
    frequent categories *a* and *b* (:func:`fong_significant`); when it is not
    significant the category is the first of those two in the order
    M, O, A, I, R, Q, otherwise the mode. A runner-up nobody chose never
    becomes the category. Better and Worse follow :func:`better_worse`.

    .. math::

        \\text{significant} \\iff |a - b| \\ge 1.65
        \\sqrt{\\frac{(a + b)(2n - a - b)}{2n}}

    Parameters
    ----------
    counts
        Category (or its code "A", "O", "M", "I", "R", "Q") → count; absent = 0.

    Returns
    -------
    KanoResult

    References
    ----------
    Berger et al. (1993); Fong (1996); Matzler et al. (1996); see
    :func:`better_worse` and :func:`fong_significant`.

    Examples
    --------
    >>> r = kano_from_counts({"M": 95, "O": 123, "A": 45, "I": 33})
    >>> r.mode.value, r.category.value, r.significant
    ('O', 'O', True)
    >>> r = kano_from_counts({"M": 100, "O": 105, "A": 45, "I": 33})
    >>> r.mode.value, r.category.value, r.significant
    ('O', 'M', False)
    """
    full = dict.fromkeys(_REPORT_ORDER, 0)
    for key, value in counts.items():
        category = KanoCategory(key)
        if value < 0 or int(value) != value:
            raise ValueError(f"count of {category.value} must be a non-negative integer")
        full[category] = int(value)
    n = sum(full.values())
    better, worse = better_worse(full[_A], full[_O], full[_M], full[_I])
    if n == 0:
        return KanoResult(
            n=0,
            counts=full,
            mode=None,
            category=None,
            better=better,
            worse=worse,
            significant=False,
        )
    ranked = sorted(CATEGORY_ORDER, key=lambda c: (-full[c], CATEGORY_ORDER.index(c)))
    mode, runner_up = ranked[0], ranked[1]
    significant = fong_significant(full[mode], full[runner_up], n)
    category = mode
    if not significant and full[runner_up] > 0:
        category = min(mode, runner_up, key=CATEGORY_ORDER.index)
    return KanoResult(
        n=n,
        counts=full,
        mode=mode,
        category=category,
        better=better,
        worse=worse,
        significant=significant,
    )


def kano_from_table(table: npt.ArrayLike) -> KanoResult:
    """Classify a feature from its 5×5 answer-pair table (see :func:`kano_from_counts`).

    .. math:: n_c = \\sum_{f,d:\\ T(f,d) = c} N_{fd}

    References
    ----------
    Berger et al. (1993), *Center for Quality Management Journal* 2(4), 3–36.

    Examples
    --------
    >>> t = [[0] * 5 for _ in range(5)]; t[0][2] = 7; t[2][2] = 1
    >>> kano_from_table(t).category.value
    'A'
    """
    return kano_from_counts({c.value: n for c, n in table_counts(table).items()})


def kano(functional: npt.ArrayLike, dysfunctional: npt.ArrayLike) -> KanoResult:
    """Classify a feature from raw answer pairs (``NaN`` = missing, pair dropped).

    .. math:: N_{fd} = \\#\\{r : F_r = f,\\ D_r = d\\}

    Parameters
    ----------
    functional, dysfunctional
        Per respondent, the answers 1–5 to the two questions.

    Returns
    -------
    KanoResult

    References
    ----------
    Berger et al. (1993), *Center for Quality Management Journal* 2(4), 3–36.

    Examples
    --------
    >>> kano([1, 2, 2, float("nan")], [5, 5, 5, 5]).category.value
    'M'
    """
    f = np.asarray(functional, dtype=np.float64)
    d = np.asarray(dysfunctional, dtype=np.float64)
    if f.shape != d.shape or f.ndim != 1:
        raise ValueError("functional and dysfunctional must be 1-D arrays of the same length")
    both = np.isfinite(f) & np.isfinite(d)
    table = np.zeros((5, 5), dtype=np.int64)
    for index in np.flatnonzero(both):
        fv, dv = f[index], d[index]
        if fv not in (1, 2, 3, 4, 5) or dv not in (1, 2, 3, 4, 5):
            raise ValueError(f"answers must be 1–5, got ({fv:g}, {dv:g}) at position {index + 1}")
        table[int(fv) - 1, int(dv) - 1] += 1
    return kano_from_table(table)
