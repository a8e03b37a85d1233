"""service standards and pledges (the five-gap report's registers)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:20:00.000000

Adds ``service_standards`` (SERVQUAL item or dimension, metric, target, source) and
``service_pledges`` (metric, promised value, optional dimension and order filter).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from touchpoint.storage.types import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "service_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=True),
        sa.Column("dimension", sa.String(length=40), nullable=True),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_service_standards_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
    )
    op.create_table(
        "service_pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("promised_value", sa.Float(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=True),
        sa.Column("order_type", sa.String(length=30), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_service_pledges_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_service_pledges_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_pledges")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("service_pledges")
    op.drop_table("service_standards")
