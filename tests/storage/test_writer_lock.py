"""Write units on one SQLite file queue on its writer lock (storage.writer_lock), across
threads and processes: nothing fails or is lost, a waiting writer goes on as soon as the
holder commits, rolls back or dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.services.writer_support import (
    NOW,
    UNITS_PER_WRITER,
    add_team,
    count,
    migrated_sqlite,
    start_holder,
    team_names,
    writer,
)
from touchpoint.services.base import Actor, write
from touchpoint.services.errors import BusyError
from touchpoint.storage import writer_lock as writer_lock_module
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import AuditEntry, Team
from touchpoint.storage.writer_lock import writer_lock


@pytest.fixture
def url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path)


def test_writer_processes_queue_and_nothing_is_lost(url: str, tmp_path: Path) -> None:
    before = count(url, Team), count(url, AuditEntry)
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=writer, args=(url, w)) for w in range(3)]
    for p in writers:
        p.start()
    writer(url, 99)  # this process writes meanwhile
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    assert count(url, Team) == before[0] + 4 * UNITS_PER_WRITER
    assert count(url, AuditEntry) == before[1] + 4 * UNITS_PER_WRITER
    assert (tmp_path / "desk.sqlite3-writer.lock").exists()


def test_write_units_queue_from_their_start(url: str) -> None:
    # The holder has not written anything yet: SQLite alone would let the second unit
    # through at once; the writer lock queues whole units (their reads see no other
    # unit's half-done work).
    holder = start_holder(url, "holder", 0.5)
    started = time.monotonic()
    add_team(url, "waiter")
    waited = time.monotonic() - started
    holder.join(10)
    assert holder.exitcode == 0
    assert 0.3 < waited < 5, waited
    engine = make_engine(url)
    with engine.connect() as conn:
        names = conn.execute(select(AuditEntry.entity_id).order_by(AuditEntry.id)).scalars().all()
    engine.dispose()
    assert names[-2:] == ["holder", "waiter"]  # the holder committed first


def test_the_lock_of_a_killed_holder_is_freed(url: str) -> None:
    holder = start_holder(url, "killed", 60)
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    started = time.monotonic()
    add_team(url, "after the kill")
    assert time.monotonic() - started < 5
    names = team_names(url)
    assert "after the kill" in names and "killed" not in names  # nothing half-written


def test_a_failed_unit_leaves_the_lock_free(url: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with (
        factory() as session,
        pytest.raises(ValueError, match="boom"),
        write(session, Actor.system(), "test.team", now=NOW),
    ):
        session.add(Team(name="rolled back"))
        session.flush()
        raise ValueError("boom")
    done = threading.Event()

    def other() -> None:
        add_team(url, "other thread")
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert done.is_set()
    engine.dispose()
    names = team_names(url)
    assert "other thread" in names and "rolled back" not in names


def test_one_lock_per_file_however_it_is_named(tmp_path: Path, url: str) -> None:
    # Two flocks on one file from one process would make the second wait for the first.
    other_name = f"sqlite:///{tmp_path / 'sub' / '..' / 'desk.sqlite3'}"
    (tmp_path / "sub").mkdir()
    engines = [make_engine(url), make_engine(other_name)]
    try:
        assert writer_lock(engines[0]) is writer_lock(engines[1])
    finally:
        for engine in engines:
            engine.dispose()


def test_a_writer_waits_at_most_the_busy_timeout(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = start_holder(url, "long", 2)
    try:
        monkeypatch.setattr(writer_lock_module, "WAIT_SECONDS", 0.3)
        started = time.monotonic()
        with pytest.raises(BusyError, match="nothing was written"):
            add_team(url, "gave up")
        assert 0.25 < time.monotonic() - started < 1.5
    finally:
        holder.join(15)
    assert holder.exitcode == 0
    names = team_names(url)
    assert "long" in names and "gave up" not in names


def test_a_child_forked_while_a_thread_holds_the_lock_has_a_lock_of_its_own(url: str) -> None:
    add_team(url, "opens the lock file")
    inside, leave = threading.Event(), threading.Event()

    def holder() -> None:
        engine = make_engine(url)
        with (
            make_session_factory(engine)() as session,
            write(session, Actor.system(), "test.team", now=NOW) as unit,
        ):
            inside.set()
            leave.wait(10)
            session.add(Team(name="parent"))
            unit.audit("team", "parent", before=None, after={"name": "parent"})
        engine.dispose()

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(10)
    read_end, write_end = os.pipe()
    pid = os.fork()  # while the parent's thread is inside a write unit
    if pid == 0:  # pragma: no cover - the child
        # SQLite itself must not be used in a child forked with connections open, so the
        # child takes the lock alone: it must wait for the parent, then get it.
        code = 2
        try:
            writer_lock_module.WAIT_SECONDS = 5
            engine = make_engine(url)
            lock = writer_lock(engine)
            lock.acquire()
            os.write(write_end, repr(time.monotonic()).encode())
            lock.release()
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    time.sleep(0.5)  # the child is waiting for the parent's flock meanwhile
    released = time.monotonic()
    leave.set()
    thread.join(10)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        acquired = float(pipe.read() or "nan")
    assert os.waitstatus_to_exitcode(status) == 0
    assert acquired > released  # the child waited for the parent's commit


def test_without_a_usable_lock_file_the_thread_lock_still_queues(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    upgrade(url)
    (tmp_path / "desk.sqlite3-writer.lock").mkdir()  # cannot be opened as a file
    add_team(url, "written anyway")
    assert "written anyway" in team_names(url)


def test_uri_named_databases_get_no_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///file:{tmp_path / 'desk.sqlite3'}?uri=true"
    upgrade(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    add_team(url, "through a URI")
    assert "through a URI" in team_names(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith("writer.lock")] == []


def test_a_call_that_must_not_block_gives_way_instead_of_waiting(url: str) -> None:
    # On an event loop (DeskState.call) a unit asks to be run elsewhere rather than stall
    # the loop behind another process's long write; it has written nothing.
    holder = start_holder(url, "long", 1.5)
    try:
        started = time.monotonic()
        with pytest.raises(writer_lock_module.WouldWait), writer_lock_module.not_waiting():
            add_team(url, "impatient")
        assert time.monotonic() - started < 0.5
        add_team(url, "patient")  # run again where it may wait: after the holder
    finally:
        holder.join(15)
    assert holder.exitcode == 0
    assert {"long", "patient"} <= team_names(url) and "impatient" not in team_names(url)


def test_after_a_committed_unit_the_call_waits_its_turn(url: str) -> None:
    # Running the call again would write its first unit twice: a later unit waits.
    holders: list[multiprocessing.process.BaseProcess] = []
    with writer_lock_module.not_waiting():
        add_team(url, "first")
        holders.append(start_holder(url, "between", 0.5))
        started = time.monotonic()
        add_team(url, "second")
        assert time.monotonic() - started > 0.3
    holders[0].join(15)
    assert {"first", "between", "second"} <= team_names(url)
    assert count(url, AuditEntry) == 3
