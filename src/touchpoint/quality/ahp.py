"""Analytic Hierarchy Process (Saaty): weights from reciprocal pairwise comparisons.

Weights are the normalised principal eigenvector of the comparison matrix;
consistency is judged by ``CR = CI / RI`` with ``CI = (λmax − n)/(n − 1)``.
Hierarchies multiply local weights down to the leaves (global weights); a group
of judges is combined by the element-wise geometric mean of their matrices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from touchpoint.quality._arrays import FloatArray

__all__ = [
    "CONSISTENCY_THRESHOLD",
    "MAX_CRITERIA",
    "RANDOM_INDEX",
    "RECIPROCAL_TOLERANCE",
    "AhpHierarchyResult",
    "AhpNode",
    "AhpResult",
    "PairwiseMatrixError",
    "ahp_hierarchy",
    "ahp_weights",
    "check_pairwise_matrix",
    "geometric_mean_matrix",
]

#: Saaty's random consistency index by matrix size. n = 1..10 as in DOMAIN.md
#: (Saaty 1980); n = 11..15 continue the table as commonly tabulated with it.
RANDOM_INDEX: Mapping[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.54,
    13: 1.56,
    14: 1.58,
    15: 1.59,
}

#: Largest matrix the product accepts (the random index table ends there).
MAX_CRITERIA = 15

#: A matrix is reciprocal when ``|a_ij · a_ji − 1| ≤`` this for every pair.
RECIPROCAL_TOLERANCE = 1e-6

#: Judgments are acceptable when ``CR <`` this.
CONSISTENCY_THRESHOLD = 0.10


class PairwiseMatrixError(ValueError):
    """A comparison matrix is not square, positive and reciprocal.

    ``row`` and ``column`` are 1-based (``None`` for shape problems); ``value``
    is the offending entry.
    """

    def __init__(
        self, problem: str, row: int | None = None, column: int | None = None, value: object = None
    ) -> None:
        self.problem = problem
        self.row = row
        self.column = column
        self.value = value
        where = "" if row is None else f"row {row}, column {column}: "
        super().__init__(f"{where}{problem}")


@dataclass(frozen=True)
class AhpResult:
    """Local weights and consistency of one comparison matrix."""

    criteria: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    consistent: bool

    def weight_map(self) -> dict[str, float]:
        """Criterion → weight."""
        return dict(zip(self.criteria, self.weights, strict=True))


@dataclass(frozen=True)
class AhpNode:
    """A node of an AHP hierarchy: its criteria, their comparison matrix, sub-nodes.

    ``children`` maps a criterion of this node to the node that splits it further.
    """

    criteria: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    children: Mapping[str, AhpNode] = field(default_factory=dict)


@dataclass(frozen=True)
class AhpHierarchyResult:
    """Every node's local result and the leaves' global weights.

    ``nodes`` is keyed by the path of criterion names from the root ("" = root,
    "service/speed" = the node below criterion *speed* below *service*).
    """

    root: AhpResult
    nodes: Mapping[str, AhpResult]
    global_weights: Mapping[str, float]


def check_pairwise_matrix(matrix: npt.ArrayLike, tolerance: float = RECIPROCAL_TOLERANCE) -> None:
    """Raise :class:`PairwiseMatrixError` unless ``matrix`` is a valid comparison matrix.

    Valid means square with 1 to :data:`MAX_CRITERIA` rows, every entry finite
    and positive, and reciprocal:

    .. math:: |a_{ij} a_{ji} - 1| \\le 10^{-6} \\quad \\forall i, j

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.

    Examples
    --------
    >>> check_pairwise_matrix([[1, 3], [1 / 3, 1]])
    >>> check_pairwise_matrix([[1, 3], [0.5, 1]])
    Traceback (most recent call last):
    ...
    touchpoint.quality.ahp.PairwiseMatrixError: row 2, column 1: value 0.5 is not the ...
    """
    try:
        array = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PairwiseMatrixError(f"matrix must hold numbers ({exc})") from None
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0:
        raise PairwiseMatrixError(f"matrix must be square and non-empty, got shape {array.shape}")
    n = array.shape[0]
    if n > MAX_CRITERIA:
        raise PairwiseMatrixError(f"at most {MAX_CRITERIA} criteria are supported, got {n}")
    for i in range(n):
        for j in range(n):
            value = array[i, j]
            if not math.isfinite(value) or value <= 0:
                raise PairwiseMatrixError(
                    f"value {_fmt(value)} must be a positive number", i + 1, j + 1, value
                )
    for i in range(n):
        for j in range(i, n):
            if abs(array[i, j] * array[j, i] - 1.0) > tolerance:
                if i == j:
                    problem = f"value {_fmt(array[i, i])} on the diagonal must be 1"
                    raise PairwiseMatrixError(problem, i + 1, j + 1, array[i, i])
                problem = (
                    f"value {_fmt(array[j, i])} is not the reciprocal of "
                    f"{_fmt(array[i, j])} (row {i + 1}, column {j + 1})"
                )
                raise PairwiseMatrixError(problem, j + 1, i + 1, array[j, i])


def _fmt(value: float) -> str:
    return f"{float(value):g}"


def _principal_eigen(array: FloatArray) -> tuple[FloatArray, float]:
    values, vectors = np.linalg.eig(array)
    index = int(np.argmax(values.real))
    vector = np.abs(vectors[:, index].real)
    return np.asarray(vector / vector.sum(), dtype=np.float64), float(values[index].real)


def ahp_weights(matrix: npt.ArrayLike, criteria: Sequence[str] | None = None) -> AhpResult:
    """Priority weights and consistency of a reciprocal pairwise comparison matrix.

    .. math::

        A w = \\lambda_{\\max} w, \\quad \\sum_i w_i = 1, \\qquad
        CI = \\frac{\\lambda_{\\max} - n}{n - 1}, \\qquad CR = \\frac{CI}{RI_n}

    with :data:`RANDOM_INDEX` for :math:`RI_n`; for n ≤ 2 a reciprocal matrix
    is always consistent and CI = CR = 0.

    Parameters
    ----------
    matrix
        n × n positive reciprocal matrix on Saaty's 1–9 scale (n ≤ 15).
    criteria
        Names of the rows; defaults to "1".."n".

    Returns
    -------
    AhpResult
        ``consistent`` is ``cr < 0.10``.

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
    Saaty, T. L. (2008). Decision making with the analytic hierarchy process.
    *International Journal of Services Sciences* 1(1), 83–98.
    doi:10.1504/IJSSCI.2008.017590

    Examples
    --------
    >>> r = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], ["a", "b", "c"])
    >>> [round(w, 3) for w in r.weights], round(r.cr, 3), r.consistent
    ([0.637, 0.258, 0.105], 0.033, True)
    """
    check_pairwise_matrix(matrix)
    array = np.asarray(matrix, dtype=np.float64)
    n = array.shape[0]
    names = tuple(str(i + 1) for i in range(n)) if criteria is None else tuple(criteria)
    if len(names) != n:
        raise PairwiseMatrixError(f"{len(names)} criteria named for a {n}×{n} matrix")
    if len(set(names)) != n:
        raise PairwiseMatrixError("criteria names must be unique")
    if n <= 2:
        # Any reciprocal 1×1 or 2×2 matrix is consistent: λmax = n exactly.
        weights = array[:, 0] / array[:, 0].sum() if n == 2 else np.ones(1)
        return AhpResult(names, tuple(float(w) for w in weights), float(n), 0.0, 0.0, True)
    weights, lambda_max = _principal_eigen(array)
    ci = (lambda_max - n) / (n - 1)
    cr = ci / RANDOM_INDEX[n]
    return AhpResult(
        criteria=names,
        weights=tuple(float(w) for w in weights),
        lambda_max=lambda_max,
        ci=ci,
        cr=cr,
        consistent=cr < CONSISTENCY_THRESHOLD,
    )


def geometric_mean_matrix(matrices: Sequence[npt.ArrayLike]) -> FloatArray:
    """Combine several judges' comparison matrices by element-wise geometric mean.

    .. math:: \\bar a_{ij} = \\Bigl(\\prod_{k=1}^{K} a^{(k)}_{ij}\\Bigr)^{1/K}

    The result is again reciprocal (aggregation of individual judgments, AIJ).

    Parameters
    ----------
    matrices
        K valid comparison matrices of the same size.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Aczél, J. & Saaty, T. L. (1983). Procedures for synthesizing ratio
    judgements. *Journal of Mathematical Psychology* 27(1), 93–102.
    doi:10.1016/0022-2496(83)90028-7

    Examples
    --------
    >>> geometric_mean_matrix([[[1, 4], [1 / 4, 1]], [[1, 1], [1, 1]]]).tolist()
    [[1.0, 2.0], [0.5, 1.0]]
    """
    if len(matrices) == 0:
        raise PairwiseMatrixError("need at least one judge's matrix")
    arrays = []
    for matrix in matrices:
        check_pairwise_matrix(matrix)
        arrays.append(np.asarray(matrix, dtype=np.float64))
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise PairwiseMatrixError("all judges' matrices must have the same size")
    return np.asarray(np.exp(np.mean(np.log(np.stack(arrays)), axis=0)), dtype=np.float64)


def ahp_hierarchy(root: AhpNode) -> AhpHierarchyResult:
    """Local results of every node and global weights of the leaves.

    .. math:: g(\\text{leaf}) = \\prod_{\\text{nodes on the path}} w_{\\text{local}}

    Parameters
    ----------
    root
        The goal node; a criterion with an entry in ``children`` is split further,
        the others are leaves. Leaf names must be unique across the hierarchy.

    Returns
    -------
    AhpHierarchyResult

    References
    ----------
    Saaty (1980), *The Analytic Hierarchy Process*, McGraw-Hill (hierarchic composition).

    Examples
    --------
    >>> leaf = AhpNode(("x", "y"), ((1, 3), (1 / 3, 1)))
    >>> top = AhpNode(("a", "b"), ((1, 1), (1, 1)), {"a": leaf})
    >>> {k: round(v, 3) for k, v in ahp_hierarchy(top).global_weights.items()}
    {'x': 0.375, 'y': 0.125, 'b': 0.5}
    """
    nodes: dict[str, AhpResult] = {}
    global_weights: dict[str, float] = {}

    def visit(node: AhpNode, path: str, weight: float) -> AhpResult:
        unknown = sorted(set(node.children) - set(node.criteria))
        if unknown:
            where = path or "the root"
            raise PairwiseMatrixError(f"children {', '.join(unknown)} are not criteria of {where}")
        result = ahp_weights(node.matrix, node.criteria)
        nodes[path] = result
        for name, local in zip(result.criteria, result.weights, strict=True):
            child = node.children.get(name)
            if child is None:
                if name in global_weights:
                    raise PairwiseMatrixError(f"leaf {name!r} appears twice in the hierarchy")
                global_weights[name] = weight * local
            else:
                visit(child, f"{path}/{name}" if path else name, weight * local)
        return result

    root_result = visit(root, "", 1.0)
    return AhpHierarchyResult(root=root_result, nodes=nodes, global_weights=global_weights)
