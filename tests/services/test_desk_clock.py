"""EscalationSweeper: ticks on its interval and when asked, sweeps at its clock's
``now``, outlives a sweep that raises, skips while another holds the turn, stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.storage.support import T0, Clock
from touchpoint.services.desk_clock import EscalationSweeper, Sweep, SweepOutcome
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.sweep_lock import FileSweepLock, SweepLock, ThreadSweepLock

IDLE = 3600.0  # no tick comes by itself: each is asked for


@pytest.fixture
def factory() -> Iterator[sessionmaker[Session]]:
    engine = make_engine("sqlite://")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _running(
    factory: sessionmaker[Session],
    sweep: Sweep,
    clock: Clock,
    *,
    lock: SweepLock | None = None,
    interval: float = IDLE,
) -> EscalationSweeper:
    sweeper = EscalationSweeper(
        factory, lock or ThreadSweepLock(), clock=clock, interval=interval, sweep=sweep
    )
    sweeper.start()
    return sweeper


def test_each_tick_sweeps_at_the_clocks_now(factory: sessionmaker[Session], clock: Clock) -> None:
    seen: list[datetime] = []
    sweeper = _running(factory, lambda _s, now: seen.append(now), clock)
    try:
        assert sweeper.tick() is SweepOutcome.SWEPT
        clock.advance(minutes=5)
        assert sweeper.tick() is SweepOutcome.SWEPT
    finally:
        sweeper.stop()
    assert seen == [T0, T0 + timedelta(minutes=5)]


def test_it_ticks_every_interval_by_itself(factory: sessionmaker[Session], clock: Clock) -> None:
    three = threading.Event()
    seen: list[datetime] = []

    def sweep(_s: Session, now: datetime) -> None:
        seen.append(now)
        if len(seen) == 3:
            three.set()

    sweeper = _running(factory, sweep, clock, interval=0.01)
    try:
        assert three.wait(10), "no three sweeps within 10 s at a 10 ms interval"
    finally:
        sweeper.stop()


def test_a_sweep_that_raises_is_logged_and_the_next_one_runs(
    factory: sessionmaker[Session], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []

    def sweep(_s: Session, now: datetime) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database went away")

    sweeper = _running(factory, sweep, clock)
    try:
        with caplog.at_level(logging.ERROR, logger="touchpoint.services.desk_clock"):
            assert sweeper.tick() is SweepOutcome.FAILED
        assert sweeper.tick() is SweepOutcome.SWEPT
    finally:
        sweeper.stop()
    assert len(calls) == 2
    [record] = [r for r in caplog.records if r.name == "touchpoint.services.desk_clock"]
    assert record.levelno == logging.ERROR and "escalation sweep failed" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


def test_a_tick_is_skipped_while_another_sweeper_has_the_turn(
    factory: sessionmaker[Session], clock: Clock, tmp_path: Path
) -> None:
    inside, release = threading.Event(), threading.Event()
    second_swept: list[datetime] = []

    def slow(_s: Session, _now: datetime) -> None:
        inside.set()
        assert release.wait(10)

    path = tmp_path / "desk.sqlite3-sweep.lock"
    first = _running(factory, slow, clock, lock=FileSweepLock(path))
    second = _running(
        factory, lambda _s, now: second_swept.append(now), clock, lock=FileSweepLock(path)
    )
    try:
        first.wake()
        assert inside.wait(10)
        assert second.tick() is SweepOutcome.SKIPPED
        assert second_swept == []
        release.set()
        assert first.tick() is SweepOutcome.SWEPT
        assert second.tick() is SweepOutcome.SWEPT
        assert second_swept == [T0]
    finally:
        release.set()
        first.stop()
        second.stop()


def test_sweepers_on_one_file_take_turns(
    factory: sessionmaker[Session], clock: Clock, tmp_path: Path
) -> None:
    """Three sweepers ticking every millisecond on one lock file: never two at once."""
    guard = threading.Lock()
    active = [0]
    most = [0]
    swept = [0]
    enough = threading.Event()

    def sweep(_s: Session, _now: datetime) -> None:
        with guard:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.002)  # long enough for the others' ticks to find the turn taken
        with guard:
            active[0] -= 1
            swept[0] += 1
            if swept[0] >= 30:
                enough.set()

    path = tmp_path / "desk.sqlite3-sweep.lock"
    sweepers = [
        _running(factory, sweep, clock, lock=FileSweepLock(path), interval=0.001) for _ in range(3)
    ]
    try:
        assert enough.wait(20)
    finally:
        for sweeper in sweepers:
            sweeper.stop()
    assert most[0] == 1


def test_stop_waits_for_the_sweep_under_way_and_starts_no_other(
    factory: sessionmaker[Session], clock: Clock
) -> None:
    inside, release = threading.Event(), threading.Event()
    calls: list[datetime] = []

    def slow(_s: Session, now: datetime) -> None:
        calls.append(now)
        inside.set()
        assert release.wait(10)

    sweeper = _running(factory, slow, clock)
    sweeper.wake()
    assert inside.wait(10)
    stopping = threading.Thread(target=sweeper.stop)
    stopping.start()
    stopping.join(0.05)
    assert stopping.is_alive()  # waiting for the sweep under way
    release.set()
    stopping.join(10)
    assert not stopping.is_alive()
    assert calls == [T0]
    assert sweeper.tick(timeout=0.05) is None


def test_an_interval_must_be_positive(factory: sessionmaker[Session], clock: Clock) -> None:
    with pytest.raises(ValueError, match="interval"):
        EscalationSweeper(
            factory, ThreadSweepLock(), clock=clock, interval=0, sweep=lambda _s, _n: None
        )
