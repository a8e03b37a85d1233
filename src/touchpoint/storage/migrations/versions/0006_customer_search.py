"""fragment search of customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:00:00.000000

The index behind ``GET /api/customers?q=`` and the call screen's search (see
``touchpoint.storage.customer_search``), so that a fragment of a phone number, e-mail,
account or name is found without reading the whole customer table.

* SQLite: two FTS5 tables with the trigram tokenizer (SQLite 3.34 or later), one row
  per customer (``rowid`` = customer id): ``customer_name_search`` holds the name,
  ``customer_identity_search`` every normalised identity, each value wrapped in the
  markers ``\\x02\\x02`` and ``\\x03\\x03``. Two tables, not two columns of one: a
  trigram's list of rows covers every column, so a name search would read the long
  lists of digit trigrams. Triggers on ``customers`` and ``customer_identities`` keep
  them current, whatever writes the rows; existing rows are copied in.
* PostgreSQL: the ``pg_trgm`` extension, GIN trigram indexes on ``customers.name`` and
  ``customer_identities.normalised``, and a ``text_pattern_ops`` B-tree on the latter
  for prefixes (a prefix such as ``163.com`` shares its trigrams with 100,000 e-mails,
  all of which the GIN index would hand over to be rechecked). The extension goes into
  schema ``public`` when there is one, so that dropping one application schema (the
  tests make one per module) does not drop it from under another. The downgrade keeps
  the extension: other objects may use it, and dropping it needs its owner.

The SQL is spelled out here, not imported, so that this revision stays as it was run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (table, column, operator class; None: the class of pg_trgm's schema)
_POSTGRESQL_INDEXES = {
    "ix_customers_name_trgm": ("customers", "name", None),
    "ix_customer_identities_normalised_trgm": ("customer_identities", "normalised", None),
    "ix_customer_identities_normalised_prefix": (
        "customer_identities",
        "normalised",
        "text_pattern_ops",
    ),
}


def _refresh(customer_id: str) -> str:
    """The statement rewriting the identities row of customer ``customer_id``."""
    return f"""UPDATE customer_identity_search
  SET identities = (
    SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
    FROM customer_identities AS i WHERE i.customer_id = {customer_id})
  WHERE rowid = {customer_id};"""  # noqa: S608 (SQL of this module, no input)


# Each indexed value goes between the markers char(2, 2) and char(3, 3); a customer's
# identities row is its normalised identities so wrapped, run together.
_SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE customer_name_search USING fts5(name, tokenize='trigram')",
    "CREATE VIRTUAL TABLE customer_identity_search USING fts5(identities, tokenize='trigram')",
    """
INSERT INTO customer_name_search (rowid, name)
SELECT id, char(2, 2) || name || char(3, 3) FROM customers
""",
    """
INSERT INTO customer_identity_search (rowid, identities)
SELECT c.id,
       (SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
        FROM customer_identities AS i WHERE i.customer_id = c.id)
FROM customers AS c
""",
    # Every trigger runs AFTER the write, so that its subquery sees it.
    """
CREATE TRIGGER customer_search_customer_insert AFTER INSERT ON customers BEGIN
  INSERT INTO customer_name_search (rowid, name)
  VALUES (NEW.id, char(2, 2) || NEW.name || char(3, 3));
  INSERT INTO customer_identity_search (rowid, identities)
  VALUES (NEW.id,
          (SELECT coalesce(group_concat(char(2, 2) || i.normalised || char(3, 3), ''), '')
           FROM customer_identities AS i WHERE i.customer_id = NEW.id));
END""",
    """
CREATE TRIGGER customer_search_customer_name AFTER UPDATE OF name ON customers BEGIN
  UPDATE customer_name_search SET name = char(2, 2) || NEW.name || char(3, 3)
  WHERE rowid = NEW.id;
END""",
    """
CREATE TRIGGER customer_search_customer_delete AFTER DELETE ON customers BEGIN
  DELETE FROM customer_name_search WHERE rowid = OLD.id;
  DELETE FROM customer_identity_search WHERE rowid = OLD.id;
END""",
    f"""
CREATE TRIGGER customer_search_identity_insert AFTER INSERT ON customer_identities BEGIN
  {_refresh("NEW.customer_id")}
END""",
    # A merge moves identities to the survivor: both customers' rows change.
    f"""
CREATE TRIGGER customer_search_identity_update
AFTER UPDATE OF customer_id, normalised ON customer_identities BEGIN
  {_refresh("OLD.customer_id")}
  {_refresh("NEW.customer_id")}
END""",
    f"""
CREATE TRIGGER customer_search_identity_delete AFTER DELETE ON customer_identities BEGIN
  {_refresh("OLD.customer_id")}
END""",
)
_SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS customer_search_identity_delete",
    "DROP TRIGGER IF EXISTS customer_search_identity_update",
    "DROP TRIGGER IF EXISTS customer_search_identity_insert",
    "DROP TRIGGER IF EXISTS customer_search_customer_delete",
    "DROP TRIGGER IF EXISTS customer_search_customer_name",
    "DROP TRIGGER IF EXISTS customer_search_customer_insert",
    "DROP TABLE IF EXISTS customer_identity_search",
    "DROP TABLE IF EXISTS customer_name_search",
)


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
    trigram_ops = f"{_trigram_schema()}.gin_trgm_ops"
    for name, (table, column, ops) in _POSTGRESQL_INDEXES.items():
        if ops:
            op.execute(f"CREATE INDEX {name} ON {table} ({column} {ops})")
        else:
            # Without fastupdate a write puts its trigrams straight into the index: a
            # search never reads through the pending list of recent writes (up to 4 MB,
            # ~10 ms per search until a vacuum empties it). A write costs a little more.
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin ({column} {trigram_ops})"
                " WITH (fastupdate = off)"
            )


def upgrade() -> None:
    """Apply this revision."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_UPGRADE:
            op.execute(statement)
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    """Revert this revision."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_DOWNGRADE:
            op.execute(statement)
    elif dialect == "postgresql":
        for name in reversed(_POSTGRESQL_INDEXES):
            op.execute(f"DROP INDEX IF EXISTS {name}")
