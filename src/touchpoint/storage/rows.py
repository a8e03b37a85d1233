"""A stored row's column values, as the audit trail records them."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import inspect

from touchpoint.storage.models import Base

__all__ = ["column_keys", "column_values"]


@functools.cache
def column_keys(model: type[Base]) -> tuple[str, ...]:
    """The attribute keys of a mapped class's columns, in the table's order."""
    return tuple(prop.key for prop in inspect(model).column_attrs)


def column_values(row: Base) -> dict[str, Any]:
    """Every column value of ``row`` by attribute key (a column not loaded yet, such
    as an expired one, is loaded)."""
    loaded = inspect(row).dict
    return {
        key: loaded[key] if key in loaded else getattr(row, key) for key in column_keys(type(row))
    }
