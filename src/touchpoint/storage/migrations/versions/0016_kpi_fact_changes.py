"""the orders changed since their KPI facts were written, kept by the database

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:00:00.000000

Adds ``work_order_kpi_changes``: one row per order created or changed (its version, team,
assignee, owner or SLA policy written) since its facts row was last written, with the
version it was written at. Triggers on ``work_orders`` keep it inside the order's own
transaction, whatever writes the order (the services, a bulk import, a plain
``UPDATE``), and one on the facts lists the order of a deleted facts row; the facts
sweep removes an order's row once it has stored facts for that very version. So the KPI
board can trust every facts row of its period whose order is not listed (and whose SLA
digest is current) without reading the orders at all.

``work_order_kpi_facts`` gains what the board used to read from the order: its SLA
policy, team, assignee and owner at that version, and ``tally_code``, the order's facts
packed into one integer (``services.kpi_facts.tally_code``); one covering index serves
the board's read of a period, a partial one the orders with pending breach instants, and
one on (policy, digest) the rows an edited policy or calendar left behind (on
PostgreSQL with statistics of the two columns together). The existing rows are filled
from their orders; an order whose facts row is missing or was computed for another
version is listed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FACTS = "work_order_kpi_facts"
_CHANGES = "work_order_kpi_changes"
_COPIED = ("policy_id", "team_id", "assignee_id", "owner_id")
# The columns whose writes make an order's facts row stale.
_WATCHED = "version, team_id, assignee_id, owner_id, policy_id"
_LIST_ORDER = (
    f"INSERT INTO {_CHANGES} (work_order_id, version) VALUES (NEW.id, NEW.version) "  # noqa: S608
    "ON CONFLICT (work_order_id) DO UPDATE SET version = excluded.version"
)
# A facts row deleted (by the sweep, which writes it again, or by hand) lists its order
# while the order exists, so that the board never counts an order without a row as none.
_LIST_FACTS_ORDER = (
    f"INSERT INTO {_CHANGES} (work_order_id, version) "  # noqa: S608
    "SELECT id, version FROM work_orders WHERE id = OLD.work_order_id "
    "ON CONFLICT (work_order_id) DO UPDATE SET version = excluded.version"
)
_SQLITE_OBJECTS = (
    f"CREATE TRIGGER work_order_kpi_change_insert AFTER INSERT ON work_orders "
    f"BEGIN {_LIST_ORDER}; END",
    f"CREATE TRIGGER work_order_kpi_change_update AFTER UPDATE OF {_WATCHED} ON work_orders "
    f"BEGIN {_LIST_ORDER}; END",
    f"CREATE TRIGGER work_order_kpi_facts_delete AFTER DELETE ON {_FACTS} "
    f"BEGIN {_LIST_FACTS_ORDER}; END",
)
_POSTGRESQL_OBJECTS = (
    # The digests of the rows of one policy are nearly all one value: without statistics
    # of the two columns together, PostgreSQL reckons "this policy, another digest" as
    # half the table and reads it whole instead of two short ranges of the index.
    f"CREATE STATISTICS st_work_order_kpi_facts_sla (mcv) ON policy_id, sla_stamp FROM {_FACTS}",
    "CREATE FUNCTION work_order_kpi_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_LIST_ORDER}; RETURN NULL; END $$",
    "CREATE TRIGGER work_order_kpi_change_insert AFTER INSERT ON work_orders "
    "FOR EACH ROW EXECUTE FUNCTION work_order_kpi_change()",
    f"CREATE TRIGGER work_order_kpi_change_update AFTER UPDATE OF {_WATCHED} ON work_orders "
    "FOR EACH ROW EXECUTE FUNCTION work_order_kpi_change()",
    "CREATE FUNCTION work_order_kpi_facts_gone() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {_LIST_FACTS_ORDER}; RETURN NULL; END $$",
    f"CREATE TRIGGER work_order_kpi_facts_delete AFTER DELETE ON {_FACTS} "
    "FOR EACH ROW EXECUTE FUNCTION work_order_kpi_facts_gone()",
)
# services.kpi_facts.tally_code, in SQL: the yes/no facts, the targets tracked and
# breached (3 bits each), then minutes to first response and to resolution, each + 1
# (0: none).
_TALLY_CODE = (
    "CAST(resolved AS INTEGER) + CAST(first_contact_resolution AS INTEGER) * 2 "
    "+ CAST(reopened AS INTEGER) * 4 + CAST(is_complaint AS INTEGER) * 8 "
    "+ targets_tracked * 16 + targets_breached * 128 "
    "+ (coalesce(first_response_minutes, -1) + 1) * 1024 "
    "+ (coalesce(resolution_minutes, -1) + 1) * 68719476736"
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        _CHANGES,
        sa.Column("work_order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_kpi_changes_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_work_order_kpi_changes")),
    )
    for column in _COPIED:
        op.add_column(_FACTS, sa.Column(column, sa.Integer()))
    op.add_column(_FACTS, sa.Column("tally_code", sa.BigInteger()))
    copied = ", ".join(_COPIED)
    op.execute(
        f"UPDATE {_FACTS} SET ({copied}) = "  # noqa: S608
        f"(SELECT {copied} FROM work_orders WHERE work_orders.id = {_FACTS}.work_order_id), "
        f"tally_code = {_TALLY_CODE}"
    )
    with op.batch_alter_table(_FACTS) as batch:
        batch.alter_column("tally_code", existing_type=sa.BigInteger(), nullable=False)
    op.execute(
        f"INSERT INTO {_CHANGES} (work_order_id, version) "  # noqa: S608
        f"SELECT o.id, o.version FROM work_orders AS o LEFT JOIN {_FACTS} AS f "
        "ON f.work_order_id = o.id "
        "WHERE f.work_order_id IS NULL OR f.order_version <> o.version"
    )
    op.drop_index(op.f("ix_work_order_kpi_facts_created_at"), table_name=_FACTS)
    op.create_index(
        "ix_work_order_kpi_facts_board",
        _FACTS,
        ["created_at", "team_id", "assignee_id", "owner_id", "tally_code"],
    )
    op.create_index(
        "ix_work_order_kpi_facts_pending",
        _FACTS,
        ["created_at"],
        sqlite_where=sa.text("first_response_breach_at IS NOT NULL"),
        postgresql_where=sa.text("first_response_breach_at IS NOT NULL"),
    )
    op.create_index("ix_work_order_kpi_facts_sla", _FACTS, ["policy_id", "sla_stamp"])
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_OBJECTS if dialect == "postgresql" else _SQLITE_OBJECTS:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    on = " ON work_orders" if postgresql else ""
    for trigger in ("work_order_kpi_change_update", "work_order_kpi_change_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}{on}")
    facts_on = f" ON {_FACTS}" if postgresql else ""
    op.execute(f"DROP TRIGGER IF EXISTS work_order_kpi_facts_delete{facts_on}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS work_order_kpi_change()")
        op.execute("DROP FUNCTION IF EXISTS work_order_kpi_facts_gone()")
        op.execute("DROP STATISTICS IF EXISTS st_work_order_kpi_facts_sla")
    op.drop_index("ix_work_order_kpi_facts_sla", table_name=_FACTS)
    op.drop_index("ix_work_order_kpi_facts_pending", table_name=_FACTS)
    op.drop_index("ix_work_order_kpi_facts_board", table_name=_FACTS)
    op.create_index(op.f("ix_work_order_kpi_facts_created_at"), _FACTS, ["created_at"])
    with op.batch_alter_table(_FACTS) as batch:
        for column in ("tally_code", *_COPIED):
            batch.drop_column(column)
    op.drop_table(_CHANGES)
