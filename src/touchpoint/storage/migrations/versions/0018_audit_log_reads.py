"""the audit log read a page at a time, by action or by entity

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:00:00.000000

The audit log gets a reader (``services.audit_reads``, ``GET /api/audit``,
``/admin/audit``): newest first, all of it or one action's or one entity's entries. The
index on ``action`` alone becomes one on (action, id), which also gives that order, and
(entity, entity_id, id) finds one record's history without reading the whole log.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])
    op.create_index("ix_audit_log_entity_id", "audit_log", ["entity", "entity_id", "id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_audit_log_entity_id", table_name="audit_log")
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
