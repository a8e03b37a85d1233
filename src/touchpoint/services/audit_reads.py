"""The audit log, read: who did what to which record and when, with the record before
and after (administrators only: the snapshots hold customers' details).

Newest first, a page at a time by the entry's id (``before_id``: the entries older than
that one), all of the log or one action's, one entity kind's, one record's or one user's
entries. Each filter has an index to page by (revision 0018), so a page costs the same
however long the log has grown. Read-only: reading the log is not itself logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.services.base import Actor, require
from touchpoint.storage.models import AuditEntry, User

__all__ = ["AuditFilter", "AuditView", "list_audit"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to read; an empty field does not filter."""

    action: str = ""
    entity: str = ""
    entity_id: str = ""
    actor_id: int | None = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditView:
    """One entry, its actor named (``system`` for the desk's own writes), and the fields
    whose value differs between before and after (all of them for a creation)."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed(self) -> list[str]:
        """The fields the write changed, in the after snapshot's order."""
        before, after = self.before or {}, self.after or {}
        keys = [*after, *(k for k in before if k not in after)]
        return [k for k in keys if before.get(k) != after.get(k)]


def list_audit(
    session: Session, actor: Actor, where: AuditFilter, *, limit: int = 50
) -> list[AuditView]:
    """Up to ``limit`` entries matching ``where``, newest first."""
    require(actor, actor.role.can_administer, "read the audit log")
    a = AuditEntry
    stmt = (
        select(a, User.username)
        .outerjoin(User, User.id == a.actor_id)
        .order_by(a.id.desc())
        .limit(limit)
    )
    if where.action:
        stmt = stmt.where(a.action == where.action)
    if where.entity:
        stmt = stmt.where(a.entity == where.entity)
        if where.entity_id:
            stmt = stmt.where(a.entity_id == where.entity_id)
    if where.actor_id is not None:
        stmt = stmt.where(a.actor_id == where.actor_id)
    if where.before_id is not None:
        stmt = stmt.where(a.id < where.before_id)
    return [
        AuditView(
            id=row.id,
            at=row.at,
            actor_id=row.actor_id,
            actor=username or "system",
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            before=row.before,
            after=row.after,
        )
        for row, username in session.execute(stmt)
    ]
