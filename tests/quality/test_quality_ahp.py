"""AHP: Saaty's drinks matrix, ahpy as oracle, hierarchies, group judgments, checks."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from tests.quality.published import load
from touchpoint.quality.ahp import (
    RANDOM_INDEX,
    AhpNode,
    PairwiseMatrixError,
    ahp_hierarchy,
    ahp_weights,
    check_pairwise_matrix,
    geometric_mean_matrix,
)

ahpy = pytest.importorskip("ahpy")


def _drinks() -> tuple[list[str], np.ndarray, dict[str, Any]]:
    document = load("saaty_drinks.json")
    matrix = np.array([[float(Fraction(v)) for v in row] for row in document["matrix"]])
    return document["criteria"], matrix, document


def test_saaty_drinks_published_priorities() -> None:
    criteria, matrix, document = _drinks()
    result = ahp_weights(matrix, criteria)
    weights = result.weight_map()
    for name, published in document["weights"].items():
        assert weights[name] == pytest.approx(published, abs=document["weights_tolerance"])
    assert weights["water"] == pytest.approx(0.327, abs=0.0005)
    assert result.cr == pytest.approx(document["cr"], abs=document["cr_tolerance"])
    assert result.consistent
    assert sum(result.weights) == pytest.approx(1.0)


def test_drinks_against_ahpy() -> None:
    criteria, matrix, _ = _drinks()
    comparisons = {
        (criteria[i], criteria[j]): matrix[i, j]
        for i in range(len(criteria))
        for j in range(i + 1, len(criteria))
    }
    oracle = ahpy.Compare("drinks", comparisons, precision=12, random_index="saaty")
    ours = ahp_weights(matrix, criteria)
    for name, weight in ours.weight_map().items():
        assert weight == pytest.approx(oracle.target_weights[name], abs=1e-9)
    # ahpy's "saaty" RI for n = 7 is 1.35 (Saaty 2005); ours is 1.32 (Saaty 1980,
    # DOMAIN.md). Compare the consistency index CI, which needs no RI.
    assert ours.ci == pytest.approx(oracle.consistency_ratio * 1.35, abs=1e-9)
    assert ours.lambda_max == pytest.approx(7 + 6 * ours.ci)


def test_leader_hierarchy_against_ahpy() -> None:
    # Wikipedia's leader example as reproduced in ahpy's README.
    experience = {("Moll", "Nell"): 1 / 4, ("Moll", "Sue"): 4, ("Nell", "Sue"): 9}
    education = {("Moll", "Nell"): 3, ("Moll", "Sue"): 1 / 5, ("Nell", "Sue"): 1 / 7}
    charisma = {("Moll", "Nell"): 5, ("Moll", "Sue"): 9, ("Nell", "Sue"): 4}
    age = {("Moll", "Nell"): 1 / 3, ("Moll", "Sue"): 5, ("Nell", "Sue"): 9}
    criteria = {
        ("Experience", "Education"): 4,
        ("Experience", "Charisma"): 3,
        ("Experience", "Age"): 7,
        ("Education", "Charisma"): 1 / 3,
        ("Education", "Age"): 3,
        ("Charisma", "Age"): 5,
    }
    children = {}
    compares = []
    for name, comparisons in (
        ("Experience", experience),
        ("Education", education),
        ("Charisma", charisma),
        ("Age", age),
    ):
        compares.append(ahpy.Compare(name, comparisons, precision=12))
        children[name] = _node(["Moll", "Nell", "Sue"], comparisons, suffix=name)
    top = ahpy.Compare("Criteria", criteria, precision=12)
    top.add_children(compares)
    root = _node(["Experience", "Education", "Charisma", "Age"], criteria)
    root = AhpNode(root.criteria, root.matrix, children)
    # leaves must be unique in our hierarchy, so candidates carry their criterion
    result = ahp_hierarchy(root)
    totals: dict[str, float] = {}
    for leaf, weight in result.global_weights.items():
        candidate = leaf.split("@")[0]
        totals[candidate] = totals.get(candidate, 0.0) + weight
    for candidate, weight in top.target_weights.items():
        assert totals[candidate] == pytest.approx(weight, abs=1e-9)
    assert sum(result.global_weights.values()) == pytest.approx(1.0)
    assert set(result.nodes) == {"", "Experience", "Education", "Charisma", "Age"}


def _node(
    names: list[str], comparisons: Mapping[tuple[str, str], float], suffix: str | None = None
) -> AhpNode:
    k = len(names)
    matrix = np.ones((k, k))
    for (a, b), value in comparisons.items():
        i, j = names.index(a), names.index(b)
        matrix[i, j], matrix[j, i] = value, 1 / value
    labels = tuple(n if suffix is None else f"{n}@{suffix}" for n in names)
    return AhpNode(labels, tuple(tuple(r) for r in matrix))


def test_group_judgments_geometric_mean() -> None:
    a = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    b = np.array([[1, 1, 3], [1, 1, 4], [1 / 3, 1 / 4, 1]])
    combined = geometric_mean_matrix([a, b])
    np.testing.assert_allclose(combined, np.sqrt(a * b))
    check_pairwise_matrix(combined)  # still reciprocal


def test_consistent_matrix_has_zero_ci() -> None:
    w = np.array([0.5, 0.3, 0.2])
    result = ahp_weights(np.outer(w, 1 / w))
    np.testing.assert_allclose(result.weights, w)
    assert result.ci == pytest.approx(0.0, abs=1e-12) and result.cr == pytest.approx(0, abs=1e-12)


def test_small_matrices_and_random_index() -> None:
    assert ahp_weights([[1]]).weights == (1.0,)
    two = ahp_weights([[1.0, 4.0], [0.25, 1.0]], ["x", "y"])
    assert two.weights == pytest.approx((0.8, 0.2)) and two.cr == 0.0
    assert [RANDOM_INDEX[n] for n in range(1, 11)] == [
        0,
        0,
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
    ]


def test_matrix_errors_name_row_and_column() -> None:
    with pytest.raises(PairwiseMatrixError) as info:
        check_pairwise_matrix([[1.0, 3.0, 1.0], [1 / 3, 1, 2], [1, 0.4, 1]])
    assert (info.value.row, info.value.column, info.value.value) == (3, 2, 0.4)
    with pytest.raises(PairwiseMatrixError, match="positive"):
        check_pairwise_matrix([[1.0, -2.0], [-0.5, 1.0]])
    with pytest.raises(PairwiseMatrixError, match="diagonal"):
        check_pairwise_matrix([[2, 1], [1, 1]])
    with pytest.raises(PairwiseMatrixError, match="square"):
        check_pairwise_matrix([[1.0, 2.0, 3.0], [0.5, 1.0, 1.0]])
    with pytest.raises(PairwiseMatrixError, match="at most 15"):
        check_pairwise_matrix(np.ones((16, 16)))
    check_pairwise_matrix([[1.0, 3.0], [0.3333335, 1.0]])  # within 1e-6
    with pytest.raises(PairwiseMatrixError):
        check_pairwise_matrix([[1.0, 3.0], [0.3334, 1.0]])
