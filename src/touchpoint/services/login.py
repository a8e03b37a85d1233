"""Logging in, throttled: user locks, waits per client address, audited failures.

A login is three steps, so that the argon2 check runs apart from the database and in a
bounded pool (:class:`LoginGate`):

1. :func:`begin_login` refuses the attempt (``LoginThrottled``, audited) while the
   client address or the user must wait, else gives the hash to check.
2. :meth:`LoginGate.verify` checks the password in the pool.
3. :func:`finish_login` counts a failure (locking the user at the limit) and records it
   for the address, or clears the count of a user who got in; both audited.

The counts live in the database (``users.failed_logins``, ``users.locked_until``,
``login_failures``), so they hold across worker processes and restarts. Passwords are
never written anywhere, audit rows included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, ParamSpec, Protocol, TypeVar

from anyio import CapacityLimiter, to_thread
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from touchpoint.domain.login_throttle import LoginPolicy, UserLock, address_retry_after
from touchpoint.domain.roles import Role
from touchpoint.services.auth import verify_password
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.services.errors import AuthenticationError, LoginThrottled
from touchpoint.storage.models import LoginFailure, User

__all__ = [
    "LoginAttempt",
    "LoginGate",
    "Runner",
    "begin_login",
    "finish_login",
    "unlock_user",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Who a login attempt's audit rows name: nobody has signed in yet.
_ANONYMOUS = Actor(user_id=None, username="anonymous", role=Role.ANALYST)
_WRONG = "unknown user or wrong password"
_ADDRESS_CHARS = 64  # login_failures.address
_AUDIT_ID_CHARS = 40  # audit_log.entity_id
_PRUNE_EVERY = 256  # every so many recorded failures, drop those older than the window

_USERS = User.metadata.tables[User.__tablename__]
_FAILURES = LoginFailure.metadata.tables[LoginFailure.__tablename__]
_USER_BY_NAME = select(
    _USERS.c.id,
    _USERS.c.password_hash,
    _USERS.c.active,
    _USERS.c.failed_logins,
    _USERS.c.locked_until,
).where(_USERS.c.username == bindparam("username"))
_LOCK_OF = select(_USERS.c.failed_logins, _USERS.c.locked_until).where(
    _USERS.c.id == bindparam("uid")
)
# The newest failures of one address inside the window: (address, at) index only.
_ADDRESS_FAILURES = (
    select(_FAILURES.c.at)
    .where(_FAILURES.c.address == bindparam("address"), _FAILURES.c.at > bindparam("since"))
    .order_by(_FAILURES.c.at.desc())
    .limit(bindparam("n"))
)
_SET_LOCK = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("uid"))
    .values(failed_logins=bindparam("failed"), locked_until=bindparam("until"))
)
_CLEAR_UNLESS_LOCKED = _SET_LOCK.where(
    or_(_USERS.c.locked_until.is_(None), _USERS.c.locked_until <= bindparam("now"))
)
_INSERT_FAILURE = insert(_FAILURES)
_PRUNE_FAILURES = delete(_FAILURES).where(_FAILURES.c.at <= bindparam("before"))


# What an unknown username's password is checked against, so that its answer takes as
# long as a known one's (the time tells nobody which usernames exist). An argon2id hash
# with the hasher's parameters, of a random password thrown away; which password it is
# matters not: an unknown username fails whatever it is.
_DECOY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$l4KVF6gq39kykF7P67jkEg$"
    "82vANosXspMD2bo9VSq9fvd7iJgactckmELIUr412dU"
)


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A login attempt let through to the password check."""

    username: str
    address: str
    user_id: int | None  # None: no such user
    password_hash: str
    active: bool


def _address(address: str) -> str:
    return address[:_ADDRESS_CHARS] or "unknown"


def begin_login(
    session: Session, username: str, address: str, *, now: datetime, policy: LoginPolicy
) -> LoginAttempt:
    """Let an attempt through to the password check, or refuse it with
    ``LoginThrottled`` (audited: ``auth.login_throttled`` for an address that must
    wait, ``auth.login_locked`` for a locked user) whatever its password.

    The read ends its transaction, so that no connection is held while the password
    waits for the pool.
    """
    address = _address(address)
    connection = session.connection()
    latest = connection.execute(
        _ADDRESS_FAILURES,
        {
            "address": address,
            "since": now - policy.address_window,
            "n": policy.max_failures_per_address + 1,
        },
    ).scalars()
    wait = address_retry_after(list(latest), now, policy)
    row = connection.execute(_USER_BY_NAME, {"username": username}).first()
    session.rollback()
    details = {"username": username, "address": address}
    if wait is not None:
        entity_id = address[:_AUDIT_ID_CHARS]  # the whole address is in the details
        _audit_refusal(session, "auth.login_throttled", "address", entity_id, details, now)
        raise LoginThrottled(
            f"too many failed logins from this address; retry after {wait} s",
            retry_after=wait,
            code="login_address_throttled",
        )
    if row is None:
        return LoginAttempt(username, address, None, _DECOY_HASH, active=False)
    lock = UserLock(row.failed_logins, row.locked_until)
    if lock.locked_at(now):
        _refuse_locked(session, row.id, lock, details, now)
    return LoginAttempt(username, address, row.id, row.password_hash, active=row.active)


def _audit_refusal(
    session: Session,
    action: str,
    entity: str,
    entity_id: object,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """The audit row of a refused attempt (nothing else is written)."""
    with write(session, _ANONYMOUS, action, now=now) as unit:
        unit.audit(entity, entity_id, before=None, after=details)


def _refuse_locked(
    session: Session, user_id: int, lock: UserLock, details: dict[str, Any], now: datetime
) -> NoReturn:
    """Audit an attempt on a locked user and raise ``LoginThrottled``."""
    wait = lock.retry_after(now)
    after = {**details, "locked_until": lock.locked_until, "retry_after": wait}
    _audit_refusal(session, "auth.login_locked", "user", user_id, after, now)
    raise _user_locked(wait)


def _user_locked(wait: int) -> LoginThrottled:
    return LoginThrottled(
        f"user locked after too many failed logins; retry after {wait} s",
        retry_after=wait,
        code="login_user_locked",
    )


def finish_login(
    session: Session,
    attempt: LoginAttempt,
    verified: bool,
    *,
    now: datetime,
    policy: LoginPolicy,
) -> User:
    """The user of an attempt whose password checked out; else the failure is counted
    and ``AuthenticationError`` raised (``LoginThrottled`` when the user is locked).

    A user locked while its password was being checked (other attempts failed
    meanwhile) is refused, right password or not. Getting in clears the failure count;
    that write is audited as ``auth.login`` (a user with no failures writes nothing).
    """
    if attempt.user_id is None or not verified or not attempt.active:
        _record_failure(session, attempt, verified, now=now, policy=policy)
    user = get_or_404(session, User, attempt.user_id)  # as it is now, not as begun
    lock = UserLock(user.failed_logins, user.locked_until)
    details = {"username": attempt.username, "address": attempt.address}
    if lock.locked_at(now):
        _refuse_locked(session, user.id, lock, details, now)
    if not lock.clear:
        with write(session, _ANONYMOUS, "auth.login", now=now) as unit:
            cleared = session.connection().execute(
                _CLEAR_UNLESS_LOCKED, {"uid": user.id, "failed": 0, "until": None, "now": now}
            )
            # Another attempt may have locked the user since the read: its lock stays.
            after = {"failed_logins": 0, "locked_until": None} if cleared.rowcount else {}
            before = {"failed_logins": lock.failed_logins, "locked_until": lock.locked_until}
            unit.audit("user", user.id, before=before, after={**details, **after})
        session.refresh(user)
    return user


def _lock_of(session: Session, user_id: int, *, for_update: bool = False) -> UserLock:
    """The stored lock state of a user (row-locked on PostgreSQL when asked)."""
    query = _LOCK_OF.with_for_update() if for_update else _LOCK_OF
    row = session.connection().execute(query, {"uid": user_id}).one()
    return UserLock(row.failed_logins, row.locked_until)


def _record_failure(
    session: Session,
    attempt: LoginAttempt,
    verified: bool,
    *,
    now: datetime,
    policy: LoginPolicy,
) -> NoReturn:
    """Count a failed attempt for its user and address, audit it as
    ``auth.login_failed`` and raise: ``AuthenticationError``, or ``LoginThrottled``
    when the user was already locked by other attempts meanwhile."""
    details: dict[str, Any] = {"username": attempt.username, "address": attempt.address}
    refused: LoginThrottled | None = None
    with write(session, _ANONYMOUS, "auth.login_failed", now=now) as unit:
        connection = session.connection()
        if attempt.user_id is not None:
            before = _lock_of(session, attempt.user_id, for_update=True)
            after = before.after_failure(now, policy)
            connection.execute(
                _SET_LOCK,
                {
                    "uid": attempt.user_id,
                    "failed": after.failed_logins,
                    "until": after.locked_until,
                },
            )
            details.update(failed_logins=after.failed_logins, locked_until=after.locked_until)
            if verified and not attempt.active:
                details["inactive"] = True  # the right password of a deactivated user
            if before.locked_at(now):
                refused = _user_locked(after.retry_after(now))
        else:
            details["unknown_user"] = True
        _remember_address_failure(session, attempt.address, now=now, policy=policy)
        entity_id = attempt.user_id if attempt.user_id is not None else ""
        unit.audit("user", entity_id, before=None, after=details)
    raise refused or AuthenticationError(_WRONG)


def _remember_address_failure(
    session: Session, address: str, *, now: datetime, policy: LoginPolicy
) -> None:
    """Insert the address's failure; now and then drop those the window has left (a
    scan of a table that holds only a few minutes of failures)."""
    connection = session.connection()
    result = connection.execute(_INSERT_FAILURE, {"address": address, "at": now})
    key = result.inserted_primary_key
    if key is not None and int(key[0]) % _PRUNE_EVERY == 0:
        connection.execute(_PRUNE_FAILURES, {"before": now - policy.address_window})


def unlock_user(session: Session, actor: Actor, user_id: int, *, now: datetime) -> User:
    """Clear a user's lock and failure count before the lock runs out (admin only;
    audited as ``user.unlock``). The user's ``version`` stays: no field of it an admin
    edits has changed."""
    require(actor, actor.role.can_administer, "unlock users")
    with write(session, actor, "user.unlock", now=now) as unit:
        user = get_or_404(session, User, user_id)
        lock = _lock_of(session, user_id, for_update=True)
        session.connection().execute(_SET_LOCK, {"uid": user_id, "failed": 0, "until": None})
        unit.audit(
            "user",
            user_id,
            before={"failed_logins": lock.failed_logins, "locked_until": lock.locked_until},
            after={"failed_logins": 0, "locked_until": None},
        )
    session.refresh(user)
    return user


class Runner(Protocol):
    """Runs a blocking service call for a request (``api.deps.DeskState.call``)."""

    def __call__(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> Awaitable[_T]:
        """The call's result, awaited."""
        ...


class LoginGate:
    """Throttled logins for one app: its :class:`LoginPolicy` and the bounded pool that
    checks passwords.

    An argon2 check takes tens of milliseconds of CPU. Run in the server's thread pool,
    a flood of wrong passwords would hold every thread and keep other requests waiting;
    here at most ``verifiers`` checks run at once, in threads beside the server's pool,
    and the rest wait their turn without holding a thread or the event loop.
    """

    def __init__(self, policy: LoginPolicy | None = None, *, verifiers: int = 2) -> None:
        if verifiers < 1:
            raise ValueError(f"verifiers: {verifiers} must be at least 1")
        self.policy = policy or LoginPolicy()
        self._limiter = CapacityLimiter(verifiers)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches, checked in the pool."""
        return await to_thread.run_sync(
            verify_password, password_hash, password, limiter=self._limiter
        )

    async def sign_in(
        self,
        run: Runner,
        session: Session,
        username: str,
        password: str,
        *,
        address: str,
        clock: Callable[[], datetime],
    ) -> User:
        """The user with this username and password, through the three steps of a
        throttled login; ``AuthenticationError`` or ``LoginThrottled`` otherwise.
        ``run`` runs the database steps, ``clock`` gives each step its instant."""
        policy = self.policy
        attempt = await run(begin_login, session, username, address, now=clock(), policy=policy)
        verified = await self.verify(attempt.password_hash, password)
        return await run(finish_login, session, attempt, verified, now=clock(), policy=policy)
