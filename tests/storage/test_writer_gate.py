"""SQLite writers queue on the writer gate (storage.db) from their first write statement
to their commit or rollback, across threads and processes, and never leave it held."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from touchpoint.storage.db import make_engine

ROWS_PER_WRITER = 150


def _table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (writer INTEGER, n INTEGER)")


def _count(engine: Engine, writer: int | None = None) -> int:
    with engine.connect() as conn:
        sql = text("SELECT count(*) FROM t WHERE :w IS NULL OR writer = :w")
        return int(conn.execute(sql, {"w": writer}).scalar_one())


def _write_rows(path: str, writer: int) -> None:
    """A writer process: its own engine, one short transaction per row."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        for n in range(ROWS_PER_WRITER):
            with engine.begin() as conn:
                # Read, then write: the read's snapshot must not make the write fail.
                conn.execute(text("SELECT count(*) FROM t")).scalar_one()
                conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": writer, "n": n})
    finally:
        engine.dispose()


def test_writer_processes_queue_without_errors(tmp_path: Path) -> None:
    path = str(tmp_path / "gate.sqlite3")
    engine = make_engine(f"sqlite:///{path}")
    _table(engine)
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_write_rows, args=(path, w)) for w in range(4)]
    for p in writers:
        p.start()
    _write_rows(path, 99)  # this process writes meanwhile, through its own gate
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    assert _count(engine) == 5 * ROWS_PER_WRITER
    assert (tmp_path / "gate.sqlite3-writer.lock").exists()
    engine.dispose()


def test_gate_is_left_after_rollback_and_pool_return(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    _table(engine)
    # An explicit rollback leaves the gate.
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, 1)"))
        conn.rollback()
    # A connection returned to the pool mid-transaction is rolled back by the pool reset.
    conn = engine.connect()
    conn.execute(text("INSERT INTO t VALUES (2, 2)"))
    conn.close()
    # A failing statement inside a transaction: the block's rollback leaves the gate.
    with pytest.raises(Exception, match="no such table"), engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (3, 3)"))
        c.execute(text("INSERT INTO missing VALUES (1)"))

    # Another thread can write at once, on another connection: nothing is still held.
    done = threading.Event()

    def other() -> None:
        with engine.connect() as used_above, engine.connect() as c:
            assert c.connection.dbapi_connection is not used_above.connection.dbapi_connection
            c.execute(text("INSERT INTO t VALUES (4, 4)"))
            c.commit()
        done.set()

    thread = threading.Thread(target=other)
    started = time.monotonic()
    thread.start()
    thread.join(5)
    assert done.is_set() and time.monotonic() - started < 2
    assert _count(engine) == 1 and _count(engine, 4) == 1
    engine.dispose()


def test_second_writer_waits_for_the_first_to_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    _table(engine)
    order: list[str] = []
    first_wrote = threading.Event()

    def second() -> None:
        first_wrote.wait(5)
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (2, 0)"))
            order.append("second wrote")

    thread = threading.Thread(target=second)
    thread.start()
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (1, 0)"))
        first_wrote.set()
        time.sleep(0.3)  # the second writer is queued meanwhile, not failing
        order.append("first commits")
    thread.join(5)
    assert order == ["first commits", "second wrote"]
    assert _count(engine) == 2
    engine.dispose()
