"""blocking keys of customers (merge candidates)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:00:00.000000

Adds ``customer_blocking_keys`` (customer_id, key): customers sharing a key are the
only pairs compared as merge candidates (``domain.blocking``). The primary key serves
one customer's keys; ``ix_customer_blocking_keys_key`` (key, customer_id) a block's
members. The keys of existing customers are built here.

Unlike revision 0002, the fill calls the package's code rather than a frozen copy: the
keys are derived data, rebuilt whole from the customers' names and identities, so the
rules of the code that runs are the right ones (``rebuild_blocking_keys`` reads only
``customers.id/name/merged_into_id`` and ``customer_identities.customer_id/kind/
normalised``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from touchpoint.storage.blocking import rebuild_blocking_keys

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "customer_blocking_keys",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_blocking_keys_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "key", name=op.f("pk_customer_blocking_keys")),
    )
    op.create_index(
        "ix_customer_blocking_keys_key", "customer_blocking_keys", ["key", "customer_id"]
    )
    rebuild_blocking_keys(op.get_bind())


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_customer_blocking_keys_key", table_name="customer_blocking_keys")
    op.drop_table("customer_blocking_keys")
