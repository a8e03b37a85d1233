"""Revision 0003: the orders' assignee and incident indexes hold only set values, and the
desk's lookups by assignee and by incident still use them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from tests.storage.support import Database
from touchpoint.storage.migrate import alembic_config, upgrade

INDEXES = ("ix_work_orders_assignee_id", "ix_work_orders_incident_id")


def _definitions(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            rows = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'work_orders'")
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'work_orders'"
                    " AND schemaname = current_schema()"
                )
            )
        return {name: sql for name, sql in rows if name in INDEXES}


def _downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_the_indexes_are_partial_and_downgrade_makes_them_whole(db: Database) -> None:
    found = _definitions(db)
    assert set(found) == set(INDEXES)
    for name, column in zip(INDEXES, ("assignee_id", "incident_id"), strict=True):
        assert "WHERE" in found[name].upper() and f"{column} IS NOT NULL" in found[name]
    _downgrade(db, "0002")
    try:
        whole = _definitions(db)
        assert set(whole) == set(INDEXES)
        assert not any("WHERE" in sql.upper() for sql in whole.values())
    finally:
        upgrade(db.url)
    assert _definitions(db) == found


@pytest.mark.parametrize("column", ["assignee_id", "incident_id"])
def test_a_lookup_by_value_uses_the_partial_index(db: Database, column: str) -> None:
    if db.backend != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL's depends on its statistics)")
    with db.engine.connect() as conn:
        plan = conn.execute(
            text(f"EXPLAIN QUERY PLAN SELECT id FROM work_orders WHERE {column} = :v"),  # noqa: S608 (a test constant)
            {"v": 3},
        ).all()
    assert any(f"ix_work_orders_{column}" in str(row[-1]) for row in plan), plan
