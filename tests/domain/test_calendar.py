"""Business calendar of issue 6: hand-worked ``add``/``between`` values, DST, validation."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from touchpoint.domain.calendar import (
    BusinessCalendar,
    CalendarError,
    format_instant,
    parse_instant,
    to_epoch_seconds,
)

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]  # split shift with a lunch break: 7.5 h

# Shanghai desk: split shifts Mon–Fri, Saturday mornings, National Day week off,
# Saturday 2026-10-10 a make-up working day (调休) and Christmas Eve a half day.
SHANGHAI = BusinessCalendar.from_json(
    {
        "timezone": "Asia/Shanghai",
        "hours": {d: WORKDAY for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": [["09:00", "12:00"]]},
        "holidays": [f"2026-10-0{d}" for d in range(1, 8)],
        "special_days": {"2026-10-10": WORKDAY, "2026-12-24": [["08:30", "12:00"]]},
    }
)
BERLIN_OFFICE = BusinessCalendar.from_json(
    {"timezone": "Europe/Berlin", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "fri")}}
)
BERLIN_24 = BusinessCalendar.from_json(
    {
        "timezone": "Europe/Berlin",
        "hours": {"sat": [["00:00", "24:00"]], "sun": [["00:00", "24:00"]]},
    }
)
# Sunday nights only, across the hour that DST skips or repeats.
BERLIN_NIGHT = BusinessCalendar.from_json(
    {"timezone": "Europe/Berlin", "hours": {"sun": [["01:30", "03:30"]]}}
)
NEW_YORK = BusinessCalendar.from_json(
    {
        "timezone": "America/New_York",
        "hours": {
            "mon": [["09:00", "17:00"]],
            "fri": [["09:00", "17:00"]],
            "sun": [["01:00", "02:00"]],
        },
    }
)
NEW_YORK_24 = BusinessCalendar.from_json(
    {"timezone": "America/New_York", "hours": {"sun": [["00:00", "23:59"]]}}
)


def at(text: str) -> datetime:
    return parse_instant(text, "test")


ADD_CASES = [
    # (calendar, start, minutes, expected due (UTC), working)
    (
        SHANGHAI,
        "2026-09-28T11:00:00+08:00",
        60,
        "2026-09-28T04:00:00Z",
        "Mon 11:00 + 60 runs out exactly at the lunch break: due 12:00 local, not 13:30",
    ),
    (
        SHANGHAI,
        "2026-09-28T11:00:00+08:00",
        90,
        "2026-09-28T06:00:00Z",
        "60 before lunch, 30 after 13:30: 14:00 local = 06:00Z",
    ),
    (
        SHANGHAI,
        "2026-09-28T16:30:00+08:00",
        60,
        "2026-09-28T09:30:00Z",
        "runs out exactly at closing 17:30 local: due at closing, not Tue 08:30",
    ),
    (
        SHANGHAI,
        "2026-09-28T16:30:00+08:00",
        61,
        "2026-09-29T00:31:00Z",
        "60 until closing, 1 more from Tue 08:30: 08:31 local = 00:31Z",
    ),
    (
        SHANGHAI,
        "2026-09-28T07:00:00+08:00",
        30,
        "2026-09-28T01:00:00Z",
        "created before opening: counts from 08:30, due 09:00 local",
    ),
    (
        SHANGHAI,
        "2026-09-28T12:15:00+08:00",
        15,
        "2026-09-28T05:45:00Z",
        "created in the lunch break: 13:30 + 15 = 13:45 local",
    ),
    (
        SHANGHAI,
        "2026-09-30T17:00:00+08:00",
        60,
        "2026-10-08T01:00:00Z",
        "Wed 30 min to closing; Oct 1–7 holidays (Sat 3rd too); Thu 8th 08:30 + 30 = 09:00",
    ),
    (
        SHANGHAI,
        "2026-10-09T17:00:00+08:00",
        60,
        "2026-10-10T01:00:00Z",
        "Fri 30 min; make-up Saturday opens 08:30 (not 09:00): 09:00 local",
    ),
    (
        SHANGHAI,
        "2026-12-24T11:00:00+08:00",
        90,
        "2026-12-25T01:00:00Z",
        "half day ends 12:00 after 60; Fri 25th 08:30 + 30 = 09:00 local",
    ),
    (
        SHANGHAI,
        "2026-09-26T11:30:00+08:00",
        60,
        "2026-09-28T01:00:00Z",
        "Sat 30 min to 12:00, Sunday closed, Mon 08:30 + 30 = 09:00 local",
    ),
    (
        SHANGHAI,
        "2026-09-27T10:00:00+08:00",
        0,
        "2026-09-27T02:00:00Z",
        "zero minutes: the start itself, even outside hours",
    ),
    (
        SHANGHAI,
        "2026-09-28T08:00:00Z",
        450,
        "2026-09-29T08:00:00Z",
        "UTC start = Mon 16:00 local: 90 Mon, Tue 08:30–12:00 210, 13:30–16:00 150 → 16:00",
    ),
    (
        BERLIN_24,
        "2026-03-29T00:00:00+01:00",
        180,
        "2026-03-29T02:00:00Z",
        "DST day: 00:00–02:00 CET = 2 h, 02:00 jumps to 03:00 CEST, +1 h: 04:00 CEST = 02:00Z",
    ),
    (
        BERLIN_OFFICE,
        "2026-03-27T16:00:00+01:00",
        120,
        "2026-03-30T08:00:00Z",
        "Fri 60 min in CET; Mon 30 Mar 09:00 CEST + 60 = 10:00 CEST = 08:00Z",
    ),
    (
        BERLIN_NIGHT,
        "2026-03-29T00:00:00+01:00",
        60,
        "2026-03-29T01:30:00Z",
        "spring-forward Sunday: 01:30–02:00 CET = 00:30Z–01:00Z, 02:00–03:00 does not exist, "
        "03:00–03:30 CEST = 01:00Z–01:30Z: 60 min in all, the last second at 01:30Z",
    ),
    (
        BERLIN_NIGHT,
        "2026-03-29T00:00:00+01:00",
        61,
        "2026-04-04T23:31:00Z",
        "one minute more: next Sunday 01:30 CEST = Sat 23:30Z, + 1",
    ),
    (
        BERLIN_NIGHT,
        "2026-10-25T00:00:00+02:00",
        150,
        "2026-10-25T02:00:00Z",
        "fall-back Sunday: local 01:30–03:30 spans 23:30Z–02:30Z (180 min: 02:00–03:00 is "
        "lived twice); 23:30Z + 150 = 02:00Z (03:00 CET)",
    ),
    (
        NEW_YORK,
        "2026-10-30T16:30:00-04:00",
        60,
        "2026-11-01T05:30:00Z",
        "Fri 16:30–17:00 EDT = 30; Sun 1 Nov 01:00 EDT = 05:00Z, + 30 = 05:30Z",
    ),
    (
        NEW_YORK,
        "2026-10-30T16:30:00-04:00",
        150,
        "2026-11-01T07:00:00Z",
        "Sun 01:00–02:00 EDT (05–06Z) and again 01:00–02:00 EST (06–07Z): 120 min; 30 + 120 "
        "runs out at the range end 07:00Z",
    ),
    (
        NEW_YORK,
        "2026-10-30T16:30:00-04:00",
        151,
        "2026-11-02T14:01:00Z",
        "one more: Mon 09:00 EST = 14:00Z, + 1",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "minutes", "expected", "working"), ADD_CASES)
def test_add(
    calendar: BusinessCalendar, start: str, minutes: int, expected: str, working: str
) -> None:
    assert format_instant(calendar.add(at(start), minutes)) == expected, working


BETWEEN_CASES = [
    # (calendar, a, b, seconds, working)
    (
        SHANGHAI,
        "2026-09-28T08:00:00+08:00",
        "2026-09-29T10:00:00+08:00",
        32_400,
        "Mon 3.5 h + 4 h = 450 min, Tue 08:30–10:00 = 90: 540 min",
    ),
    (SHANGHAI, "2026-09-28T12:00:00+08:00", "2026-09-28T13:30:00+08:00", 0, "lunch break"),
    (
        SHANGHAI,
        "2026-09-30T08:30:00+08:00",
        "2026-10-08T08:30:00+08:00",
        27_000,
        "Wed 450 min; Oct 1–7 holidays, Saturday 3rd included",
    ),
    (
        SHANGHAI,
        "2026-10-09T08:30:00+08:00",
        "2026-10-12T08:30:00+08:00",
        54_000,
        "Fri 450 + make-up Sat 10th 450 (no Saturday 09:00–12:00 that day) = 900 min",
    ),
    (
        SHANGHAI,
        "2026-12-24T00:00:00+08:00",
        "2026-12-25T00:00:00+08:00",
        12_600,
        "half day 08:30–12:00 = 210 min",
    ),
    (
        SHANGHAI,
        "2026-09-28T11:59:30+08:00",
        "2026-09-28T13:30:45+08:00",
        75,
        "30 s before lunch, 45 s after: to the second",
    ),
    (SHANGHAI, "2026-09-29T10:00:00+08:00", "2026-09-28T10:00:00+08:00", 0, "b before a"),
    (
        BERLIN_24,
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        82_800,
        "spring-forward Sunday 00:00–24:00 lasts 23 h",
    ),
    (
        BERLIN_24,
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        90_000,
        "fall-back Sunday 00:00–24:00 lasts 25 h",
    ),
    (
        BERLIN_NIGHT,
        "2026-03-28T12:00:00Z",
        "2026-03-30T00:00:00Z",
        3_600,
        "01:30–03:30 with 02:00–03:00 skipped: 60 min",
    ),
    (
        BERLIN_NIGHT,
        "2026-10-24T12:00:00Z",
        "2026-10-26T00:00:00Z",
        10_800,
        "01:30–03:30 with 02:00–03:00 repeated: 180 min",
    ),
    (BERLIN_NIGHT, "2026-10-17T12:00:00Z", "2026-10-19T00:00:00Z", 7_200, "ordinary Sunday"),
    (
        NEW_YORK,
        "2026-03-07T12:00:00Z",
        "2026-03-09T00:00:00Z",
        3_600,
        "spring-forward at 02:00: 01:00–02:00 EST still exists, 60 min",
    ),
    (
        NEW_YORK,
        "2026-10-31T12:00:00Z",
        "2026-11-02T00:00:00Z",
        7_200,
        "fall-back: 01:00–02:00 lived twice, 120 min",
    ),
    (
        NEW_YORK_24,
        "2026-11-01T00:00:00-04:00",
        "2026-11-02T00:00:00-05:00",
        90_000,
        "00:00–23:59 means the whole day: 25 h on the fall-back Sunday",
    ),
    (
        NEW_YORK_24,
        "2026-03-08T00:00:00-05:00",
        "2026-03-09T00:00:00-04:00",
        82_800,
        "23 h on the spring-forward Sunday",
    ),
]


@pytest.mark.parametrize(("calendar", "a", "b", "seconds", "working"), BETWEEN_CASES)
def test_between(calendar: BusinessCalendar, a: str, b: str, seconds: int, working: str) -> None:
    assert calendar.between(at(a), at(b)) == seconds, working


def test_vectorised_index_matches_scalar_between() -> None:
    # B(b) - B(a) from one index over a month equals between() for each pair.
    instants = [
        at("2026-09-26T10:00:00+08:00"),
        at("2026-09-28T11:59:30+08:00"),
        at("2026-09-30T17:00:00+08:00"),
        at("2026-10-10T09:00:00+08:00"),
        at("2026-10-20T00:00:00Z"),
    ]
    seconds = np.array([to_epoch_seconds(t) for t in instants])
    index = SHANGHAI.index(int(seconds.min()), int(seconds.max()))
    b = index.business_seconds_at(seconds)
    for i in range(len(instants)):
        for j in range(i, len(instants)):
            assert b[j] - b[i] == SHANGHAI.between(instants[i], instants[j])
    # and the inverse of B(start) + 60·m is add(start, m) for m > 0
    due = index.instants_at(b[:-1] + 60 * 61)
    for i, instant in enumerate(instants[:-1]):
        assert due[i] == to_epoch_seconds(SHANGHAI.add(instant, 61))


def test_fraction_of_a_second_is_dropped() -> None:
    assert (
        SHANGHAI.between(at("2026-09-28T09:00:00.900+08:00"), at("2026-09-28T09:00:02.100+08:00"))
        == 2
    )  # floor of each instant: 09:00:00 → 09:00:02


def test_is_business_time_boundaries() -> None:
    assert SHANGHAI.is_business_time(at("2026-09-28T08:30:00+08:00"))  # start included
    assert not SHANGHAI.is_business_time(at("2026-09-28T12:00:00+08:00"))  # end excluded
    assert not SHANGHAI.is_business_time(at("2026-10-03T10:00:00+08:00"))  # holiday Sat
    assert SHANGHAI.is_business_time(at("2026-10-10T14:00:00+08:00"))  # make-up day


def test_json_round_trip_and_canonical_form() -> None:
    data = {
        "timezone": "Asia/Shanghai",
        "hours": {"mon": [["08:30", "12:00"], ["13:30", "23:59"]]},
        "holidays": ["2026-10-02", "2026-10-01"],
        "special_days": {"2026-12-24": [["08:30", "12:00"]], "2026-10-11": []},
    }
    calendar = BusinessCalendar.from_json(data)
    assert calendar.to_json() == {
        "timezone": "Asia/Shanghai",
        "hours": {
            "mon": [["08:30", "12:00"], ["13:30", "24:00"]],
            "tue": [],
            "wed": [],
            "thu": [],
            "fri": [],
            "sat": [],
            "sun": [],
        },
        "holidays": ["2026-10-01", "2026-10-02"],
        "special_days": {"2026-10-11": [], "2026-12-24": [["08:30", "12:00"]]},
    }
    assert BusinessCalendar.from_json(calendar.to_json()) == calendar


def test_a_special_day_without_ranges_is_a_day_off() -> None:
    calendar = BusinessCalendar.from_json(
        {
            "timezone": "UTC",
            "hours": {"mon": [["09:00", "17:00"]]},
            "special_days": {"2026-09-28": []},
        }
    )
    assert calendar.between(at("2026-09-28T00:00:00Z"), at("2026-09-29T00:00:00Z")) == 0


BAD_CALENDARS = [
    ({"timezone": "Mars/Olympus", "hours": {}}, "timezone", "Mars/Olympus"),
    ({"timezone": "", "hours": {}}, "timezone", ""),
    ({"hours": {}}, "timezone", None),
    ({"timezone": "UTC", "hours": {"mon": [["8:30", "12:00"]]}}, "hours.mon[0][0]", "8:30"),
    ({"timezone": "UTC", "hours": {"mon": [["08:30", "25:00"]]}}, "hours.mon[0][1]", "25:00"),
    ({"timezone": "UTC", "hours": {"mon": [["08:61", "12:00"]]}}, "hours.mon[0][0]", "08:61"),
    ({"timezone": "UTC", "hours": {"mon": [["24:00", "24:00"]]}}, "hours.mon[0][0]", "24:00"),
    (
        {"timezone": "UTC", "hours": {"mon": [["12:00", "08:00"]]}},
        "hours.mon[0]",
        ["12:00", "08:00"],
    ),
    (
        {"timezone": "UTC", "hours": {"tue": [["08:00", "12:00"], ["11:00", "13:00"]]}},
        "hours.tue[1]",
        ["11:00", "13:00"],
    ),
    (
        {"timezone": "UTC", "hours": {"tue": [["13:00", "17:00"], ["08:00", "12:00"]]}},
        "hours.tue[1]",
        ["08:00", "12:00"],
    ),
    ({"timezone": "UTC", "hours": {"monday": []}}, "hours.monday", []),
    ({"timezone": "UTC", "hours": {}, "holidays": ["2026-02-30"]}, "holidays[0]", "2026-02-30"),
    ({"timezone": "UTC", "hours": {}, "holidays": ["2026-1-5"]}, "holidays[0]", "2026-1-5"),
    (
        {"timezone": "UTC", "hours": {}, "special_days": {"2026-13-01": []}},
        "special_days.2026-13-01",
        "2026-13-01",
    ),
    (
        {"timezone": "UTC", "hours": {}, "special_days": {"2026-10-11": [["09:00", "09:00"]]}},
        "special_days.2026-10-11[0]",
        ["09:00", "09:00"],
    ),
    ({"timezone": "UTC", "hours": {}, "holiday": []}, "holiday", []),
    ({"timezone": "UTC", "hours": {"mon": "08:00-12:00"}}, "hours.mon", "08:00-12:00"),
]


@pytest.mark.parametrize(("data", "field", "value"), BAD_CALENDARS)
def test_bad_calendar_names_field_and_value(
    data: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar.from_json(data)
    assert raised.value.field == field
    assert raised.value.value == value
    assert str(raised.value).startswith(f"{field}: {value!r} ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-09-28T08:30:00", "naive"),
        ("2026-09-28", "naive"),
        ("2026-09-28T25:00:00Z", "not an ISO 8601"),
        ("yesterday", "not an ISO 8601"),
    ],
)
def test_parse_instant_rejects(text: str, problem: str) -> None:
    with pytest.raises(CalendarError, match=problem):
        parse_instant(text, "START")


def test_add_rejects_negative_minutes_and_an_exhausted_calendar() -> None:
    with pytest.raises(CalendarError, match="minutes: -1"):
        SHANGHAI.add(at("2026-09-28T08:30:00+08:00"), -1)
    only_one_day = BusinessCalendar.from_json(
        {"timezone": "UTC", "hours": {}, "special_days": {"2026-10-11": [["09:00", "10:00"]]}}
    )
    start = at("2026-10-01T00:00:00Z")
    assert format_instant(only_one_day.add(start, 60)) == "2026-10-11T10:00:00Z"
    with pytest.raises(CalendarError, match="never pass"):
        only_one_day.add(start, 61)
