"""The SQLite engine's pool hands back the connection returned last (its page cache is
warm: SQLite drops a connection's whole cache when another connection changed the file)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from touchpoint.storage.db import make_engine


def test_the_connection_returned_last_is_handed_out_next(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        first = engine.connect()
        second = engine.connect()
        first_raw = first.connection.dbapi_connection
        second_raw = second.connection.dbapi_connection
        assert first_raw is not second_raw
        first.close()
        second.close()  # returned last
        for _ in range(3):  # in turn, the first would come back every other time
            with engine.connect() as again:
                again.execute(text("SELECT 1"))
                assert again.connection.dbapi_connection is second_raw
    finally:
        engine.dispose()
