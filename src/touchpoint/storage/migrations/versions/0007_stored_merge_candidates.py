"""the stored list of merge candidates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:10:00.000000

Adds ``merge_candidates`` (survivor_id, merged_id, score, reasons, computed_at): the
candidate pairs over all customers, as the background refresh
(``services.merge_refresh``) last found them, so that the whole list is paged from a
table instead of computed per request. The table starts empty; the server's first
refresh (or ``POST /api/merge/candidates/refresh``) fills it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from touchpoint.storage.types import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "merge_candidates",
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("computed_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["customers.id"],
            name=op.f("fk_merge_candidates_survivor_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["customers.id"],
            name=op.f("fk_merge_candidates_merged_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survivor_id", "merged_id", name=op.f("pk_merge_candidates")),
    )
    op.create_index(
        "ix_merge_candidates_rank",
        "merge_candidates",
        [sa.text("score DESC"), "survivor_id", "merged_id"],
    )
    op.create_index("ix_merge_candidates_merged_id", "merge_candidates", ["merged_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_merge_candidates_merged_id", table_name="merge_candidates")
    op.drop_index("ix_merge_candidates_rank", table_name="merge_candidates")
    op.drop_table("merge_candidates")
