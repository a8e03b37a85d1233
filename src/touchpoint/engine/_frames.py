"""Shared helpers of the report dataclasses: JSON-safe values and pandas frames."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

__all__ = ["json_value", "records_frame"]


def json_value(value: Any) -> Any:
    """A group label as JSON can hold it (text for dates, decimals and the like)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def records_frame(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> Any:
    """A pandas DataFrame of ``records`` (pandas is imported only here)."""
    import pandas as pd

    return pd.DataFrame.from_records(list(records), columns=list(columns))
