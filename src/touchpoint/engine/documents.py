"""The JSON documents of the analyses, as ``touchpoint analyze`` prints them and the API
answers them: a report's ``to_dict()`` with every non-finite number as null (JSON has no
NaN)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite"]


def finite(value: Any) -> Any:
    """``value`` with any NaN or infinity, however deep, replaced by None.

    >>> finite({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value
