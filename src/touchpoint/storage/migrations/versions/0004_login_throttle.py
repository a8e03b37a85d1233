"""failed logins and locks (login throttling)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:00:00.000000

Adds ``users.failed_logins`` (consecutive failed logins, 0 for every existing user) and
``users.locked_until`` (when a lock after too many of them ends; none yet), and the
``login_failures`` table: one row per failed login with the client address and instant,
indexed on ``(address, at)`` so that the failures of one address within the last
minutes are counted from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import touchpoint.storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD COLUMN, which SQLite does in place: a batch copy of users would have to
    # drop a table that many other tables' foreign keys point at.
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "users",
        sa.Column(
            "locked_until", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=True
        ),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")
