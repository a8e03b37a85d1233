"""``UtcDateTime`` on SQLite converts in one step each way; the text and instants are
exactly those of its own step followed by SQLAlchemy's SQLite ``DATETIME`` (the oracle:
``TypeDecorator``'s composed processors)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from touchpoint.storage.db import make_engine
from touchpoint.storage.types import UtcDateTime

DIALECT = sqlite.dialect()
TYPE = UtcDateTime()
# What SQLAlchemy uses (cached per dialect), and the oracle: TypeDecorator's own
# composition on the type as adapted to SQLite (its impl SQLite's DATETIME).
FUSED_BIND = TYPE._cached_bind_processor(DIALECT)
FUSED_RESULT = TYPE._cached_result_processor(DIALECT, None)
ADAPTED = TYPE.dialect_impl(DIALECT)
COMPOSED_BIND = TypeDecorator.bind_processor(ADAPTED, DIALECT)
COMPOSED_RESULT = TypeDecorator.result_processor(ADAPTED, DIALECT, None)

INSTANTS = [
    datetime(2026, 11, 24, 8, 0, tzinfo=UTC),  # no microseconds: still written
    datetime(2026, 11, 24, 8, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 24, 16, 30, 5, 7, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 7, 1, 12, 30, tzinfo=ZoneInfo("Europe/London")),  # summer time
    datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 1, 1, 0, 0, tzinfo=ZoneInfo("UTC")),  # UTC, but not datetime.UTC
    datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=UTC),  # a year of three digits: zero-padded
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_the_text_is_the_composed_processors_text(instant: datetime) -> None:
    assert FUSED_BIND is not None and COMPOSED_BIND is not None
    assert FUSED_BIND is not COMPOSED_BIND
    text = FUSED_BIND(instant)
    assert text == COMPOSED_BIND(instant)
    assert FUSED_RESULT is not None and COMPOSED_RESULT is not None
    back = FUSED_RESULT(text)
    assert back == COMPOSED_RESULT(text) == instant
    assert back.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-24 08:00:00.000000",
        "2026-11-24 08:00:00",  # written by another tool: no fraction
        "2026-11-24T08:00:00.5",
        "2026-11-24 16:00:00+08:00",  # with an offset: converted to UTC
        "2026-11-24",
    ],
)
def test_stored_text_reads_as_the_composed_processors_read_it(text: str) -> None:
    assert FUSED_RESULT is not None and COMPOSED_RESULT is not None
    assert FUSED_RESULT(text) == COMPOSED_RESULT(text)
    assert FUSED_RESULT(text).tzinfo is UTC


def test_none_passes_and_a_naive_instant_is_refused() -> None:
    assert FUSED_BIND is not None and FUSED_RESULT is not None
    assert FUSED_BIND(None) is None
    assert FUSED_RESULT(None) is None
    naive = datetime(2026, 11, 24, 8, 0, tzinfo=UTC).replace(tzinfo=None)
    with pytest.raises(ValueError, match=r"'2026-11-24T08:00:00' must be timezone-aware"):
        FUSED_BIND(naive)


def test_other_dialects_keep_the_composed_processors() -> None:
    from sqlalchemy.dialects import postgresql

    pg = postgresql.dialect()
    process: Any = TYPE._cached_bind_processor(pg)
    assert process is not None and process is not FUSED_BIND
    value = datetime(2026, 11, 24, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    bound = process(value)
    assert bound == value and bound.tzinfo is UTC


def test_a_sqlite_file_stores_and_compares_the_text(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.sqlite3'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", TYPE))
    try:
        table.create(engine)
        with engine.begin() as c:
            c.execute(table.insert(), [{"id": i, "at": at} for i, at in enumerate(INSTANTS)])
        with engine.connect() as c:
            stored = c.exec_driver_sql("SELECT at FROM t ORDER BY id").scalars().all()
            assert stored == [COMPOSED_BIND(at) for at in INSTANTS]  # type: ignore[misc]
            later = c.scalars(
                select(table.c.id).where(table.c.at >= INSTANTS[1]).order_by(table.c.id)
            ).all()
            assert later == [i for i, at in enumerate(INSTANTS) if at >= INSTANTS[1]]
            assert c.scalars(select(table.c.at).order_by(table.c.id)).all() == INSTANTS
    finally:
        engine.dispose()
