"""fragment search of customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:00:00.000000

The index behind ``GET /api/customers?q=`` and the call screen's search (see
``touchpoint.storage.customer_search``), so that a fragment of a phone number, e-mail,
account or name is found without reading the whole customer table.

* SQLite: the FTS5 table ``customer_search`` with the trigram tokenizer (SQLite 3.34 or
  later), one row per customer (``rowid`` = customer id): the name and every normalised
  identity, each wrapped in the markers ``\\x02\\x02`` and ``\\x03\\x03``. Triggers on
  ``customers`` and ``customer_identities`` keep it current, whatever writes the rows;
  existing rows are copied in.
* PostgreSQL: the ``pg_trgm`` extension and GIN trigram indexes on ``customers.name``
  and ``customer_identities.normalised``. The extension goes into schema ``public`` when
  there is one, so that dropping one application schema (the tests make one per module)
  does not drop it from under another. The downgrade keeps the extension: other objects
  may use it, and dropping it needs its owner.

The SQL is spelled out here, not imported, so that this revision stays as it was run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGRAM_INDEXES = {
    "ix_customers_name_trgm": ("customers", "name"),
    "ix_customer_identities_normalised_trgm": ("customer_identities", "normalised"),
}

# Each indexed value goes between the markers char(2, 2) and char(3, 3); a customer's
# identities column is its normalised identities so wrapped, run together.
_CREATE_TABLE = (
    "CREATE VIRTUAL TABLE customer_search USING fts5(name, identities, tokenize='trigram')"
)
_BACKFILL = """
INSERT INTO customer_search (rowid, name, identities)
SELECT c.id, char(2, 2) || c.name || char(3, 3),
       (SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
        FROM customer_identities AS i WHERE i.customer_id = c.id)
FROM customers AS c
"""
# Every trigger runs AFTER the write, so that its subquery sees it.
_TRIGGERS = {
    "customer_search_customer_insert": """
CREATE TRIGGER customer_search_customer_insert AFTER INSERT ON customers BEGIN
  INSERT INTO customer_search (rowid, name, identities)
  VALUES (NEW.id, char(2, 2) || NEW.name || char(3, 3),
          (SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
           FROM customer_identities AS i WHERE i.customer_id = NEW.id));
END""",
    "customer_search_customer_name": """
CREATE TRIGGER customer_search_customer_name AFTER UPDATE OF name ON customers BEGIN
  UPDATE customer_search SET name = char(2, 2) || NEW.name || char(3, 3)
  WHERE rowid = NEW.id;
END""",
    "customer_search_customer_delete": """
CREATE TRIGGER customer_search_customer_delete AFTER DELETE ON customers BEGIN
  DELETE FROM customer_search WHERE rowid = OLD.id;
END""",
    "customer_search_identity_insert": """
CREATE TRIGGER customer_search_identity_insert AFTER INSERT ON customer_identities BEGIN
  UPDATE customer_search
  SET identities = (
    SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
    FROM customer_identities AS i WHERE i.customer_id = NEW.customer_id)
  WHERE rowid = NEW.customer_id;
END""",
    # A merge moves identities to the survivor: both customers' rows change.
    "customer_search_identity_update": """
CREATE TRIGGER customer_search_identity_update
AFTER UPDATE OF customer_id, normalised ON customer_identities BEGIN
  UPDATE customer_search
  SET identities = (
    SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
    FROM customer_identities AS i WHERE i.customer_id = OLD.customer_id)
  WHERE rowid = OLD.customer_id;
  UPDATE customer_search
  SET identities = (
    SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
    FROM customer_identities AS i WHERE i.customer_id = NEW.customer_id)
  WHERE rowid = NEW.customer_id;
END""",
    "customer_search_identity_delete": """
CREATE TRIGGER customer_search_identity_delete AFTER DELETE ON customer_identities BEGIN
  UPDATE customer_search
  SET identities = (
    SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
    FROM customer_identities AS i WHERE i.customer_id = OLD.customer_id)
  WHERE rowid = OLD.customer_id;
END""",
}


def _sqlite_upgrade() -> None:
    op.execute(_CREATE_TABLE)
    op.execute(_BACKFILL)
    for create in _TRIGGERS.values():
        op.execute(create)


def _trigram_schema() -> str:
    """The (quoted) schema holding pg_trgm, created if missing."""
    conn = op.get_bind()
    find = sa.text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    schema = conn.scalar(find)
    if schema is None:
        public = conn.scalar(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'"))
        where = " WITH SCHEMA public" if public else ""
        op.execute(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{where}")
        schema = conn.scalar(find)
    return str(schema)


def _postgresql_upgrade() -> None:
    schema = _trigram_schema()
    for name, (table, column) in _TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} {schema}.gin_trgm_ops)")


def upgrade() -> None:
    """Apply this revision."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    """Revert this revision."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in reversed(_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS customer_search")
    elif dialect == "postgresql":
        for name in reversed(_TRIGRAM_INDEXES):
            op.execute(f"DROP INDEX IF EXISTS {name}")
