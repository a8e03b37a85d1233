"""The time zone a report reads its local dates and months on (``tz``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from touchpoint.domain.errors import DomainError

__all__ = ["local_period", "report_zone"]


def report_zone(tz: str) -> ZoneInfo:
    """The IANA time zone named ``tz``; ``DomainError`` naming the ``tz`` parameter and
    its value when there is none of that name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"tz: {tz!r} is not a known time zone") from None


def local_period(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """Local dates ``start`` to ``end`` of ``tz`` (both inclusive) as the instants
    ``[lo, hi)``: local midnight to the midnight after ``end``, both in ``tz``."""
    if end < start:
        raise DomainError(f"to: {end.isoformat()} is before from {start.isoformat()}")
    zone = report_zone(tz)
    lo = datetime.combine(start, time(0), zone)
    hi = datetime.combine(end + timedelta(days=1), time(0), zone)
    return lo, hi
