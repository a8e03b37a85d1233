"""SQLite's one-writer-at-a-time rule, as a queue that write units wait in.

SQLite lets one writer in at a time and makes the others retry in its busy handler,
which sleeps with back-off (1, 2, 5… ms) while the lock is long free again: with two
server processes writing, the CPUs then idle. Instead, a write unit takes
:func:`writer_lock` for its database before its first statement and holds it to its
commit: a thread lock queues this process's writers, ``flock`` on
``<file>-writer.lock`` the other processes', so the next writer goes on within a
millisecond of the holder letting go. The kernel frees the lock of a process that dies.

Calls run on an event loop must not block there: inside :func:`not_waiting` a unit
that would wait longer than a few milliseconds raises :class:`WouldWait` having written
nothing, and the caller runs the call again where it may wait (a worker thread).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from touchpoint.storage.errors import BusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per file, the thread lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "WAIT_SECONDS",
    "FileWriterLock",
    "WouldWait",
    "WriterLock",
    "committed_in_call",
    "not_waiting",
    "writer_lock",
]

WAIT_SECONDS = 10  # as the engine's busy timeout (storage.db)
# How long a unit run where it must not block (``not_waiting``) waits for the lock.
# Another server process holds it well under a millisecond per write, so under load the
# wait is over within this; a longer one (a sweep, an import) is met with WouldWait.
_INLINE_WAIT_SECONDS = 0.005
_log = logging.getLogger(__name__)


class WriterLock(Protocol):
    """What a write unit holds from its first statement to its commit."""

    def acquire(self) -> None:
        """Wait for the lock (``BusyError`` after ``WAIT_SECONDS``)."""

    def release(self) -> None:
        """Let the next writer in."""


class WouldWait(BaseException):
    """A write unit run under :func:`not_waiting` found the writer lock held for longer
    than a few milliseconds (another process's sweep or import, say): nothing was
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
    raises :class:`WouldWait` rather than wait for the writer lock longer than a few
    milliseconds. Once a unit of the call has committed, later ones wait as usual
    (running the call again would write its first units twice)."""
    token = _impatient.set(_ImpatientCall())
    try:
        yield
    finally:
        _impatient.reset(token)


def committed_in_call() -> None:
    """A write unit of the current call committed: from here on the call waits its turn."""
    call = _impatient.get()
    if call is not None:
        call.committed = True


def _busy() -> BusyError:
    return BusyError(
        f"the database is busy: another write has held it for over {WAIT_SECONDS} s; "
        "nothing was written, retry in a moment"
    )


class FileWriterLock:
    """The writers of one SQLite file: a thread lock, then ``flock`` on a file beside it.

    Where the lock file cannot be opened (no ``fcntl``, a read-only directory, a file of
    another user) the thread lock alone queues this process's writers, and other
    processes meet them in SQLite's busy handler.
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

    def acquire(self) -> None:
        """Wait for this process's writers, then the other processes'."""
        call = _impatient.get()
        patient = call is None or call.committed
        wait = WAIT_SECONDS if patient else _INLINE_WAIT_SECONDS
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

    def release(self) -> None:
        """Unlock the file, then the thread lock."""
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


def _flock(fd: int, deadline: float) -> bool:
    """Take the exclusive ``flock`` on ``fd`` by ``deadline``; whether it was taken. A
    blocking ``flock`` has no timeout, and a unit writing for minutes (a first sweep
    over a backlog) would stall the waiting process's event loop for as long."""
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


class _NoLock:
    """Other databases lock rows, not the whole file."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None


# One lock per database file (a second flock on another descriptor of the same file
# would wait for the first, even in the same process), found by the URL's name and the
# working directory it is relative to; engines on in-memory or URI-named databases
# get one of their own, with no lock file.
_file_locks: dict[object, FileWriterLock] = {}


def _forget_locks_after_fork() -> None:
    for lock in {id(lock): lock for lock in _file_locks.values()}.values():
        lock.forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


def writer_lock(engine: Engine) -> WriterLock:
    """The lock a write unit on ``engine`` holds: one per SQLite file, shared by every
    engine on it; a no-op on databases that lock rows."""
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
            lock = FileWriterLock(path)
            if path is not None:
                lock = _file_locks.setdefault(path, lock)
        lock = _file_locks.setdefault(key, lock)
    return lock
