"""The escalation sweep's turn: one sweep at a time across a desk's server processes.

Every worker process of ``touchpoint serve`` runs the sweep on its own timer; before a
sweep it tries to take the turn without waiting, and a worker that finds it taken skips
that tick (the sweep is idempotent, the next tick comes soon). Where the turn lives
depends on the database, so that every process serving the same desk sees the same one:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection
  of its own, released right after the sweep. Advisory locks are per database; the key
  also names the schema the desk lives in, so that desks in two schemas of one database
  do not take each other's turn.
* SQLite file: an exclusive, non-blocking ``flock`` on ``<database>-sweep.lock`` beside
  the database file.
* In-memory SQLite: the database belongs to one engine in one process, so a thread lock
  of this object is enough.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

__all__ = [
    "AdvisorySweepLock",
    "FileSweepLock",
    "SweepLock",
    "ThreadSweepLock",
    "sweep_lock_for",
]

_NAME = "touchpoint escalation sweep"


class SweepLock(ABC):
    """Who may sweep now, shared by every process serving one desk."""

    @abstractmethod
    def turn(self) -> AbstractContextManager[bool]:
        """Try to take the turn without waiting: yields whether it was taken (then the
        caller sweeps inside the ``with`` block), and gives it back on leaving."""


def sweep_lock_for(engine: Engine, job: str = "sweep") -> SweepLock:
    """The turn of the desk on ``engine``'s database (see the module docstring) for
    ``job``: each background job has a turn of its own (``sweep``, the escalation
    sweep; ``merge-refresh``), so that a long merge refresh never holds up a sweep."""
    if engine.dialect.name == "postgresql":
        return AdvisorySweepLock(engine, _NAME if job == "sweep" else f"touchpoint {job}")
    if engine.dialect.name == "sqlite":
        url = engine.url
        db = url.database
        if not db or db == ":memory:" or url.query.get("mode") == "memory":
            return ThreadSweepLock()
        if db.startswith("file:"):  # a URI filename (``?uri=true``): its path part
            db = db.removeprefix("file:").split("?", 1)[0]
        return FileSweepLock(Path(f"{db}-{job}.lock"))
    raise ValueError(f"no sweep lock for the {engine.dialect.name!r} database")


class AdvisorySweepLock(SweepLock):
    """PostgreSQL: ``pg_try_advisory_lock`` on a connection held only for the sweep."""

    def __init__(self, engine: Engine, name: str = _NAME) -> None:
        self._engine = engine
        self._name = name
        self._key: int | None = None

    def _key_for(self, conn: Connection) -> int:
        if self._key is None:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            digest = hashlib.blake2b(f"{self._name}:{schema}".encode(), digest_size=8).digest()
            self._key = int.from_bytes(digest, "big", signed=True)  # a bigint key
        return self._key

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Take the advisory lock if free; the sweep's own session uses another
        connection, so the lock's is idle (not in a transaction) while it runs."""
        with self._engine.connect() as conn:
            key = self._key_for(conn)
            taken = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
            ).scalar_one()
            # A session-level lock outlives the transaction: end it, so that the
            # connection does not sit idle in a transaction for the whole sweep.
            conn.commit()
            if not taken:
                yield False
                return
            try:
                yield True
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
                except Exception:
                    # Never hand a connection that may still hold the lock back to the
                    # pool: dropping it ends its server session, which releases the lock.
                    conn.invalidate()
                    raise


class FileSweepLock(SweepLock):
    """SQLite file: ``flock(LOCK_EX | LOCK_NB)`` on a file beside the database.

    The file is opened anew for every turn: a ``flock`` belongs to the open file, so two
    engines (or apps) of one process on the same database exclude each other as two
    processes do, and the lock goes with the file's descriptor if the process dies.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Take the file lock if free."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class ThreadSweepLock(SweepLock):
    """In-memory SQLite: a lock of this process (the database is the engine's alone)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Take the thread lock if free."""
        if not self._lock.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self._lock.release()
