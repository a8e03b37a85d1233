"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime"]


def _utc(value: datetime) -> datetime:
    """An aware instant in UTC; a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError(f"instant {value.isoformat()!r} must be timezone-aware")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware instants stored in UTC; SQLite returns them aware too.

    SQLite has no time zones: the instant is stored as naive UTC text (SQLAlchemy's
    ``DATETIME``, always with microseconds) and read back as aware UTC. PostgreSQL
    stores ``timestamptz``. A naive instant is refused: which zone it meant is unknown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive instants; store UTC (naive on SQLite, aware on PostgreSQL)."""
        if value is None:
            return None
        utc = _utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC instant: naive is UTC, an offset is converted."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
