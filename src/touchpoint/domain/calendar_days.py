"""A day's business hours: wall-clock ranges, read from and written as calendar JSON.

A range is ``[start, end]`` in ``HH:MM`` of local time, end excluded; ``24:00`` (or
``23:59``) ends the day. The ranges of a day are listed from morning to night without
overlapping. :class:`CalendarError` names the JSON path and the value at fault.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from touchpoint.domain.errors import FieldValueError

__all__ = [
    "CalendarError",
    "DayHours",
    "TimeRange",
    "check_day_hours",
    "parse_date",
    "parse_day_hours",
]

_DAY: Final = 86_400
_CLOCK: Final = re.compile(r"(\d{2}):(\d{2})")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarError(FieldValueError):
    """A calendar, an instant or a duration is invalid.

    ``field`` is a JSON path such as ``hours.mon[1][0]`` and ``value`` the offending
    value; both appear in the message. A problem of the calendar JSON also carries a
    message ``code`` (its params: ``where``, the path, and ``value``), for a page.
    """


@dataclass(frozen=True, slots=True, order=True)
class TimeRange:
    """A wall-clock range of one day in seconds after local midnight, end excluded.

    ``end == 86400`` is the end of the day (written ``24:00`` or ``23:59``).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= _DAY:
            raise CalendarError(
                "range", (self.start, self.end), "must satisfy 0 <= start < end <= 86400"
            )

    def to_json(self) -> list[str]:
        """``["HH:MM", "HH:MM"]`` with the end of the day as ``24:00``."""
        return [_format_clock(self.start), _format_clock(self.end)]


DayHours = tuple[TimeRange, ...]


def _format_clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}"


def _parse_clock(text: object, field: str, *, is_end: bool) -> int:
    if not isinstance(text, str) or (match := _CLOCK.fullmatch(text)) is None:
        raise CalendarError(field, text, "is not a time HH:MM", code="calendar_clock")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if is_end and (text in ("24:00", "23:59")):
        # Both spellings mean the end of the day (issue 6).
        return _DAY
    if hours > 23 or minutes > 59:
        if text == "24:00":
            raise CalendarError(field, text, "only ends a range", code="calendar_clock_end")
        raise CalendarError(field, text, "is not a time of day", code="calendar_clock")
    return hours * 3600 + minutes * 60


def parse_day_hours(value: object, field: str) -> DayHours:
    """A day's ranges as the calendar JSON at ``field`` lists them, checked."""
    if not isinstance(value, list):
        raise CalendarError(
            field, value, "is not a list of [start, end] ranges", code="calendar_ranges"
        )
    ranges: list[TimeRange] = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise CalendarError(where, item, "is not a range [start, end]", code="calendar_range")
        start = _parse_clock(item[0], f"{where}[0]", is_end=False)
        end = _parse_clock(item[1], f"{where}[1]", is_end=True)
        if start >= end:
            raise CalendarError(
                where, item, "starts at or after its end", code="calendar_range_backwards"
            )
        if ranges and start < ranges[-1].start:
            raise CalendarError(
                where, item, "is not in ascending order", code="calendar_ranges_order"
            )
        if ranges and start < ranges[-1].end:
            before = ranges[-1].to_json()
            raise CalendarError(
                where,
                item,
                f"overlaps the range before it {before!r}",
                code="calendar_ranges_overlap",
                params={"before": "–".join(before)},
            )
        ranges.append(TimeRange(start, end))
    return tuple(ranges)


def parse_date(text: object, field: str) -> date:
    """A date written ``YYYY-MM-DD`` at ``field`` of the calendar JSON."""
    if not isinstance(text, str) or _DATE.fullmatch(text) is None:
        raise CalendarError(field, text, "is not a date YYYY-MM-DD", code="calendar_date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CalendarError(
            field, text, "is not a possible date", code="calendar_date_impossible"
        ) from None


def check_day_hours(ranges: Sequence[TimeRange], field: str) -> None:
    """Refuse ranges that overlap or go back in time (a calendar built in code)."""
    for i in range(1, len(ranges)):
        if ranges[i].start < ranges[i - 1].end:
            raise CalendarError(
                f"{field}[{i}]", ranges[i].to_json(), "overlaps or precedes the range before it"
            )
