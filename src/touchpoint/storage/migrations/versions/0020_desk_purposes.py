"""the desk's own SLA policy and survey are found by their purpose

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:40:00.000000

The closed loop found the service-recovery SLA policy and the monthly return-visit survey
by their names, so renaming either made the next recovery or month create another. Each
now carries a ``purpose`` (``service_recovery``, ``return_visit``; one row per purpose),
set here on the rows the names found (the first, should there be several surveys).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECOVERY_POLICY_NAME = "服务补救 Service recovery"
RETURN_VISIT_SURVEY_NAME = "回访 Return visit"


def upgrade() -> None:
    """Apply this revision."""
    for table in ("sla_policies", "surveys"):
        op.add_column(table, sa.Column("purpose", sa.String(length=30), nullable=True))
        op.create_index(f"uq_{table}_purpose", table, ["purpose"], unique=True)
    op.execute(
        sa.text(
            "UPDATE sla_policies SET purpose = 'service_recovery' WHERE name = :name"
        ).bindparams(name=RECOVERY_POLICY_NAME)
    )
    op.execute(
        sa.text(
            "UPDATE surveys SET purpose = 'return_visit' WHERE id = (SELECT min(id) FROM surveys "
            "WHERE template = 'return-visit' AND name = :name)"
        ).bindparams(name=RETURN_VISIT_SURVEY_NAME)
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in ("surveys", "sla_policies"):
        op.drop_index(f"uq_{table}_purpose", table_name=table)
        op.drop_column(table, "purpose")  # SQLite drops an unindexed column in place
