"""The rules of login throttling: user locks, their expiry, and waits per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchpoint.domain.login_throttle import (
    LoginPolicy,
    UserLock,
    address_retry_after,
    seconds_until,
)

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
POLICY = LoginPolicy()


def _fail(lock: UserLock, times: int, now: datetime = T0) -> UserLock:
    for _ in range(times):
        lock = lock.after_failure(now, POLICY)
    return lock


def test_the_defaults_are_ten_failures_fifteen_minutes_and_thirty_per_address() -> None:
    assert (POLICY.max_failures, POLICY.lock_minutes) == (10, 15)
    assert POLICY.max_failures_per_address == 30
    assert POLICY.address_window == timedelta(minutes=10)


def test_the_tenth_consecutive_failure_locks_for_fifteen_minutes() -> None:
    nine = _fail(UserLock(), 9)
    assert nine == UserLock(9, None) and not nine.locked_at(T0)
    ten = nine.after_failure(T0, POLICY)
    assert ten == UserLock(10, T0 + timedelta(minutes=15))
    assert ten.locked_at(T0) and ten.retry_after(T0) == 900
    assert ten.locked_at(T0 + timedelta(minutes=14, seconds=59.5))
    assert ten.retry_after(T0 + timedelta(minutes=14, seconds=59.5)) == 1
    assert not ten.locked_at(T0 + timedelta(minutes=15))


def test_a_failure_during_a_lock_is_counted_but_does_not_lengthen_it() -> None:
    locked = _fail(UserLock(), 10)
    later = locked.after_failure(T0 + timedelta(minutes=5), POLICY)
    assert later == UserLock(11, locked.locked_until)


def test_after_a_lock_runs_out_the_count_starts_afresh() -> None:
    locked = _fail(UserLock(), 10)
    after = T0 + timedelta(minutes=16)
    one = locked.after_failure(after, POLICY)
    assert one == UserLock(1, None) and not one.locked_at(after)
    assert _fail(one, 9, after).locked_until == after + timedelta(minutes=15)


def test_retry_after_needs_a_lock() -> None:
    with pytest.raises(ValueError, match="not locked"):
        UserLock(3, None).retry_after(T0)


def test_seconds_are_rounded_up_and_never_zero() -> None:
    assert seconds_until(T0 + timedelta(seconds=1.2), T0) == 2
    assert seconds_until(T0, T0) == 1
    assert seconds_until(T0 - timedelta(seconds=5), T0) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_failures", 0),
        ("lock_minutes", 0),
        ("max_failures_per_address", 0),
        ("address_window", timedelta(0)),
    ],
)
def test_a_policy_refuses_limits_that_would_lock_everyone(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        LoginPolicy(**{field: value})  # type: ignore[arg-type]


def test_an_address_waits_only_with_more_failures_than_the_limit_in_the_window() -> None:
    policy = LoginPolicy(max_failures_per_address=3)
    assert address_retry_after([], T0, policy) is None
    three = [T0, T0, T0]
    assert address_retry_after(three, T0, policy) is None
    four = [T0, T0 - timedelta(minutes=1), T0 - timedelta(minutes=2), T0 - timedelta(minutes=3)]
    # Free once the oldest of the four leaves the window: 10 - 3 minutes from now.
    assert address_retry_after(four, T0, policy) == 7 * 60
    # Failures older than the window do not count.
    stale = [T0, T0, T0, T0 - timedelta(minutes=10)]
    assert address_retry_after(stale, T0, policy) is None


@given(
    ages=st.lists(st.integers(min_value=0, max_value=900), max_size=12),
    limit=st.integers(min_value=1, max_value=6),
)
def test_after_the_wait_the_address_may_try_again(ages: list[int], limit: int) -> None:
    policy = LoginPolicy(max_failures_per_address=limit)
    failures = sorted((T0 - timedelta(seconds=a) for a in ages), reverse=True)
    wait = address_retry_after(failures, T0, policy)
    in_window = [f for f in failures if f > T0 - policy.address_window]
    assert (wait is None) == (len(in_window) <= limit)
    if wait is not None:
        assert 1 <= wait <= 600
        later = T0 + timedelta(seconds=wait)
        assert address_retry_after(failures, later, policy) is None
        just_before = later - timedelta(seconds=1)
        assert address_retry_after(failures, just_before, policy) is not None
