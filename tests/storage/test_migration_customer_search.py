"""Revision 0006: the customer search index (SQLite's FTS5 trigram table and its
triggers, PostgreSQL's pg_trgm indexes) is filled from existing customers, dropped by the
downgrade, and every statement of a search is answered from an index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from tests.storage.support import T0, Database, actor_of, make_user
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.roles import Role
from touchpoint.services.customer_search import ranked_customer_ids
from touchpoint.services.customers import CustomerDraft, create_customer
from touchpoint.storage.migrate import alembic_config, upgrade

SQLITE_OBJECTS = {
    *(
        f"customer_{kind}_search{shadow}"
        for kind in ("name", "identity")
        for shadow in ("", "_config", "_content", "_data", "_docsize", "_idx")
    ),
    "customer_search_customer_delete",
    "customer_search_customer_insert",
    "customer_search_customer_name",
    "customer_search_identity_delete",
    "customer_search_identity_insert",
    "customer_search_identity_update",
}
POSTGRESQL_OBJECTS = {
    "ix_customers_name_trgm",
    "ix_customer_identities_normalised_trgm",
    "ix_customer_identities_normalised_prefix",
}


def _search_objects(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            rows = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'customer%search%'")
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                    " AND (indexname LIKE '%trgm' OR indexname LIKE '%prefix')"
                )
            )
        return {name for (name,) in rows}


def _downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _customer(db: Database, session: Session, name: str, phone: str) -> int:
    agent = actor_of(make_user(db, session, Role.AGENT))
    draft = CustomerDraft(name=name, identities=((IdentityKind.PHONE, phone),))
    return create_customer(session, agent, draft, now=T0).customer.id


def _customer_at_0005(db: Database, name: str, phone: str) -> int:
    """A customer written as revision 0005's tables had it (the models describe the
    newest schema, whose later columns the downgraded tables lack)."""
    with db.engine.begin() as conn:
        cid = conn.execute(
            text(
                "INSERT INTO customers (kind, customer_class, name, organisation, preferences,"
                " notes, hostage, created_at, updated_at, version) VALUES ('person', 'normal',"
                " :name, '', '{}', '', false, :at, :at, 1) RETURNING id"
            ),
            {"name": name, "at": T0},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO customer_identities (customer_id, kind, value, normalised)"
                " VALUES (:cid, 'phone', :phone, :phone)"
            ),
            {"cid": cid, "phone": phone},
        )
    return int(cid)


def test_upgrade_fills_the_index_and_downgrade_removes_it(db: Database, session: Session) -> None:
    expected = SQLITE_OBJECTS if db.backend == "sqlite" else POSTGRESQL_OBJECTS
    assert _search_objects(db) == expected
    _downgrade(db, "0005")
    try:
        assert _search_objects(db) == set()
        cid = _customer_at_0005(db, "Backfill Bai", "13511112222")  # no index to keep yet
    finally:
        upgrade(db.url)
    assert _search_objects(db) == expected
    with db.factory() as fresh:
        assert ranked_customer_ids(fresh, "11112222", limit=5) == [cid]
        assert ranked_customer_ids(fresh, "fill ba", limit=5) == [cid]


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement run on ``db.engine`` meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _plan(db: Database, statement: str, params: Any) -> str:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            return "\n".join(str(row[-1]) for row in rows)
        # The tables are tiny here, and an ordered walk of an id index is a fine plan for
        # dense matches: forbid sequential and plain index scans to see that a bitmap of
        # some index (a trigram or the identities' B-tree) can answer the statement; a
        # statement no index could answer would still show its Seq Scan.
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_indexscan = off")
        conn.exec_driver_sql("SET enable_indexonlyscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", params)
        return "\n".join(str(row[0]) for row in rows)


def test_every_search_statement_reads_an_index(db: Database, session: Session) -> None:
    _customer(db, session, "Plan Ping", "13722223333")
    with _statements(db) as seen, db.factory() as fresh:
        for typed in ("22223333", "13722223333", "1372", "Plan", "an Pi", "Pi", "P"):
            ranked_customer_ids(fresh, typed, limit=10)
    searches = [(s, p) for s, p in seen if "customer" in s and s.lstrip().startswith("SELECT")]
    assert searches
    plans = [_plan(db, statement, params) for statement, params in searches]
    for plan in plans:
        if db.backend == "sqlite":
            scans = [line for line in plan.splitlines() if line.startswith("SCAN")]
            assert all("VIRTUAL TABLE" in line for line in scans), plan
        else:
            assert "Seq Scan" not in plan, plan
    assert any("VIRTUAL TABLE" in plan or "_trgm" in plan for plan in plans)
