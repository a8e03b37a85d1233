"""the board's survey columns kept on the survey rows

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:00:00.000000

Adds ``survey_responses.csat`` and ``nps`` (the answer's whole-number ``CSAT`` and ``NPS``,
else null) and ``survey_invitations.team_id`` and ``agent_id`` (the surveyed order's team
and agent when the return visit was issued), with an index on the invitations' creation
instant, so that the KPI board counts return visits, scores and loops from the survey
rows alone instead of joining every order of the period and parsing every answer. Plain
ADD COLUMN and CREATE INDEX (in place on SQLite and PostgreSQL; no foreign keys, which
SQLite could only add by copying the table); the existing rows are filled from the stored
answers and orders by one UPDATE each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A whole number given for ``key`` in the JSON answers, else null, per dialect.
_SCORE = {
    "sqlite": (
        "CASE WHEN json_type(answers, '$.{key}') = 'integer' "
        "THEN json_extract(answers, '$.{key}') END"
    ),
    "postgresql": (
        "CASE WHEN json_typeof(answers -> '{key}') = 'number' "
        "AND (answers ->> '{key}') ~ '^-?[0-9]+$' THEN (answers ->> '{key}')::integer END"
    ),
}


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("survey_responses", sa.Column("csat", sa.SmallInteger()))
    op.add_column("survey_responses", sa.Column("nps", sa.SmallInteger()))
    op.add_column("survey_invitations", sa.Column("team_id", sa.Integer()))
    op.add_column("survey_invitations", sa.Column("agent_id", sa.Integer()))
    for key in ("team_id", "agent_id"):
        group = key.removesuffix("_id")
        op.create_index(
            f"ix_survey_responses_{group}_scores",
            "survey_responses",
            ["wave_id", key, "csat", "nps", "submitted_at"],
        )
        op.create_index(
            f"ix_survey_invitations_{group}_issued",
            "survey_invitations",
            ["wave_id", key, "status", "created_at"],
        )
    score = _SCORE[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE survey_responses SET csat = {score.format(key='CSAT')}, "  # noqa: S608
        f"nps = {score.format(key='NPS')}"
    )
    op.execute(
        "UPDATE survey_invitations SET "
        "team_id = (SELECT team_id FROM work_orders WHERE work_orders.id = work_order_id), "
        "agent_id = (SELECT coalesce(assignee_id, owner_id) FROM work_orders "
        "WHERE work_orders.id = work_order_id) "
        "WHERE work_order_id IS NOT NULL"
    )


def downgrade() -> None:
    """Revert this revision."""
    for group in ("team", "agent"):
        op.drop_index(f"ix_survey_invitations_{group}_issued", table_name="survey_invitations")
        op.drop_index(f"ix_survey_responses_{group}_scores", table_name="survey_responses")
    op.drop_column("survey_invitations", "agent_id")
    op.drop_column("survey_invitations", "team_id")
    op.drop_column("survey_responses", "nps")
    op.drop_column("survey_responses", "csat")
