"""Hypothesis properties of business-time arithmetic, checked against a brute-force oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.domain.calendar import BusinessCalendar

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]
CALENDARS = [
    BusinessCalendar.from_json(
        {
            "timezone": "Asia/Shanghai",
            "hours": {d: WORKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-10-01", "2026-10-02", "2026-10-05"],
            "special_days": {"2026-10-11": WORKDAY, "2026-12-24": [["08:30", "12:00"]]},
        }
    ),
    BusinessCalendar.from_json(
        {
            "timezone": "Europe/Berlin",
            "hours": {
                "mon": [["09:00", "17:00"]],
                "fri": [["07:00", "12:00"], ["12:30", "16:00"]],
                "sun": [["01:30", "03:30"]],
            },
        }
    ),
    BusinessCalendar.from_json(
        {
            "timezone": "America/New_York",
            "hours": {"sat": [["00:00", "24:00"]], "sun": [["00:00", "02:30"], ["22:00", "23:59"]]},
        }
    ),
]
# 2026 with both DST changes of Berlin and New York and the Chinese holidays inside.
START = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.integers(0, 364 * 86_400).map(lambda s: START + timedelta(seconds=s))
minute_instants = st.integers(0, 364 * 1_440).map(lambda m: START + timedelta(minutes=m))
calendars = st.sampled_from(CALENDARS)


@given(calendars, instants, st.integers(0, 20_000))
def test_between_of_add_is_the_minutes(calendar: BusinessCalendar, a: datetime, m: int) -> None:
    assert calendar.between(a, calendar.add(a, m)) == 60 * m


@given(calendars, instants, st.integers(0, 5_000), st.integers(0, 5_000))
def test_add_is_monotone_in_minutes(
    calendar: BusinessCalendar, a: datetime, m1: int, m2: int
) -> None:
    lo, hi = sorted((m1, m2))
    assert a <= calendar.add(a, lo) <= calendar.add(a, hi)


@given(calendars, instants, st.integers(1, 5_000))
def test_add_is_the_earliest_instant(calendar: BusinessCalendar, a: datetime, m: int) -> None:
    due = calendar.add(a, m)
    assert calendar.between(a, due - timedelta(seconds=1)) < 60 * m


@given(calendars, instants, instants, instants)
def test_between_is_additive(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)


@settings(max_examples=40, deadline=None)
@given(calendars, minute_instants, st.integers(0, 3 * 1_440))
def test_between_matches_minute_by_minute_oracle(
    calendar: BusinessCalendar, a: datetime, minutes: int
) -> None:
    # Every range bound and every DST change sits on a whole minute, so stepping minute
    # by minute and asking "is this instant business time?" (zoneinfo's own local time)
    # counts the business minutes independently of the index.
    b = a + timedelta(minutes=minutes)
    expected = sum(
        60 for k in range(minutes) if calendar.is_business_time(a + timedelta(minutes=k))
    )
    assert calendar.between(a, b) == expected
