"""quotas of survey waves

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:40:00.000000

Adds ``survey_waves.quotas`` (``domain.survey_quotas``: a JSON list of segment, value and
limit; an empty list for every existing wave).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD COLUMN, which SQLite does in place (a batch copy would have to drop a table
    # that the invitations' and responses' foreign keys point at); the default fills the
    # existing rows.
    op.add_column(
        "survey_waves", sa.Column("quotas", sa.JSON(), server_default="[]", nullable=False)
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("survey_waves", "quotas")
