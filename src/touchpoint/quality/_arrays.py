"""Small shared helpers for the science modules: array coercion and safe means."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "as_float_matrix",
    "as_float_vector",
    "mean_or_none",
    "members_by_dimension",
    "ratio_or_none",
]

FloatArray = npt.NDArray[np.float64]


class _NumberedItem(Protocol):
    @property
    def item(self) -> int: ...


_Item = TypeVar("_Item", bound=_NumberedItem)


def as_float_vector(values: npt.ArrayLike, name: str, length: int | None = None) -> FloatArray:
    """Return ``values`` as a 1-D float array, checking its length when given."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if length is not None and array.shape[0] != length:
        raise ValueError(f"{name} must have {length} entries, got {array.shape[0]}")
    return array


def as_float_matrix(values: npt.ArrayLike, name: str, columns: int | None = None) -> FloatArray:
    """Return ``values`` as a 2-D float array (respondents × items)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional, got shape {array.shape}")
    if columns is not None and array.shape[1] != columns:
        raise ValueError(f"{name} must have {columns} columns, got {array.shape[1]}")
    return array


def ratio_or_none(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero."""
    if denominator == 0:
        return None
    return float(numerator) / float(denominator)


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None``; ``None`` when there are none."""
    present: Sequence[float] = [v for v in values if v is not None]
    if not present:
        return None
    return float(sum(present) / len(present))


def members_by_dimension(
    items: Iterable[_Item], dimensions: Mapping[str, Sequence[int]]
) -> Iterator[tuple[str, list[_Item]]]:
    """Each dimension with its items' rows (matched by item number), in ``dimensions``
    order: what a dimension's plain means of item values are taken over."""
    by_number = {item.item: item for item in items}
    for dimension, numbers in dimensions.items():
        yield dimension, [by_number[i] for i in numbers]
