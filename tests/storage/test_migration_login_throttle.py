"""Revision 0004: users gain a failure count (0 for those already there) and a lock
instant, beside a table of failed logins per address; downgrading removes them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from tests.storage.support import BACKENDS, PG_ENV
from touchpoint.storage.db import make_engine
from touchpoint.storage.migrate import alembic_config, upgrade


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (a schema of its own on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.sqlite3'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (run under scripts/with-services.sh)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _shape(url: str) -> tuple[set[str], set[str], set[str]]:
    """The users' throttling columns, the login tables and their indexes."""
    engine = make_engine(url)
    try:
        found = inspect(engine)
        columns = {c["name"] for c in found.get_columns("users")} & {
            "failed_logins",
            "locked_until",
        }
        tables = set(found.get_table_names()) & {"login_failures"}
        indexes = (
            {i["name"] or "" for i in found.get_indexes("login_failures")} if tables else set()
        )
        return columns, tables, indexes
    finally:
        engine.dispose()


def test_existing_users_start_unlocked_and_downgrade_removes_it_all(url: str) -> None:
    upgrade(url, "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (username, display_name, password_hash, role, active,"
                    " auth_epoch, created_at, version) VALUES ('old', 'Old', 'x', 'agent',"
                    " true, 0, '2026-12-01 08:00:00', 1)"
                )
            )
        upgrade(url, "0004")
        assert _shape(url) == (
            {"failed_logins", "locked_until"},
            {"login_failures"},
            {"ix_login_failures_address_at"},
        )
        with engine.connect() as conn:
            row = conn.execute(text("SELECT failed_logins, locked_until FROM users")).one()
        assert tuple(row) == (0, None)
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        assert _shape(url) == (set(), set(), set())
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM users")).scalar_one() == "old"
    finally:
        engine.dispose()
