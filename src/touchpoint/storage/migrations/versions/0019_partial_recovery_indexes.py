"""work orders' recovery indexes hold only set values

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00.000000

``uq_work_orders_origin_response_id`` and ``ix_work_orders_recovery_of`` become partial
(``WHERE ... IS NOT NULL``), as 0003 made the assignee and incident indexes: only
service-recovery orders have these columns set. Once a database has statistics
(``ANALYZE``), SQLite counts the NULLs of a full index as one value shared by nearly every
order, judges a lookup by it worthless and reads every order instead: the KPI board's
recovery loops took 130 ms at 1,000,000 orders, 0.1 ms with the partial index. Every
query on these columns asks for a value (``= ?`` or a join on it), which implies NOT NULL:
the partial indexes serve them, and the unique one still refuses a second recovery order
for one answer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index, column, unique)
_INDEXES = (
    ("uq_work_orders_origin_response_id", "origin_response_id", True),
    ("ix_work_orders_recovery_of", "recovery_of", False),
)


def upgrade() -> None:
    """Apply this revision."""
    for name, column, unique in _INDEXES:
        rows = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="work_orders")
        op.create_index(
            name, "work_orders", [column], unique=unique, sqlite_where=rows, postgresql_where=rows
        )


def downgrade() -> None:
    """Revert this revision."""
    for name, column, unique in reversed(_INDEXES):
        op.drop_index(name, table_name="work_orders")
        op.create_index(name, "work_orders", [column], unique=unique)
