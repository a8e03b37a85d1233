"""work orders' assignee and incident indexes hold only set values

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 07:00:00.000000

``ix_work_orders_assignee_id`` and ``ix_work_orders_incident_id`` become partial
(``WHERE ... IS NOT NULL``): most orders open unassigned and outside any incident, and
each index a new row enters is one more page written in its commit. The desk's queries
on these columns all ask for a value (``= ?``), which the partial indexes serve.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("assignee_id", "incident_id")


def upgrade() -> None:
    """Apply this revision."""
    for column in _COLUMNS:
        name = f"ix_work_orders_{column}"
        rows = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="work_orders")
        op.create_index(name, "work_orders", [column], sqlite_where=rows, postgresql_where=rows)


def downgrade() -> None:
    """Revert this revision."""
    for column in reversed(_COLUMNS):
        name = f"ix_work_orders_{column}"
        op.drop_index(name, table_name="work_orders")
        op.create_index(name, "work_orders", [column])
