"""Checks that hold for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from touchpoint.services import base
from touchpoint.storage import direct


def _no_write_before_the_lock(conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
    """A write unit that takes SQLite's writer lock at its first write
    (``lock_at_first_write``) must have taken it before any statement that writes:
    every such statement goes through ``base.writing`` or the ORM's flush first."""
    pending = conn.info.get(base._FIRST_WRITE)
    if pending is not None and not pending.held and not statement.lstrip().startswith("SELECT"):
        raise AssertionError(f"a write before the unit took the writer lock: {statement[:200]}")


@pytest.fixture(autouse=True, scope="session")
def _writes_wait_for_the_writer_lock() -> Iterator[None]:
    event.listen(Engine, "before_cursor_execute", _no_write_before_the_lock)
    yield
    event.remove(Engine, "before_cursor_execute", _no_write_before_the_lock)


@pytest.fixture
def sent_direct(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of each statement ``storage.direct`` sends to the driver from here on."""
    sent: list[str] = []
    real = direct._run

    def spy(connection: Any, compiled: Any, params: Any, answer: Any) -> Any:
        sent.append(compiled.sql)
        return real(connection, compiled, params, answer)

    monkeypatch.setattr(direct, "_run", spy)
    return sent
