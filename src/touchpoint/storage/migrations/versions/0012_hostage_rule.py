"""the hostage rule's inputs on customers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:00:00.000000

Adds ``customers.hostage_basis`` (the rule's inputs when last read; none yet),
``hostage_note`` (a supervisor's note when clearing the flag) and
``hostage_checked_response_id`` (the last survey response the rule has seen; 0), by plain
ADD COLUMN, which SQLite and PostgreSQL do in place on a table of any size.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("customers", sa.Column("hostage_basis", sa.JSON(), nullable=True))
    op.add_column(
        "customers", sa.Column("hostage_note", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "customers",
        sa.Column("hostage_checked_response_id", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("customers", "hostage_checked_response_id")
    op.drop_column("customers", "hostage_note")
    op.drop_column("customers", "hostage_basis")
