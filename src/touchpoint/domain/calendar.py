"""Business calendars: when the desk's SLA clock runs (issue 6), as pure arithmetic.

An instant is business time exactly when its local wall-clock date and time in the
calendar's time zone fall inside one of that date's ranges (start included, end
excluded). A date's ranges are its ``special_days`` entry when present (make-up
working days 调休, half days), otherwise none on a holiday, otherwise the weekday's
``hours``. Because ranges are wall-clock ranges, a 00:00–24:00 day lasts 23 or 25
hours on a daylight-saving change day and a range inside a skipped hour is empty.

All arithmetic is to the second on integer epoch seconds. The scalar ``add`` and
``between`` are thin wrappers over :class:`BusinessTimeIndex`, a cumulative
business-seconds index ``B(t)`` over a period that answers many instants at once:
``between(a, b) = B(b) - B(a)`` and ``add(start, m) = B⁻¹(B(start) + 60·m)`` with
``B⁻¹`` the *earliest* preimage, so a target that runs out exactly at a range end
is due at that range end, not at the next opening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import ArrayLike, NDArray

from touchpoint.domain.calendar_days import (
    CalendarError,
    DayHours,
    TimeRange,
    check_day_hours,
    parse_date,
    parse_day_hours,
)

__all__ = [
    "NEVER",
    "WEEKDAYS",
    "BusinessCalendar",
    "BusinessTimeIndex",
    "CalendarError",
    "TimeRange",
    "format_instant",
    "from_epoch_seconds",
    "parse_instant",
    "to_epoch_seconds",
]

#: Keys of ``hours``, Monday first (``date.weekday()`` order).
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Sentinel instant for "never": a deadline the calendar can no longer reach.
NEVER: Final = np.iinfo(np.int64).max

_DAY: Final = 86_400
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# 1970-01-01 was a Thursday: weekday index 3 in WEEKDAYS.
_EPOCH_WEEKDAY: Final = 3
# Far enough below any real instant, yet safe from int64 overflow in differences.
_FAR_PAST: Final = -(2**60)
# Deadlines are not searched beyond this instant (datetime's year 9999 ends soon after).
_LAST_INSTANT: Final = int((datetime(9999, 12, 1, tzinfo=UTC) - _EPOCH).total_seconds())
_FIELDS: Final = frozenset({"timezone", "hours", "holidays", "special_days"})

Int64Array = NDArray[np.int64]


# --------------------------------------------------------------------------- instants


def parse_instant(text: object, field: str) -> datetime:
    """Parse an ISO 8601 instant that carries an offset or ``Z``.

    A naive time is an error: the clock would not know which wall clock it is on.

    >>> parse_instant("2026-10-09T08:30:00+08:00", "at").isoformat()
    '2026-10-09T08:30:00+08:00'
    """
    if not isinstance(text, str):
        raise CalendarError(field, text, "is not an ISO 8601 instant string")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CalendarError(field, text, "is not an ISO 8601 instant") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(field, text, "is a naive time: give an offset or Z")
    return value


def to_epoch_seconds(instant: datetime, field: str = "instant") -> int:
    """Whole seconds since 1970-01-01T00:00Z; fractions of a second are dropped (floor)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(field, instant.isoformat(), "is a naive time: give an offset or Z")
    return (instant - _EPOCH) // timedelta(seconds=1)


def from_epoch_seconds(seconds: int) -> datetime:
    """The UTC instant ``seconds`` after the epoch."""
    return _EPOCH + timedelta(seconds=int(seconds))


def format_instant(instant: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, to the second: ``2026-10-09T00:30:00Z``."""
    utc = instant.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


# ------------------------------------------------------------------------------ index


@dataclass(frozen=True, eq=False)
class BusinessTimeIndex:
    """Cumulative business seconds ``B(t)`` over a covered period, for many instants at once.

    ``B(cover_start) = 0``; ``B`` is continuous and non-decreasing, rising one second
    per second inside business intervals. The arrays hold the disjoint business
    intervals ``[starts[i], ends[i])`` in UTC epoch seconds, led by an empty sentinel
    interval far in the past so that every lookup lands on an interval, and
    ``before[i] = B(starts[i])``. ``B`` is exact for instants in
    ``[cover_start, cover_end]``; :meth:`instants_at` is exact up to :attr:`reach`.
    """

    cover_start: int
    cover_end: int
    starts: Int64Array
    ends: Int64Array
    before: Int64Array

    @property
    def after(self) -> Int64Array:
        """``B(ends[i])``."""
        return self.before + (self.ends - self.starts)

    @property
    def total(self) -> int:
        """``B(cover_end)``: business seconds in the covered period."""
        return int(self.business_seconds_at(np.array([self.cover_end], dtype=np.int64))[0])

    @property
    def reach(self) -> int:
        """The largest ``B`` value whose instant this index knows."""
        return int(self.after[-1])

    def business_seconds_at(self, instants: ArrayLike) -> Int64Array:
        """``B(t)`` for each UTC epoch second ``t`` (vectorised).

        ``between(a, b) = B(b) - B(a)`` for covered ``a <= b``.
        """
        t = np.asarray(instants, dtype=np.int64)
        i = np.searchsorted(self.starts, t, side="right") - 1
        # np.minimum/np.maximum rather than np.clip: the same values, less call overhead.
        inside = np.minimum(np.maximum(t - self.starts[i], 0), self.ends[i] - self.starts[i])
        found: Int64Array = self.before[i] + inside
        return found

    def instants_at(self, business_seconds: ArrayLike) -> Int64Array:
        """``B⁻¹(x)``: the earliest instant at which ``B`` reaches each ``x`` (vectorised).

        The earliest preimage of a value reached exactly at an interval's end is that
        end, which is the "due at the range end, not at the next opening" rule. Values
        beyond :attr:`reach` give :data:`NEVER`. For ``x <= 0`` the result lies at or
        before ``cover_start``; callers clamp it to their start.
        """
        x = np.asarray(business_seconds, dtype=np.int64)
        after = self.after
        i = np.searchsorted(after, x, side="left")
        beyond = i >= len(after)
        ic = np.minimum(i, len(after) - 1)
        found = self.starts[ic] + (x - self.before[ic])
        return np.where(beyond, NEVER, found)


def _offset_segments(zone: ZoneInfo, t0: int, t1: int) -> tuple[Int64Array, Int64Array]:
    """UTC offsets over ``[t0, t1]`` as segments: ``offsets[i]`` holds from ``starts[i]``.

    zoneinfo has no public list of transitions, so the offset is sampled daily and
    each change is located to the second by bisection. No time zone changes its
    offset twice within a day, which daily sampling relies on.
    """

    def offset(t: int) -> int:
        delta = datetime.fromtimestamp(t, tz=zone).utcoffset()
        return 0 if delta is None else int(delta.total_seconds())

    starts = [_FAR_PAST]
    offsets = [offset(t0)]
    previous = t0
    for sample in range(t0 + _DAY, t1 + _DAY, _DAY):
        current = offset(sample)
        if current != offsets[-1]:
            lo, hi = previous, sample  # offset(lo) == offsets[-1] != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == offsets[-1]:
                    lo = mid
                else:
                    hi = mid
            starts.append(hi)
            offsets.append(current)
        previous = sample
    return np.array(starts, dtype=np.int64), np.array(offsets, dtype=np.int64)


def _wall_to_utc(
    wall_lo: Int64Array, wall_hi: Int64Array, seg_starts: Int64Array, seg_offsets: Int64Array
) -> tuple[Int64Array, Int64Array]:
    """Map wall-clock ranges to the UTC intervals whose local time falls inside them.

    Within an offset segment ``[τ_i, τ_{i+1})`` local time is ``t + o_i``, so the
    instants of a wall range ``[w0, w1)`` there are ``[w0 - o_i, w1 - o_i) ∩ [τ_i,
    τ_{i+1})``. Wall times in a skipped hour have no instant; wall times repeated by
    a fall-back are counted twice, exactly as the wall-clock rule says.
    """
    seg_ends = np.append(seg_starts[1:], np.int64(2**62))
    los: list[Int64Array] = []
    his: list[Int64Array] = []
    for tau0, tau1, off in zip(seg_starts, seg_ends, seg_offsets, strict=True):
        # Only ranges meeting the segment's wall-clock image matter (both arrays sorted).
        j0 = int(np.searchsorted(wall_hi, tau0 + off, side="right"))
        j1 = int(np.searchsorted(wall_lo, tau1 + off, side="left"))
        lo = np.maximum(wall_lo[j0:j1] - off, tau0)
        hi = np.minimum(wall_hi[j0:j1] - off, tau1)
        keep = lo < hi
        los.append(lo[keep])
        his.append(hi[keep])
    lo_all = np.concatenate(los) if los else np.empty(0, dtype=np.int64)
    hi_all = np.concatenate(his) if his else np.empty(0, dtype=np.int64)
    order = np.argsort(lo_all, kind="stable")
    return lo_all[order], hi_all[order]


def _merge_touching(lo: Int64Array, hi: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Join intervals where one ends exactly where the next begins (e.g. 24:00 → 00:00)."""
    if len(lo) == 0:
        return lo, hi
    first = np.concatenate(([True], lo[1:] != hi[:-1]))
    heads = np.flatnonzero(first)
    tails = np.append(heads[1:] - 1, len(lo) - 1)
    return lo[heads], hi[tails]


# --------------------------------------------------------------------------- calendar


def _no_hours() -> tuple[DayHours, ...]:
    return ((),) * 7


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly hours, holidays and special days in one IANA time zone.

    ``hours`` has seven entries, Monday first; ``special_days`` replaces a date's
    hours entirely (a make-up working day, a half day, or ``()`` for a day off).

    >>> monday = [["08:30", "12:00"], ["13:30", "17:30"]]
    >>> cal = BusinessCalendar.from_json({"timezone": "Asia/Shanghai", "hours": {"mon": monday}})
    >>> start = parse_instant("2026-10-05T11:00:00+08:00", "start")
    >>> format_instant(cal.add(start, 90))  # 60 min before lunch, 30 after: 14:00 local
    '2026-10-05T06:00:00Z'
    >>> cal.between(start, parse_instant("2026-10-05T14:00:00+08:00", "end"))
    5400
    """

    timezone: str
    hours: tuple[DayHours, ...] = field(default_factory=_no_hours)
    holidays: frozenset[date] = frozenset()
    special_days: tuple[tuple[date, DayHours], ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _special: dict[date, DayHours] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError(
                "timezone", self.timezone, "is not a known time zone", code="calendar_timezone"
            ) from None
        if len(self.hours) != 7:
            raise CalendarError("hours", self.hours, "must have seven weekdays, Monday first")
        for name, ranges in zip(WEEKDAYS, self.hours, strict=True):
            check_day_hours(ranges, f"hours.{name}")
        special: dict[date, DayHours] = {}
        for day, ranges in self.special_days:
            if day in special:
                raise CalendarError(
                    "special_days", day.isoformat(), "is listed twice", code="calendar_day_twice"
                )
            check_day_hours(ranges, f"special_days.{day.isoformat()}")
            special[day] = ranges
        # Canonical order keeps equal calendars equal however they were built.
        object.__setattr__(self, "special_days", tuple(sorted(special.items())))
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_special", special)

    # ---------------------------------------------------------------- JSON

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> BusinessCalendar:
        """Parse and validate the calendar JSON of issue 6.

        Raises :class:`CalendarError` naming the field and the value: an unknown time
        zone, a malformed time, ranges out of order or overlapping, an impossible date.
        """
        if not isinstance(data, Mapping):
            raise CalendarError("calendar", data, "is not a JSON object", code="calendar_object")
        for key in data:
            if key not in _FIELDS:
                raise CalendarError(
                    str(key), data[key], "is not a calendar field", code="calendar_field"
                )
        if "timezone" not in data:
            raise CalendarError("timezone", None, "is missing", code="calendar_no_timezone")
        timezone = data["timezone"]
        if not isinstance(timezone, str) or not timezone:
            raise CalendarError(
                "timezone", timezone, "is not a known time zone", code="calendar_timezone"
            )
        raw_hours = data.get("hours", {})
        if not isinstance(raw_hours, Mapping):
            raise CalendarError(
                "hours", raw_hours, "is not an object of weekdays", code="calendar_hours"
            )
        for key in raw_hours:
            if key not in WEEKDAYS:
                raise CalendarError(
                    f"hours.{key}",
                    raw_hours[key],
                    "is not a weekday mon…sun",
                    code="calendar_weekday",
                )
        hours = tuple(
            parse_day_hours(raw_hours[name], f"hours.{name}") if name in raw_hours else ()
            for name in WEEKDAYS
        )
        raw_holidays = data.get("holidays", [])
        if not isinstance(raw_holidays, list):
            raise CalendarError(
                "holidays", raw_holidays, "is not a list of dates", code="calendar_holidays"
            )
        holidays = frozenset(
            parse_date(text, f"holidays[{i}]") for i, text in enumerate(raw_holidays)
        )
        raw_special = data.get("special_days", {})
        if not isinstance(raw_special, Mapping):
            raise CalendarError(
                "special_days",
                raw_special,
                "is not an object of dates",
                code="calendar_special_days",
            )
        special = tuple(
            (
                parse_date(key, f"special_days.{key}"),
                parse_day_hours(value, f"special_days.{key}"),
            )
            for key, value in raw_special.items()
        )
        return cls(timezone=timezone, hours=hours, holidays=holidays, special_days=special)

    def to_json(self) -> dict[str, object]:
        """The calendar JSON: all seven weekdays, sorted dates, ends of day as ``24:00``."""
        return {
            "timezone": self.timezone,
            "hours": {
                name: [r.to_json() for r in ranges]
                for name, ranges in zip(WEEKDAYS, self.hours, strict=True)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
            "special_days": {
                day.isoformat(): [r.to_json() for r in ranges] for day, ranges in self.special_days
            },
        }

    # ----------------------------------------------------------- questions

    def ranges_on(self, day: date) -> DayHours:
        """The wall-clock ranges of a local date: special day, else holiday, else weekday."""
        if day in self._special:
            return self._special[day]
        if day in self.holidays:
            return ()
        return self.hours[day.weekday()]

    def is_business_time(self, instant: datetime) -> bool:
        """Whether ``instant`` falls inside one of its local date's ranges."""
        local = instant.astimezone(self._zone)
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(r.start <= second < r.end for r in self.ranges_on(local.date()))

    def add(self, start: datetime, minutes: int) -> datetime:
        """The earliest instant ``T >= start`` with ``minutes`` of business time in ``[start, T)``.

        A target that runs out exactly at a range end is due at that range end.
        Raises :class:`CalendarError` when ``minutes`` is negative or not an integer,
        or when the calendar has too few business hours left to reach it.
        """
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise CalendarError("minutes", minutes, "is not a whole number of minutes >= 0")
        begin = to_epoch_seconds(start, "start")
        needed = minutes * 60
        index = self.index(begin, begin + 7 * _DAY, reach=needed)
        due = int(index.instants_at(np.array([needed], dtype=np.int64))[0])
        if due == NEVER:
            raise CalendarError(
                "minutes", minutes, f"business minutes never pass after {format_instant(start)}"
            )
        return from_epoch_seconds(max(begin, due))

    def between(self, a: datetime, b: datetime) -> int:
        """Business seconds in ``[a, b)``; 0 when ``b <= a``."""
        t0, t1 = to_epoch_seconds(a, "start"), to_epoch_seconds(b, "end")
        if t1 <= t0:
            return 0
        return self.index(t0, t1).total

    # --------------------------------------------------------------- index

    def has_hours_after(self, instant: int) -> bool:
        """Whether any business time may follow the UTC epoch second ``instant``."""
        if any(self.hours):
            return True
        # Only special days remain: look for one with hours on or after that date
        # (a day early, since the local date may lag the UTC date).
        day = date.fromordinal(_EPOCH_ORDINAL + instant // _DAY - 1)
        return any(ranges and d >= day for d, ranges in self.special_days)

    def index(self, start: int, end: int, reach: int = 0) -> BusinessTimeIndex:
        """A :class:`BusinessTimeIndex` covering UTC epoch seconds ``[start, end]``.

        With ``reach``, the covered period is extended (doubling) until it holds at
        least ``reach`` business seconds after ``start``, or until the calendar has no
        hours left; then ``instants_at`` answers every value up to ``reach``.
        """
        end = max(end, start)
        while True:
            index = self._build_index(start, end)
            if index.total >= reach or end >= _LAST_INSTANT or not self.has_hours_after(end):
                return index
            end = min(end + max(end - start, 14 * _DAY), _LAST_INSTANT)

    def _wall_ranges(self, first_day: int, last_day: int) -> tuple[Int64Array, Int64Array]:
        """Ranges of local dates ``first_day..last_day`` (epoch days) as wall-clock seconds.

        Wall-clock seconds treat local time as if it were UTC: ``day·86400 + second``.
        """
        days = np.arange(first_day, last_day + 1, dtype=np.int64)
        weekday = (days + _EPOCH_WEEKDAY) % 7
        exceptional = [d.toordinal() - _EPOCH_ORDINAL for d in (*self.holidays, *self._special)]
        regular = ~np.isin(days, np.array(exceptional, dtype=np.int64))
        los: list[Int64Array] = []
        his: list[Int64Array] = []
        for wd, ranges in enumerate(self.hours):
            base = days[(weekday == wd) & regular] * _DAY
            for r in ranges:
                los.append(base + r.start)
                his.append(base + r.end)
        for day, ranges in self.special_days:
            number = day.toordinal() - _EPOCH_ORDINAL
            if first_day <= number <= last_day:
                for r in ranges:
                    los.append(np.array([number * _DAY + r.start], dtype=np.int64))
                    his.append(np.array([number * _DAY + r.end], dtype=np.int64))
        if not los:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        lo, hi = np.concatenate(los), np.concatenate(his)
        order = np.argsort(lo, kind="stable")
        return lo[order], hi[order]

    def business_intervals(
        self, first_day: int, last_day: int
    ) -> tuple[Int64Array, Int64Array, Int64Array]:
        """The business intervals of local dates ``first_day..last_day`` (epoch days).

        Returns ``(starts, ends, before)`` in UTC epoch seconds, led by an empty sentinel
        interval far in the past, with ``before[i]`` the business seconds before
        ``starts[i]``: the arrays of a :class:`BusinessTimeIndex` before it is re-based.
        The result depends on the calendar and the two days only, so a caller may
        remember it (``services.sla_clock`` does, per calendar and process); callers
        must not modify the arrays.
        """
        wall_lo, wall_hi = self._wall_ranges(first_day, last_day)
        seg_starts, seg_offsets = _offset_segments(
            self._zone, (first_day - 1) * _DAY, (last_day + 2) * _DAY
        )
        lo, hi = _merge_touching(*_wall_to_utc(wall_lo, wall_hi, seg_starts, seg_offsets))
        starts = np.concatenate(([_FAR_PAST], lo)).astype(np.int64)
        ends = np.concatenate(([_FAR_PAST], hi)).astype(np.int64)
        lengths = ends - starts
        before = np.cumsum(lengths) - lengths
        return starts, ends, before

    def _build_index(self, start: int, end: int) -> BusinessTimeIndex:
        # Local dates lag or lead UTC by at most a day; two days of margin each side
        # make every interval touching [start, end] complete.
        starts, ends, before = self.business_intervals(start // _DAY - 2, end // _DAY + 2)
        raw = BusinessTimeIndex(start, end, starts, ends, before)
        # Re-base so that B(cover_start) = 0: callers then ask for "reach" directly.
        origin = int(raw.business_seconds_at(np.array([start], dtype=np.int64))[0])
        return BusinessTimeIndex(start, end, starts, ends, before - origin)
