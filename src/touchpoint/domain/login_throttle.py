"""Rules of login throttling: when a user is locked, and when a client address must wait.

After ``max_failures`` consecutive failed logins a user is locked for ``lock_minutes``;
a successful login (or an admin) clears the count. A client address with more than
``max_failures_per_address`` failures within ``address_window`` waits until no more
than that many remain in the window. Both waits are told to the client in whole seconds
(HTTP ``Retry-After``). Pure rules: ``now`` is always a parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LoginPolicy", "UserLock", "address_retry_after", "seconds_until"]


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failures lock a user or hold up an address, and for how long."""

    max_failures: int = 10
    lock_minutes: float = 15
    max_failures_per_address: int = 30
    address_window: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures: {self.max_failures} must be at least 1")
        if self.lock_minutes <= 0:
            raise ValueError(f"lock_minutes: {self.lock_minutes} must be positive")
        if self.max_failures_per_address < 1:
            raise ValueError(
                f"max_failures_per_address: {self.max_failures_per_address} must be at least 1"
            )
        if self.address_window <= timedelta(0):
            raise ValueError(f"address_window: {self.address_window} must be positive")

    @property
    def lock_duration(self) -> timedelta:
        """How long a user stays locked after the failure that locked it."""
        return timedelta(minutes=self.lock_minutes)


def seconds_until(until: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``until``, rounded up and at least 1 (a client told
    to retry after 0 seconds would come straight back while the wait still holds)."""
    return max(1, math.ceil((until - now).total_seconds()))


@dataclass(frozen=True, slots=True)
class UserLock:
    """A user's throttling state as stored: consecutive failures and the lock's end."""

    failed_logins: int = 0
    locked_until: datetime | None = None

    def locked_at(self, now: datetime) -> bool:
        """Whether logins are refused at ``now`` (the lock ends at ``locked_until``)."""
        return self.locked_until is not None and now < self.locked_until

    def retry_after(self, now: datetime) -> int:
        """Seconds until the lock ends (call only while :meth:`locked_at`)."""
        if self.locked_until is None:
            raise ValueError("retry_after: the user is not locked")
        return seconds_until(self.locked_until, now)

    def after_failure(self, now: datetime, policy: LoginPolicy) -> UserLock:
        """The state after one more failed login at ``now``.

        A lock that has run out starts the count afresh: the user gets ``max_failures``
        new tries, rather than being locked again by the first wrong password. The
        failure that reaches ``max_failures`` locks the user from ``now``; one during a
        lock (an attempt already under way when the lock began) is counted but does
        not lengthen it.
        """
        if self.locked_at(now):
            return UserLock(self.failed_logins + 1, self.locked_until)
        expired = self.locked_until is not None  # and not in force: it has run out
        failures = (0 if expired else self.failed_logins) + 1
        if failures >= policy.max_failures:
            return UserLock(failures, now + policy.lock_duration)
        return UserLock(failures)

    @property
    def clear(self) -> bool:
        """Whether there is nothing to reset (no failure counted, no lock)."""
        return self.failed_logins == 0 and self.locked_until is None


def address_retry_after(
    latest_failures: list[datetime], now: datetime, policy: LoginPolicy
) -> int | None:
    """Seconds an address must wait, or ``None`` when it may try now.

    ``latest_failures`` are the address's most recent failure instants, newest first;
    only the first ``max_failures_per_address + 1`` matter. More than the limit within
    the window ending at ``now`` make the address wait until no more than the limit
    remain in it: until the oldest of the newest ``limit + 1`` leaves the window.
    """
    limit = policy.max_failures_per_address
    window_start = now - policy.address_window
    recent = [at for at in latest_failures[: limit + 1] if at > window_start]
    if len(recent) <= limit:
        return None
    return seconds_until(min(recent) + policy.address_window, now)
