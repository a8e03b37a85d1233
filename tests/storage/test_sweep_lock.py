"""The sweep's turn: taken by one holder at a time across engines and processes, given
back after the sweep, never waited for."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.storage.support import Database, open_database
from touchpoint.storage.db import make_engine
from touchpoint.storage.sweep_lock import (
    AdvisorySweepLock,
    FileSweepLock,
    ThreadSweepLock,
    sweep_lock_for,
)


def test_one_turn_at_a_time_on_the_database(db: Database) -> None:
    """Two engines on one database (two worker processes' worth): while one holds the
    turn the other's try fails at once; given back, it is taken again."""
    other = make_engine(db.url)
    try:
        first, second = sweep_lock_for(db.engine), sweep_lock_for(other)
        kind = AdvisorySweepLock if db.backend == "postgresql" else FileSweepLock
        assert isinstance(first, kind) and isinstance(second, kind)
        with first.turn() as mine:
            assert mine
            with second.turn() as theirs:
                assert not theirs
        with second.turn() as theirs:
            assert theirs
            with first.turn() as mine:
                assert not mine
        with first.turn() as mine:
            assert mine
    finally:
        other.dispose()


def test_the_turn_is_given_back_when_the_sweep_raises(db: Database) -> None:
    lock = sweep_lock_for(db.engine)
    with pytest.raises(RuntimeError), lock.turn() as mine:
        assert mine
        raise RuntimeError("sweep failed")
    with sweep_lock_for(db.engine).turn() as mine:
        assert mine


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    yield from open_database("postgresql", tmp_path_factory.mktemp("pg"))


@pytest.mark.postgres
def test_postgres_lock_connection_is_idle_and_returned(pg: Database) -> None:
    """The lock's connection is not left in a transaction during the sweep, and after
    the turn no advisory lock of this database is held."""
    db = pg
    query = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND a.datname = current_database() "
        "AND a.state = :state"
    )
    with sweep_lock_for(db.engine).turn() as mine:
        assert mine
        with db.engine.connect() as conn:
            assert conn.execute(query, {"state": "idle"}).scalar_one() == 1
            assert conn.execute(query, {"state": "idle in transaction"}).scalar_one() == 0
    with db.engine.connect() as conn:
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND a.datname = current_database()"
            )
        ).scalar_one()
    assert held == 0


def test_sqlite_file_lock_lies_beside_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        lock = sweep_lock_for(engine)
        assert isinstance(lock, FileSweepLock)
        assert lock.path == tmp_path / "desk.sqlite3-sweep.lock"
    finally:
        engine.dispose()


def test_sqlite_file_lock_excludes_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    holder = textwrap.dedent(
        f"""
        import sys
        from touchpoint.storage.db import make_engine
        from touchpoint.storage.sweep_lock import sweep_lock_for

        with sweep_lock_for(make_engine({url!r})).turn() as mine:
            print("held" if mine else "missed", flush=True)
            sys.stdin.readline()
        """
    )
    engine = make_engine(url)
    with subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "held"
            with sweep_lock_for(engine).turn() as mine:
                assert not mine
            child.stdin.write("done\n")
            child.stdin.flush()
            assert child.wait(30) == 0
            with sweep_lock_for(engine).turn() as mine:
                assert mine
        finally:
            if child.poll() is None:
                child.kill()
            engine.dispose()


def test_in_memory_database_uses_a_lock_of_the_process() -> None:
    engine = make_engine("sqlite://")
    try:
        lock = sweep_lock_for(engine)
        assert isinstance(lock, ThreadSweepLock)
        with lock.turn() as mine:
            assert mine
            with lock.turn() as again:
                assert not again
        with lock.turn() as mine:
            assert mine
    finally:
        engine.dispose()
