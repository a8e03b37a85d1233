"""the KPI board's stored order facts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:10:00.000000

Adds ``work_order_kpi_facts``: per order, what the KPI board needs of it (times to
first response and resolution in business minutes, breaches, first-contact resolution,
reopen, complaint; and its creation, to find a period's rows) as computed for one
version of the order and for its SLA policy's and calendar's definitions (a digest of
both), so that the board counts a period in SQL instead of replaying every order.
The table starts empty; the desk clock's facts sweep (``services.kpi_facts``) fills it,
and until then the board replays the orders it finds without current facts.

Adds ``ix_contacts_hostile_at``, an index of the hostile contacts' instants only (the
board's emotional-labour load), so that a year's board need not read every contact.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from touchpoint.storage.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "work_order_kpi_facts",
        sa.Column("work_order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_version", sa.Integer(), nullable=False),
        sa.Column("sla_stamp", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("is_complaint", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("first_contact_resolution", sa.Boolean(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("targets_tracked", sa.Integer(), nullable=False),
        sa.Column("targets_breached", sa.Integer(), nullable=False),
        sa.Column("first_response_breach_at", sa.BigInteger(), nullable=True),
        sa.Column("next_update_breach_at", sa.BigInteger(), nullable=True),
        sa.Column("resolution_breach_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_kpi_facts_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_work_order_kpi_facts")),
    )
    op.create_index(
        op.f("ix_work_order_kpi_facts_created_at"), "work_order_kpi_facts", ["created_at"]
    )
    op.create_index(
        "ix_contacts_hostile_at",
        "contacts",
        ["at"],
        sqlite_where=sa.text("hostile IS 1"),
        postgresql_where=sa.text("hostile IS true"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_contacts_hostile_at", table_name="contacts")
    op.drop_index(op.f("ix_work_order_kpi_facts_created_at"), table_name="work_order_kpi_facts")
    op.drop_table("work_order_kpi_facts")
