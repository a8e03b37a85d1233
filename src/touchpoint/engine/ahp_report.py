"""AHP from a JSON document: one comparison matrix, a group of judges, or a hierarchy.

A node is ``{"criteria": [...], "matrix": [[...]]}``; ``"matrices": [m1, m2, …]``
instead of ``"matrix"`` combines several judges by geometric mean, and
``"children": {"criterion": node, …}`` splits a criterion further. Entries are
numbers or fractions written as text (``"1/3"``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from touchpoint.engine._frames import records_frame
from touchpoint.engine.errors import InputError, format_value
from touchpoint.quality.ahp import (
    MAX_CRITERIA,
    AhpNode,
    AhpResult,
    PairwiseMatrixError,
    ahp_hierarchy,
    check_pairwise_matrix,
    geometric_mean_matrix,
)

__all__ = ["AhpReport", "ahp"]


@dataclass(frozen=True)
class AhpReport:
    """Root weights and consistency; for a hierarchy also every node and global weights."""

    root: AhpResult
    nodes: Mapping[str, AhpResult]
    global_weights: Mapping[str, float] | None

    @property
    def weights(self) -> dict[str, float]:
        """Root criterion → local weight."""
        return self.root.weight_map()

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``touchpoint analyze ahp``."""
        out = _result_dict(self.root)
        if self.global_weights is not None:
            out["global_weights"] = dict(self.global_weights)
            out["nodes"] = [{"node": path, **_result_dict(r)} for path, r in self.nodes.items()]
        return out

    def to_frame(self) -> Any:
        """Leaves with their global weights (hierarchy) or root criteria with weights."""
        weights = self.global_weights if self.global_weights is not None else self.weights
        records = [{"criterion": k, "weight": v} for k, v in weights.items()]
        return records_frame(records, ["criterion", "weight"])


def _result_dict(result: AhpResult) -> dict[str, Any]:
    return {
        "weights": result.weight_map(),
        "lambda_max": result.lambda_max,
        "ci": result.ci,
        "cr": result.cr,
        "consistent": result.consistent,
    }


def ahp(source: str | os.PathLike[str] | Mapping[str, Any]) -> AhpReport:
    """AHP report of a JSON file (or an already parsed document).

    Raises
    ------
    InputError
        Unreadable JSON, a malformed node, or a matrix that is not positive and
        reciprocal within 1e-6 (naming the node, row, column and value).
    """
    if isinstance(source, Mapping):
        label, document = "<document>", source
    else:
        label = str(source)
        path = Path(source)
        if not path.is_file():
            raise InputError(label, "no such file")
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(label, f"not valid JSON: {exc}") from None
    root = _node(document, label, "")
    try:
        result = ahp_hierarchy(root)
    except PairwiseMatrixError as exc:
        raise InputError(label, exc.problem) from None
    hierarchy = bool(root.children)
    return AhpReport(
        root=result.root,
        nodes=result.nodes,
        global_weights=result.global_weights if hierarchy else None,
    )


def _where(label: str, path: str) -> str:
    return label if not path else f"{label} (node {path})"


def _node(document: Any, label: str, path: str) -> AhpNode:
    where = _where(label, path)
    if not isinstance(document, Mapping):
        raise InputError(where, "a node must be a JSON object with criteria and matrix")
    criteria = document.get("criteria")
    if (
        not isinstance(criteria, list)
        or not criteria
        or not all(isinstance(c, str) and c.strip() for c in criteria)
    ):
        raise InputError(where, "criteria must be a non-empty list of names")
    if len(set(criteria)) != len(criteria):
        raise InputError(where, "criteria names must be unique")
    if len(criteria) > MAX_CRITERIA:
        raise InputError(where, f"at most {MAX_CRITERIA} criteria, got {len(criteria)}")
    if ("matrix" in document) == ("matrices" in document):
        raise InputError(where, 'give either "matrix" or "matrices" (one per judge)')
    if "matrix" in document:
        matrix = _matrix(document["matrix"], len(criteria), where, "matrix")
    else:
        judges = document["matrices"]
        if not isinstance(judges, list) or not judges:
            raise InputError(where, "matrices must be a non-empty list of matrices")
        parsed = [
            _matrix(m, len(criteria), where, f"matrices[{k + 1}]") for k, m in enumerate(judges)
        ]
        matrix = tuple(tuple(float(v) for v in r) for r in geometric_mean_matrix(parsed))
    children_doc = document.get("children", {})
    if not isinstance(children_doc, Mapping):
        raise InputError(where, "children must map criteria to nodes")
    children: dict[str, AhpNode] = {}
    for name, child in children_doc.items():
        if name not in criteria:
            raise InputError(where, f"child {name!r} is not one of the criteria")
        children[name] = _node(child, label, f"{path}/{name}" if path else name)
    return AhpNode(criteria=tuple(criteria), matrix=matrix, children=children)


def _matrix(raw: Any, k: int, where: str, what: str) -> tuple[tuple[float, ...], ...]:
    if not isinstance(raw, list) or len(raw) != k or not all(isinstance(r, list) for r in raw):
        raise InputError(where, f"{what} must be a list of {k} rows for {k} criteria")
    rows: list[tuple[float, ...]] = []
    for i, row in enumerate(raw, start=1):
        if len(row) != k:
            raise InputError(where, f"{what} row {i} has {len(row)} values, expected {k}")
        values = []
        for j, cell in enumerate(row, start=1):
            value = _number(cell)
            if value is None or not math.isfinite(value) or value <= 0:
                raise InputError(
                    where,
                    f"{what} value {format_value(cell)} must be a positive number",
                    row=i,
                    column=str(j),
                    value=cell,
                )
            values.append(value)
        rows.append(tuple(values))
    try:
        check_pairwise_matrix(rows)
    except PairwiseMatrixError as exc:
        raise InputError(
            where,
            f"{what} {exc.problem}",
            row=exc.row,
            column=None if exc.column is None else str(exc.column),
            value=exc.value,
        ) from None
    return tuple(rows)


def _number(cell: Any) -> float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, str):
        try:
            return float(Fraction(cell.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    return None
