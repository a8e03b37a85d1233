"""Rows and values as JSON, for audit snapshots and webhook payloads."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from touchpoint.storage.models import Base
from touchpoint.storage.rows import column_keys, column_values

__all__ = ["snapshot", "to_jsonable"]

_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Turn datetimes, enums, decimals and dataclasses into JSON values."""
    if type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):  # most values are JSON scalars already: no call for them
        return {str(k): v if type(v) in _JSON_SCALARS else to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def snapshot(row: Base, *, exclude: tuple[str, ...] = ("password_hash",)) -> dict[str, Any]:
    """Column values of ``row`` as JSON (for audit before/after); secrets left out."""
    values = column_values(row)
    return {key: to_jsonable(values[key]) for key in column_keys(type(row)) if key not in exclude}
