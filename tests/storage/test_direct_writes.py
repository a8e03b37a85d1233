"""``storage.direct.execute_write``: the same rows as Core, Core's errors, the events seen.

Each test writes through ``execute_write`` and reads back through Core: what is stored
(dates, JSON, booleans, NULLs) must be exactly what ``connection.execute`` stores, since
the rest of the app reads it with Core and the ORM.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from touchpoint.services import base
from touchpoint.services import work_orders as svc
from touchpoint.storage import direct
from touchpoint.storage.db import make_engine
from touchpoint.storage.direct import execute_write
from touchpoint.storage.models import AuditEntry, Base, Customer, User

AT = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'direct.sqlite3'}")
    Base.metadata.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _audit(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": AT,
        "actor_id": None,
        "action": "x.test",
        "entity": "x",
        "entity_id": "7",
        "before": None,
        "after": {"name": "王芳", "n": 3, "when": "2026-03-01T08:30:15", "ok": True},
    }
    return row | changes


_AUDIT = insert(AuditEntry).inline()


def test_an_audit_row_is_stored_as_core_stores_it(engine: Engine) -> None:
    with engine.begin() as c:
        direct_id = execute_write(c, _AUDIT, _audit()).lastrowid
        c.execute(_AUDIT, _audit())
        rows = c.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).all()
    assert direct_id == rows[0].id == 1
    assert rows[0]._asdict() | {"id": 0} == rows[1]._asdict() | {"id": 0}
    assert rows[0].after == {"name": "王芳", "n": 3, "when": "2026-03-01T08:30:15", "ok": True}
    assert rows[0].at == AT
    assert rows[0].before is None


def test_an_update_reports_the_rows_it_matched(engine: Engine) -> None:
    users = User.__table__
    with engine.begin() as c:
        c.execute(
            insert(users),
            {"username": "a", "password_hash": "h", "role": "agent", "created_at": AT},
        )
        stmt = update(users).where(users.c.username == "a").values(active=False)
        stmt_none = update(users).where(users.c.username == "nobody").values(active=False)
        assert execute_write(c, stmt, {}).rowcount == 1
        assert execute_write(c, stmt_none, {}).rowcount == 0
        assert c.execute(select(users.c.active)).scalar_one() is False


def test_a_constraint_fails_as_sqlalchemy_s_integrity_error(engine: Engine) -> None:
    with engine.connect() as c:
        c.begin()
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            execute_write(c, _AUDIT, _audit(actor_id=999))
        c.rollback()
        assert c.execute(select(AuditEntry.id)).all() == []


def test_the_engine_s_cursor_events_see_the_statement(engine: Engine) -> None:
    seen: list[tuple[str, Any]] = []

    def before(_c: Connection, _cur: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append(("before", statement))

    def after(_c: Connection, _cur: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append(("after", statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    with engine.begin() as c:
        execute_write(c, _AUDIT, _audit())
    assert [kind for kind, _ in seen] == ["before", "after"]
    assert seen[0][1].startswith("INSERT INTO audit_log")


def test_a_statement_with_defaults_to_fill_goes_through_core(engine: Engine) -> None:
    stmt = insert(Customer)  # kind, customer_class, preferences… left to their defaults
    with engine.begin() as c:
        written = execute_write(c, stmt, {"name": "Li Lei", "created_at": AT, "updated_at": AT})
        row = c.execute(select(Customer.__table__)).one()
    assert written.lastrowid == row.id == 1
    assert (row.kind, row.customer_class, row.preferences, row.version) == (
        "person",
        "normal",
        {},
        1,
    )
    assert not isinstance(
        direct._compiled[(id(stmt), ("name", "created_at", "updated_at"))], direct._Compiled
    )


def test_the_desk_s_hot_statements_go_direct(engine: Engine) -> None:
    """The order INSERT, its event's and the audit row's: every value given, so they
    go to the driver; a column default added to their tables would send them back to
    Core unnoticed without this."""
    keys = {
        id(svc._INSERT_ORDER): tuple(
            c.key for c in svc.WorkOrder.__table__.columns if c.key != "id"
        ),
        id(svc._INSERT_EVENT): (
            "work_order_id",
            "at",
            "type",
            "status",
            "actor_id",
            "body",
            "channel",
            "tag",
        ),
        id(base._INSERT_AUDIT): tuple(_audit()),
    }
    with engine.connect() as c:
        for stmt in (svc._INSERT_ORDER, svc._INSERT_EVENT, base._INSERT_AUDIT):
            found = direct._compile(c, stmt, keys[id(stmt)])
            assert isinstance(found, direct._Compiled), stmt
