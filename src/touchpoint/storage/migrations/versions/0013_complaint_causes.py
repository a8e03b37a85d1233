"""coded complaint causes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:10:00.000000

Adds ``complaint_causes`` (the list supervisors keep: code, zh-CN and English labels,
active) and ``recoveries.cause_id`` (a recovery's coded cause; none yet, a plain column
added in place).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from touchpoint.storage.types import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "complaint_causes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_zh", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_causes")),
        sa.UniqueConstraint("code", name=op.f("uq_complaint_causes_code")),
    )
    op.add_column("recoveries", sa.Column("cause_id", sa.Integer(), nullable=True))
    op.create_index("ix_recoveries_cause_id", "recoveries", ["cause_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_recoveries_cause_id", table_name="recoveries")
    op.drop_column("recoveries", "cause_id")
    op.drop_table("complaint_causes")
