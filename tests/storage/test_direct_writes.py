"""``storage.direct.execute_write``: the same rows as Core, Core's errors, the events seen.

Each test writes through ``execute_write`` and reads back through Core: what is stored
(dates, JSON, booleans, NULLs) must be exactly what ``connection.execute`` stores, since
the rest of the app reads it with Core and the ORM.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from touchpoint.storage.direct import execute_write
from touchpoint.storage.models import AuditEntry, Customer, User

AT = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


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


def test_an_audit_row_is_stored_as_core_stores_it(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        direct_id = execute_write(c, _AUDIT, _audit()).lastrowid
        c.execute(_AUDIT, _audit())
        rows = c.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).all()
    assert direct_id == rows[0].id == 1
    assert rows[0]._asdict() | {"id": 0} == rows[1]._asdict() | {"id": 0}
    assert rows[0].after == {"name": "王芳", "n": 3, "when": "2026-03-01T08:30:15", "ok": True}
    assert rows[0].at == AT
    assert rows[0].before is None


def test_an_update_reports_the_rows_it_matched(sqlite_file: Engine) -> None:
    users = User.__table__
    with sqlite_file.begin() as c:
        c.execute(
            insert(users),
            {"username": "a", "password_hash": "h", "role": "agent", "created_at": AT},
        )
        stmt = update(users).where(users.c.username == "a").values(active=False)
        stmt_none = update(users).where(users.c.username == "nobody").values(active=False)
        assert execute_write(c, stmt, {}).rowcount == 1
        assert execute_write(c, stmt_none, {}).rowcount == 0
        assert c.execute(select(users.c.active)).scalar_one() is False


def test_a_constraint_fails_as_sqlalchemy_s_integrity_error(sqlite_file: Engine) -> None:
    with sqlite_file.connect() as c:
        c.begin()
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            execute_write(c, _AUDIT, _audit(actor_id=999))
        c.rollback()
        assert c.execute(select(AuditEntry.id)).all() == []


def test_the_engine_s_cursor_events_see_the_statement(sqlite_file: Engine) -> None:
    seen: list[tuple[str, Any]] = []

    def before(_c: Connection, _cur: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append(("before", statement))

    def after(_c: Connection, _cur: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append(("after", statement))

    event.listen(sqlite_file, "before_cursor_execute", before)
    event.listen(sqlite_file, "after_cursor_execute", after)
    with sqlite_file.begin() as c:
        execute_write(c, _AUDIT, _audit())
    assert [kind for kind, _ in seen] == ["before", "after"]
    assert seen[0][1].startswith("INSERT INTO audit_log")


def test_a_statement_with_defaults_to_fill_goes_through_core(
    sqlite_file: Engine, sent_direct: list[str]
) -> None:
    stmt = insert(Customer)  # kind, customer_class, preferences… left to their defaults
    with sqlite_file.begin() as c:
        written = execute_write(c, stmt, {"name": "Li Lei", "created_at": AT, "updated_at": AT})
        row = c.execute(select(Customer.__table__)).one()
        assert sent_direct == []
        execute_write(c, _AUDIT, _audit())  # every value given: this one goes direct
    assert written.lastrowid == row.id == 1
    assert (row.kind, row.customer_class, row.preferences, row.version) == (
        "person",
        "normal",
        {},
        1,
    )
    assert [sql.split(" (")[0] for sql in sent_direct] == ["INSERT INTO audit_log"]
