"""Fixtures: one fresh database per module, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.storage.support import BACKENDS, Clock, Database, open_database
from touchpoint.storage.db import make_engine
from touchpoint.storage.models import Base


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.factory() as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file with the models' tables (no migrations), engine as the app
    makes it."""
    eng = make_engine(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    Base.metadata.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()
