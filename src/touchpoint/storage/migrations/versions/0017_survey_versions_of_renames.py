"""every survey version has its stored definition

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:00:00.000000

A survey's rename raised its version without storing a definition for it (only a new
definition was stored), so a wave opened after a rename named a version with no
definition, and its links answered 404. Renames now store their version's definition
(``services.surveys.update_survey``); this revision stores the ones already missing, for
each survey's current version and each wave's: the definition of the nearest stored
version below it, which is the one a rename kept (else the survey's current one).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute(
        "INSERT INTO survey_versions (survey_id, version, definition, created_at) "
        "SELECT m.survey_id, m.version, coalesce(("
        "  SELECT v.definition FROM survey_versions v"
        "  WHERE v.survey_id = m.survey_id AND v.version < m.version"
        "  ORDER BY v.version DESC LIMIT 1), s.definition), s.updated_at "
        "FROM (SELECT survey_id, survey_version AS version FROM survey_waves "
        "      UNION SELECT id, version FROM surveys) m "
        "JOIN surveys s ON s.id = m.survey_id "
        "WHERE NOT EXISTS (SELECT 1 FROM survey_versions x "
        "  WHERE x.survey_id = m.survey_id AND x.version = m.version)"
    )


def downgrade() -> None:
    """Nothing to revert: the stored definitions are those the versions had."""
