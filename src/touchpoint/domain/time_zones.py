"""The time zone a report reads its local dates and months on (``tz``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from touchpoint.domain.errors import DomainError

__all__ = ["report_zone"]


def report_zone(tz: str) -> ZoneInfo:
    """The IANA time zone named ``tz``; ``DomainError`` naming the ``tz`` parameter and
    its value when there is none of that name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"tz: {tz!r} is not a known time zone") from None
