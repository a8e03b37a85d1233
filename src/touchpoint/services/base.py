"""The write unit shared by every service: one transaction, one audit row, events after commit."""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    cast,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from touchpoint.domain.roles import Role
from touchpoint.services.errors import BusyError, ConflictError, ForbiddenError, NotFoundError
from touchpoint.storage.db import per_dialect
from touchpoint.storage.direct import execute_write, model_columns
from touchpoint.storage.models import AuditEntry, Base, OutboxMessage, Webhook

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per file, the thread lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Actor",
    "WouldWait",
    "WriteUnit",
    "check_version",
    "get_or_404",
    "not_waiting",
    "outbox_row",
    "require",
    "snapshot",
    "snapshot_values",
    "to_jsonable",
    "webhooks_column",
    "write",
    "writing",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs a service call; ``user_id`` None is the system (sweeps, seeding)."""

    user_id: int | None
    username: str
    role: Role
    team_ids: frozenset[int] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        """The desk itself (escalation sweeps, demo seeding)."""
        return cls(user_id=None, username="system", role=Role.ADMIN)


def require(actor: Actor, allowed: bool, what: str) -> None:
    """Raise ``ForbiddenError`` unless ``allowed``."""
    if not allowed:
        raise ForbiddenError(f"role {actor.role.value!r} may not {what}")


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


class _Snapshot(dict[str, Any]):
    """A row's column values already turned into JSON values (:func:`snapshot`), which
    :func:`to_jsonable` passes through instead of converting them again."""

    __slots__ = ()


def to_jsonable(value: Any) -> Any:
    """Turn datetimes, enums, decimals and dataclasses into JSON values."""
    if type(value) in _JSON_SCALARS:  # the common case, answered first
        return value
    if type(value) is _Snapshot:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def snapshot(row: Base, *, exclude: tuple[str, ...] = ("password_hash",)) -> dict[str, Any]:
    """Column values of ``row`` as JSON (for audit before/after).

    Read from the row's loaded values (its state's ``dict``), not through its
    attributes, which cost an instrumented ``__get__`` per column; a column not loaded
    (expired, deferred) is read through its attribute, which loads it."""
    loaded = inspect(row).dict
    unloaded = {
        key: getattr(row, key)
        for key in model_columns(type(row))[0]
        if key not in loaded and key not in exclude
    }
    return snapshot_values(type(row), loaded | unloaded if unloaded else loaded, exclude=exclude)


def snapshot_values(
    model: type[Base], values: dict[str, Any], *, exclude: tuple[str, ...] = ("password_hash",)
) -> dict[str, Any]:
    """What :func:`snapshot` gives for a row of ``model`` with these column ``values``
    (every column must be there), without building the row."""
    out = _Snapshot()
    for key in model_columns(model)[0]:
        if key not in exclude:
            value = values[key]
            # Most columns hold JSON scalars already: no call for them.
            out[key] = value if type(value) in _JSON_SCALARS else to_jsonable(value)
    return out


T = TypeVar("T", bound=Base)


def get_or_404(session: Session, model: type[T], entity_id: int) -> T:
    """Load ``model`` by primary key or raise ``NotFoundError``."""
    row = session.get(model, entity_id)
    if row is None:
        raise NotFoundError(model.__tablename__.rstrip("s"), entity_id)
    return row


def check_version(entity: str, entity_id: int, current: int, expected: int | None) -> None:
    """Raise ``ConflictError`` when the client's ``expected`` version is stale."""
    if expected is not None and current != expected:
        raise ConflictError(
            f"{entity} {entity_id}: version {expected} is stale, current is {current}; "
            "reload and retry",
            current_version=current,
        )


_INSERT_AUDIT = insert(AuditEntry).inline()  # no RETURNING: the id is not read
_INSERT_OUTBOX = insert(OutboxMessage).inline()
_ACTIVE_WEBHOOKS = select(Webhook.url, Webhook.events).where(Webhook.active.is_(True))


@per_dialect
def webhooks_column(session: Session) -> ColumnElement[str]:
    """The active webhooks as one JSON text, ``[[url, [event, ...]], ...]``, for a write to
    read with its first statement (:meth:`WriteUnit.use_webhooks`) instead of in one of
    their own (``write(..., read_webhooks=False)``): a round trip less on PostgreSQL."""
    dialect = session.get_bind().dialect.name
    pairs: ColumnElement[str]
    if dialect == "sqlite":
        pairs = func.json_group_array(func.json_array(Webhook.url, func.json(Webhook.events)))
    else:
        pairs = cast(func.json_agg(func.json_build_array(Webhook.url, Webhook.events)), Text)
    return (
        select(func.coalesce(pairs, literal_column("'[]'")))
        .where(Webhook.active.is_(True))
        .scalar_subquery()
        .label("webhooks")
    )


@dataclass
class WriteUnit:
    """Collects the audit row and notifications of one write.

    They are inserted with Core statements (one for the audit row, one ``executemany``
    for the outbox) after the write's own rows are flushed, rather than as ORM objects:
    the ORM would track, flush and refresh rows nobody reads back.
    """

    session: Session
    actor: Actor
    action: str
    now: datetime
    _audit: dict[str, Any] | None = None
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _mails: list[tuple[str, str, str]] = field(default_factory=list)
    # The active webhooks (url, events), read when the write starts, before it queues on
    # SQLite's writer lock (the lock is not held for one more query), or with the
    # write's first statement (use_webhooks); None: not read yet.
    _hooks: Sequence[Any] | None = None
    _connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        """The session's connection, on which this unit's transaction runs (asked of the
        session once: each ask walks its transaction's state, ~1.5 µs)."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self.session.connection()
        return connection

    def audit(
        self,
        entity: str,
        entity_id: object,
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Record the single audit row of this write."""
        if self._audit is not None:
            raise RuntimeError(f"{self.action}: a write records exactly one audit row")
        self._audit = {
            "at": self.now,
            "actor_id": self.actor.user_id,
            "action": self.action,
            "entity": entity,
            "entity_id": str(entity_id),
            "before": to_jsonable(before) if before is not None else None,
            "after": to_jsonable(after) if after is not None else None,
        }

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a webhook event for every active subscription to ``event``."""
        # Turned into JSON values at the flush, and only when a subscription wants it.
        self._events.append((event, payload))

    def use_webhooks(self, text: str | None) -> None:
        """The active webhooks as :func:`webhooks_column` read them."""
        self._hooks = [(url, events) for url, events in json.loads(text or "[]")]

    def webhook_targets(self, events: Sequence[str]) -> list[list[str]]:
        """For each of ``events``, the URLs of the active webhooks subscribed to it (by
        name or ``*``), as read when the write started (or now, if they were not)."""
        if self._hooks is None:
            self._hooks = self.connection.execute(_ACTIVE_WEBHOOKS).all()
        hooks = self._hooks
        return [
            [url for url, wanted in hooks if event in wanted or "*" in wanted] for event in events
        ]

    def email(self, to: str, subject: str, body: str) -> None:
        """Queue an e-mail, sent after commit."""
        self._mails.append((to, subject, body))

    def _flush(self) -> bool:
        """Flush the write, insert its audit row and outbox; whether anything was queued."""
        if self._audit is None:
            raise RuntimeError(f"{self.action}: every write records one audit row")
        self.session.flush()
        conn = self.connection
        execute_write(conn, _INSERT_AUDIT, self._audit)
        outbox: list[dict[str, Any]] = []
        if self._events:
            targets = self.webhook_targets([event for event, _ in self._events])
            for (event, raw), wanted in zip(self._events, targets, strict=True):
                if not wanted:
                    continue
                payload = to_jsonable(raw)
                for url in wanted:
                    outbox.append(
                        outbox_row(
                            self.now,
                            "webhook",
                            url,
                            event,
                            {"event": event, "at": self.now.isoformat(), **payload},
                        )
                    )
        for to, subject, body in self._mails:
            outbox.append(
                outbox_row(self.now, "email", to, self.action, {"subject": subject, "body": body})
            )
        if outbox:
            conn.execute(_INSERT_OUTBOX, outbox)
        return bool(outbox)


def outbox_row(
    now: datetime, channel: str, target: str, event: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """One unsent outbox message as an insert row (webhook or e-mail), sent after commit."""
    return {
        "created_at": now,
        "channel": channel,
        "target": target,
        "event": event,
        "payload": payload,
        "sent_at": None,
        "attempts": 0,
        "last_error": "",
    }


AfterCommit = Callable[[], None]


@contextmanager
def write(
    session: Session,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
    read_webhooks: bool = True,
    lock_at_first_write: bool = False,
) -> Iterator[WriteUnit]:
    """Run one write: everything inside commits together with its audit row and outbox.

    The active webhooks are read first, unless ``read_webhooks`` is false: the write
    then reads them with its own first statement (:func:`webhooks_column`,
    :meth:`WriteUnit.use_webhooks`), or else they are read when its notifications are.

    A stale ``version`` or a unique-constraint clash raises ``ConflictError`` and
    rolls everything back. On SQLite the unit first queues on the file's writer lock
    (:class:`_FileWriterLock`) and holds it to its commit; ``BusyError`` when another
    unit keeps it too long, or when SQLite's own busy timeout runs out (a writer outside
    the lock held the file). ``after_commit`` (e.g. waking the outbox dispatcher) runs
    only after a successful commit that queued notifications.

    With ``lock_at_first_write`` a unit on SQLite takes the writer lock just before its
    first write (``_LockAtFirstWrite``, ``writing``), not before its reads: for units
    whose reads are guarded by a version that their first write checks (an order write
    with the caller's version: ``work_orders._save_order``). What another writer
    committed after the reads then makes that UPDATE miss and the unit a
    ``ConflictError``, as the caller's version would have been stale a moment later.
    The lock is held the shorter for it, and the other server processes wait less.
    """
    if now.tzinfo is None:
        raise ValueError(f"now {now.isoformat()!r} must be timezone-aware")
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(f"{action}: session has unflushed changes from outside a write")
    unit = WriteUnit(session=session, actor=actor, action=action, now=now)
    file_lock = _writer_lock(session)
    if read_webhooks:
        try:
            unit._hooks = unit.connection.execute(_ACTIVE_WEBHOOKS).all()
        except BaseException:
            session.rollback()
            raise
    lock: _FileWriterLock | _NoLock | _LockAtFirstWrite
    if lock_at_first_write and isinstance(file_lock, _FileWriterLock):
        lock = _LockAtFirstWrite.on(unit.connection, file_lock)
    else:
        file_lock.acquire()
        lock = file_lock
    try:
        yield unit
        if isinstance(lock, _LockAtFirstWrite):
            lock.take()  # the audit row at least is written
        queued = unit._flush()
        session.commit()
        if (call := _impatient.get()) is not None:
            call.committed = True  # from here on a unit of this call waits its turn
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(
            f"{action}: the record was changed by someone else; reload and retry"
        ) from exc
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"{action}: {_integrity_message(exc)}") from exc
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc.orig):
            raise BusyError(
                f"{action}: the database is busy with another write; nothing was written, "
                "retry in a moment"
            ) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        lock.release()
    if queued and after_commit is not None:
        after_commit()


class _FileWriterLock:
    """The writers of one SQLite file queue here, across threads and processes.

    SQLite lets one writer in at a time and makes the others retry in its busy handler,
    which sleeps with back-off (1, 2, 5… ms) while the lock is long free again: with two
    server processes writing, the CPUs then idle. Here a write unit waits for a thread
    lock (this process's threads), then for ``flock`` on ``<file>-writer.lock`` (other
    processes), tried again every 50 µs to 1 ms, so the next writer goes on within a
    millisecond of the holder letting go. The kernel frees the lock of a process that
    dies. Like SQLite's busy timeout, a writer waits at most ``_WAIT_SECONDS``, and then
    fails with ``BusyError`` before writing anything.

    Where the lock file cannot be opened (no ``fcntl``, a read-only directory, a file of
    another user) the thread lock alone queues this process's writers, and other
    processes meet them in SQLite's busy handler as before.
    """

    def __init__(self, database: str | None) -> None:
        self._database = database
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._unusable = database is None or fcntl is None

    def _file(self) -> int | None:
        if self._fd is None and not self._unusable and self._database is not None:
            try:
                # The database file's permissions, as SQLite gives its -wal and -shm files.
                mode = os.stat(self._database).st_mode & 0o666
            except OSError:
                mode = 0o644
            try:
                self._fd = os.open(f"{self._database}-writer.lock", os.O_RDWR | os.O_CREAT, mode)
            except OSError as exc:
                self._unusable = True
                _log.warning(
                    "no writer lock file beside %s (%s): thread lock only", self._database, exc
                )
        return self._fd

    def acquire(self) -> bool:
        call = _impatient.get()
        patient = call is None or call.committed
        wait = _WAIT_SECONDS if patient else _INLINE_WAIT_SECONDS
        deadline = time.monotonic() + wait
        if not self._thread_lock.acquire(timeout=wait):
            raise _busy() if patient else WouldWait()
        try:
            fd = self._file()
            if fd is not None and not _flock(fd, deadline):
                raise _busy() if patient else WouldWait()
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def forget_after_fork(self) -> None:
        """In a forked child: a lock of its own, not the parent's state at the fork (a
        thread of the parent may have held it), and no share of the parent's open lock
        file (while the child kept it open, a lock the parent held would outlive it)."""
        self._thread_lock = threading.Lock()
        if self._fd is not None:
            os.close(self._fd)  # closing never unlocks the parent's flock; LOCK_UN would
            self._fd = None


_WAIT_SECONDS = 10  # as the engine's busy timeout (storage.db)
# How long a unit run where it must not block (``not_waiting``) waits for the lock.
# Another server process holds it well under a millisecond per write, so under load the
# wait is over within this; a longer one (a sweep, an import) is met with WouldWait.
_INLINE_WAIT_SECONDS = 0.005
_log = logging.getLogger(__name__)


def _flock(fd: int, deadline: float) -> bool:
    """Take the exclusive ``flock`` on ``fd`` by ``deadline``; whether it was taken (a
    blocking ``flock`` has no timeout: a unit writing for minutes, like a first sweep
    over a backlog, would stall the waiting process's event loop for as long)."""
    delay = 0.00005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.001)


class WouldWait(BaseException):
    """A write unit run under :func:`not_waiting` found SQLite's writer lock held for
    longer than a few milliseconds (another process's sweep or import, say): nothing was
    written, and the call is to be run again where it may wait (a worker thread).

    A ``BaseException``, so that no ``except Exception`` on the way mistakes it for the
    call's failure."""


@dataclass
class _ImpatientCall:
    committed: bool = False  # a unit of this call committed: later ones wait their turn


_impatient: ContextVar[_ImpatientCall | None] = ContextVar("touchpoint_impatient", default=None)


@contextmanager
def not_waiting() -> Iterator[None]:
    """Run service calls that must not block (on an event loop): their first write unit
    raises :class:`WouldWait` rather than wait for SQLite's writer lock longer than
    ``_INLINE_WAIT_SECONDS``. Once a unit of the call has committed, later ones wait as
    usual (running the call again would write its first units twice)."""
    token = _impatient.set(_ImpatientCall())
    try:
        yield
    finally:
        _impatient.reset(token)


def _busy() -> BusyError:
    return BusyError(
        f"the database is busy: another write has held it for over {_WAIT_SECONDS} s; "
        "nothing was written, retry in a moment"
    )


# One lock per database file (a second flock on another descriptor of the same file
# would wait for the first, even in the same process), found by the URL's name and the
# working directory it is relative to; engines on in-memory or URI-named databases
# get one of their own, with no lock file.
_file_locks: dict[object, _FileWriterLock] = {}


def _forget_locks_after_fork() -> None:
    for lock in {id(lock): lock for lock in _file_locks.values()}.values():
        lock.forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


class _NoLock:
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


_FIRST_WRITE = "touchpoint.lock_at_first_write"


class _LockAtFirstWrite:
    """A unit's writer lock, taken just before the unit's first write (``writing``):
    its order's UPDATE (``work_orders._save_order``), a flush of the ORM's (the
    ``before_flush`` listener below, autoflushes too), or its audit row at the end.
    Before that, the unit only read, and pysqlite reads outside a transaction (it begins
    one before the first INSERT, UPDATE or DELETE), so nothing is written on a snapshot
    older than the lock. Kept in the DBAPI connection's ``info`` while the unit runs."""

    __slots__ = ("_held", "_info", "_lock")

    def __init__(self, info: dict[Any, Any], lock: _FileWriterLock) -> None:
        self._info = info  # the DBAPI connection's (the unit may roll back, closing its own)
        self._lock = lock
        self._held = False

    @classmethod
    def on(cls, connection: Connection, lock: _FileWriterLock) -> _LockAtFirstWrite:
        info = connection.info
        pending = info[_FIRST_WRITE] = cls(info, lock)
        return pending

    @property
    def held(self) -> bool:
        """Whether the lock was taken."""
        return self._held

    def take(self) -> None:
        if not self._held:
            self._lock.acquire()
            self._held = True

    def release(self) -> None:
        self._info.pop(_FIRST_WRITE, None)
        if self._held:
            self._held = False
            self._lock.release()


def writing(connection: Connection) -> None:
    """The write unit running on ``connection`` (its session's) is about to write: take
    its writer lock now if it waits for its first write (``write``'s
    ``lock_at_first_write``). Call it before a statement that writes outside the ORM's
    flush."""
    pending: _LockAtFirstWrite | None = connection.info.get(_FIRST_WRITE)
    if pending is not None:
        pending.take()


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context: Any, _instances: Any) -> None:
    writing(session.connection())


def _writer_lock(session: Session) -> _FileWriterLock | _NoLock:
    """SQLite has one writer at a time: queue write units here rather than in SQLite's
    busy handler (see :class:`_FileWriterLock`); other databases lock rows."""
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return _NoLock()
    database = engine.url.database
    own = (
        not database
        or database == ":memory:"
        or database.startswith("file:")
        or engine.url.query.get("uri") is not None
    )
    key: object
    if own:
        key = id(engine)
    else:
        key = database if os.path.isabs(str(database)) else (os.getcwd(), database)
    lock = _file_locks.get(key)
    if lock is None:
        path = None if own else os.path.realpath(str(database))
        lock = _file_locks.get(path) if path is not None else None
        if lock is None:
            lock = _FileWriterLock(path)
            if path is not None:
                lock = _file_locks.setdefault(path, lock)
        lock = _file_locks.setdefault(key, lock)
    return lock


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    return f"conflicts with existing data ({text})"
