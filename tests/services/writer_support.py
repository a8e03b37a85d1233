"""Helpers for the writer-lock tests (services and API): a migrated SQLite file, write
units that add a team, a process that holds the writer lock, what was written."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from touchpoint.services.base import Actor, write
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import AuditEntry, Team

UNITS_PER_WRITER = 60
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def migrated_sqlite(tmp_path: Path) -> str:
    """The URL of a fresh, migrated SQLite file under ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    upgrade(url)
    return url


def add_team(url: str, name: str, *, hold: float = 0.0, entered: object = None) -> None:
    """One write unit that adds a team. With ``entered`` (a multiprocessing event) it is
    set as soon as the unit starts, before anything is written, and the unit then holds
    on ``hold`` seconds."""
    engine = make_engine(url)
    try:
        with (
            make_session_factory(engine)() as session,
            write(session, Actor.system(), "test.team", now=NOW) as unit,
        ):
            if entered is not None:
                entered.set()  # type: ignore[attr-defined]
            time.sleep(hold)
            session.add(Team(name=name))
            session.flush()
            unit.audit("team", name, before=None, after={"name": name})
    finally:
        engine.dispose()


def writer(url: str, writer: int) -> None:
    for n in range(UNITS_PER_WRITER):
        add_team(url, f"w{writer}-{n}")


def start_holder(url: str, name: str, hold: float) -> multiprocessing.process.BaseProcess:
    """A forked process inside a write unit (nothing written yet) for ``hold`` seconds,
    returned once it is inside."""
    ctx = multiprocessing.get_context("fork")
    entered = ctx.Event()
    holder = ctx.Process(
        target=add_team, args=(url, name), kwargs={"hold": hold, "entered": entered}
    )
    holder.start()
    assert entered.wait(10)
    return holder


def team_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(Team.name)).scalars())
    finally:
        engine.dispose()


def count(url: str, model: type[Team] | type[AuditEntry]) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()
