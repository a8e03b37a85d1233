"""``UtcDateTime``: aware instants in, aware UTC instants out, naive ones refused. On
SQLite the stored text is naive UTC with microseconds (SQLAlchemy's ``DATETIME``), so
that text order is time order; text written by other tools reads back too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, select
from sqlalchemy.exc import StatementError

from touchpoint.storage.db import make_engine
from touchpoint.storage.types import UtcDateTime

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
TABLE = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 't.sqlite3'}")
    TABLE.create(engine)
    yield engine
    engine.dispose()


def _naive_utc_text(at: datetime) -> str:
    utc = at.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%d %H:%M:%S}.{utc.microsecond:06d}"


def test_instants_are_stored_as_naive_utc_text_and_read_back_aware(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(TABLE.insert(), [{"id": i, "at": at} for i, at in enumerate(INSTANTS)])
    with engine.connect() as c:
        stored = c.exec_driver_sql("SELECT at FROM t ORDER BY id").scalars().all()
        assert stored == [_naive_utc_text(at) for at in INSTANTS]
        back = c.scalars(select(TABLE.c.at).order_by(TABLE.c.id)).all()
        assert back == INSTANTS
        assert all(at.tzinfo is UTC for at in back)
        later = c.scalars(
            select(TABLE.c.id).where(TABLE.c.at >= INSTANTS[1]).order_by(TABLE.c.id)
        ).all()
        assert later == [i for i, at in enumerate(INSTANTS) if at >= INSTANTS[1]]


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-24 08:00:00.000000", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
        ("2026-11-24 08:00:00", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),  # no fraction
        ("2026-11-24T08:00:00.5", datetime(2026, 11, 24, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-24 16:00:00+08:00", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),  # offset
        ("2026-11-24", datetime(2026, 11, 24, tzinfo=UTC)),
    ],
)
def test_text_written_by_other_tools_reads_as_utc(
    engine: Engine, text: str, instant: datetime
) -> None:
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t (id, at) VALUES (1, ?)", (text,))
    with engine.connect() as c:
        back = c.scalar(select(TABLE.c.at))
    assert back == instant and back is not None and back.tzinfo is UTC


def test_none_passes_and_a_naive_instant_is_refused(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(TABLE.insert(), {"id": 1, "at": None})
    with engine.connect() as c:
        assert c.scalar(select(TABLE.c.at)) is None
    naive = datetime(2026, 11, 24, 8, 0)  # noqa: DTZ001 - the refused case
    with (
        pytest.raises(StatementError, match=r"'2026-11-24T08:00:00' must be timezone-aware"),
        engine.begin() as c,
    ):
        c.execute(TABLE.insert(), {"id": 2, "at": naive})
    with engine.connect() as c:
        assert c.scalars(select(TABLE.c.id)).all() == [1]  # nothing half-written
