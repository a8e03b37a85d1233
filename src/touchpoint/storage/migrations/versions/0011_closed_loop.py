"""the closed loop: return visits on resolution, recovery orders from detractors

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:40:00.000000

Adds ``work_orders.recovery_of`` and ``origin_response_id`` (unique) for the
service-recovery orders opened by a detractor's answer, by plain ADD COLUMN and CREATE
INDEX (SQLite does both in place; no foreign keys, which SQLite could only add by
copying the table). The survey tables of 0009 carry the loop's other columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("work_orders", sa.Column("recovery_of", sa.Integer()))
    op.add_column("work_orders", sa.Column("origin_response_id", sa.Integer()))
    op.create_index("ix_work_orders_recovery_of", "work_orders", ["recovery_of"])
    op.create_index(
        "uq_work_orders_origin_response_id", "work_orders", ["origin_response_id"], unique=True
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("uq_work_orders_origin_response_id", table_name="work_orders")
    op.drop_index("ix_work_orders_recovery_of", table_name="work_orders")
    op.drop_column("work_orders", "origin_response_id")
    op.drop_column("work_orders", "recovery_of")
