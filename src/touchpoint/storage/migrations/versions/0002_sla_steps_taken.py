"""work orders remember the SLA steps taken

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:40:00.000000

Adds ``sla_step_due_first_response``, ``sla_step_due_next_update``,
``sla_step_due_resolution`` (due instants as UTC epoch seconds) and ``sla_steps_taken``
(bit ``2 * target + level``) to ``work_orders``, and fills them from ``escalations``:
per target the latest due instant escalated, with the levels taken for it. The
escalation sweep reads these instead of every escalation row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the sweep's codes (touchpoint.services.sla_admin): a migration must
# keep meaning what it meant when it was written.
_TARGETS = ("first_response", "next_update", "resolution")
_LEVELS = ("warning", "breach")
_DUE_COLUMNS = tuple(f"sla_step_due_{t}" for t in _TARGETS)


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD/DROP COLUMN, which SQLite does in place: a batch copy of work_orders would
    # have to drop a table other tables' foreign keys point at.
    for name in _DUE_COLUMNS:
        op.add_column("work_orders", sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column(
        "work_orders",
        sa.Column("sla_steps_taken", sa.Integer(), server_default="0", nullable=False),
    )
    _backfill()


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("work_orders", "sla_steps_taken")
    for name in reversed(_DUE_COLUMNS):
        op.drop_column("work_orders", name)


def _backfill() -> None:
    """Two set-based UPDATEs: the latest escalated due instant per target, then the bits
    of the levels escalated for those instants."""
    orders = sa.table(
        "work_orders",
        sa.column("id", sa.Integer()),
        *(sa.column(name, sa.BigInteger()) for name in _DUE_COLUMNS),
        sa.column("sla_steps_taken", sa.Integer()),
    )
    esc = sa.table(
        "escalations",
        sa.column("work_order_id", sa.Integer()),
        sa.column("target", sa.String()),
        sa.column("level", sa.String()),
        sa.column("due_at", sa.DateTime()),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text; '%s' drops the fraction.
        due_s = sa.cast(sa.func.strftime("%s", esc.c.due_at), sa.BigInteger())
    else:
        due_s = sa.cast(sa.func.floor(sa.extract("epoch", esc.c.due_at)), sa.BigInteger())
    escalated = orders.c.id.in_(sa.select(esc.c.work_order_id))
    own = esc.c.work_order_id == orders.c.id
    op.execute(
        orders.update()
        .where(escalated)
        .values(
            {
                orders.c[column]: sa.select(sa.func.max(due_s))
                .where(own, esc.c.target == target)
                .scalar_subquery()
                for target, column in zip(_TARGETS, _DUE_COLUMNS, strict=True)
            }
        )
    )
    bit = sa.case(
        *(
            (sa.and_(esc.c.target == target, esc.c.level == level), 1 << (2 * t + lv))
            for t, target in enumerate(_TARGETS)
            for lv, level in enumerate(_LEVELS)
        ),
        else_=0,
    )
    for_latest = sa.or_(
        *(
            sa.and_(esc.c.target == target, due_s == orders.c[column])
            for target, column in zip(_TARGETS, _DUE_COLUMNS, strict=True)
        )
    )
    op.execute(
        orders.update()
        .where(escalated)
        .values(
            sla_steps_taken=sa.select(sa.func.coalesce(sa.func.sum(bit), 0))
            .where(own, for_latest)
            .scalar_subquery()
        )
    )
