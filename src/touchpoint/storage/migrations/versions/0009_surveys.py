"""surveys: definitions and versions, waves, invitations, responses, opt-outs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:00:00.000000

Adds the survey tables (``storage.survey_models``): ``surveys`` and ``survey_versions``
(every edit of a definition is a new version), ``survey_waves`` (a round of a survey
on one version, with its kiosk key), ``survey_invitations`` (a customer's signed,
single-use, expiring link; one per customer and wave, but for orders' return visits,
which may be scheduled or skipped), ``survey_responses`` (one per
invitation, held by a unique constraint; kiosk answers without one) and
``survey_opt_outs``. All start empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import touchpoint.storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "survey_opt_outs",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("via_link", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_opt_outs_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_survey_opt_outs")),
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_surveys_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_table(
        "survey_versions",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_versions_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "version", name=op.f("pk_survey_versions")),
    )
    op.create_table(
        "survey_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("expires_in_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=True),
        sa.Column("competitor", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("return_visit_month", sa.String(length=7), nullable=True),
        sa.Column("kiosk_key", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("closed_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_survey_waves_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_waves_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_waves")),
        sa.UniqueConstraint("kiosk_key", name=op.f("uq_survey_waves_kiosk_key")),
    )
    with op.batch_alter_table("survey_waves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_waves_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(
            "uq_survey_waves_return_visit_month", ["return_visit_month"], unique=True
        )

    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("nonce", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=True),
        sa.Column("send_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=40), server_default="", nullable=False),
        sa.Column(
            "created_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("opened_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "reminded_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_invitations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_waves.id"],
            name=op.f("fk_survey_invitations_wave_id_survey_waves"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_survey_invitations_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("nonce", name=op.f("uq_survey_invitations_nonce")),
    )
    # One invitation per customer and wave, except an order's return visits (a customer
    # may have several orders resolved in one month's return-visit wave).
    op.create_index(
        "uq_survey_invitations_wave_customer",
        "survey_invitations",
        ["wave_id", "customer_id"],
        unique=True,
        sqlite_where=sa.text("work_order_id IS NULL"),
        postgresql_where=sa.text("work_order_id IS NULL"),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_invitations_customer_created", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_wave_id"), ["wave_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_work_order_id"), ["work_order_id"], unique=False
        )

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column(
            "submitted_at", touchpoint.storage.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_survey_responses_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_survey_responses_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_responses_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_responses_invitation_id_survey_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["survey_waves.id"], name=op.f("fk_survey_responses_wave_id_survey_waves")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_survey_responses_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_survey_responses_invitation_id")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_responses_customer_submitted", ["customer_id", "submitted_at"], unique=False
        )
        batch_op.create_index("ix_survey_responses_wave_id", ["wave_id", "id"], unique=False)
        batch_op.create_index("ix_survey_responses_submitted_at", ["submitted_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_submitted_at")
        batch_op.drop_index("ix_survey_responses_wave_id")
        batch_op.drop_index("ix_survey_responses_customer_submitted")

    op.drop_table("survey_responses")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitations_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_survey_invitations_wave_id"))
        batch_op.drop_index("ix_survey_invitations_customer_created")

    op.drop_table("survey_invitations")
    with op.batch_alter_table("survey_waves", schema=None) as batch_op:
        batch_op.drop_index("uq_survey_waves_return_visit_month")
        batch_op.drop_index(batch_op.f("ix_survey_waves_survey_id"))

    op.drop_table("survey_waves")
    op.drop_table("survey_versions")
    op.drop_table("surveys")
    op.drop_table("survey_opt_outs")
