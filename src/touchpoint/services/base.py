"""The write unit shared by every service: one transaction, one audit row, events after commit."""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from touchpoint.domain.roles import Role
from touchpoint.services.errors import ConflictError, ForbiddenError, NotFoundError
from touchpoint.storage.models import AuditEntry, Base, OutboxMessage, Webhook

__all__ = [
    "Actor",
    "WriteUnit",
    "check_version",
    "get_or_404",
    "require",
    "snapshot",
    "to_jsonable",
    "write",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs a service call; ``user_id`` None is the system (sweeps, seeding)."""

    user_id: int | None
    username: str
    role: Role
    team_ids: frozenset[int] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        """The desk itself (escalation sweeps, demo seeding)."""
        return cls(user_id=None, username="system", role=Role.ADMIN)


def require(actor: Actor, allowed: bool, what: str) -> None:
    """Raise ``ForbiddenError`` unless ``allowed``."""
    if not allowed:
        raise ForbiddenError(f"role {actor.role.value!r} may not {what}")


def to_jsonable(value: Any) -> Any:
    """Turn datetimes, enums, decimals and dataclasses into JSON values."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def snapshot(row: Base, *, exclude: tuple[str, ...] = ("password_hash",)) -> dict[str, Any]:
    """Column values of ``row`` as JSON (for audit before/after)."""
    mapper = inspect(type(row))
    out: dict[str, Any] = {}
    for col in mapper.column_attrs:
        if col.key in exclude:
            continue
        out[col.key] = to_jsonable(getattr(row, col.key))
    return out


T = TypeVar("T", bound=Base)


def get_or_404(session: Session, model: type[T], entity_id: int) -> T:
    """Load ``model`` by primary key or raise ``NotFoundError``."""
    row = session.get(model, entity_id)
    if row is None:
        raise NotFoundError(model.__tablename__.rstrip("s"), entity_id)
    return row


def check_version(entity: str, entity_id: int, current: int, expected: int | None) -> None:
    """Raise ``ConflictError`` when the client's ``expected`` version is stale."""
    if expected is not None and current != expected:
        raise ConflictError(
            f"{entity} {entity_id}: version {expected} is stale, current is {current}; "
            "reload and retry",
            current_version=current,
        )


@dataclass
class WriteUnit:
    """Collects the audit row and notifications of one write."""

    session: Session
    actor: Actor
    action: str
    now: datetime
    _audit: AuditEntry | None = None
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _mails: list[tuple[str, str, str]] = field(default_factory=list)

    def audit(
        self,
        entity: str,
        entity_id: object,
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Record the single audit row of this write."""
        if self._audit is not None:
            raise RuntimeError(f"{self.action}: a write records exactly one audit row")
        self._audit = AuditEntry(
            at=self.now,
            actor_id=self.actor.user_id,
            action=self.action,
            entity=entity,
            entity_id=str(entity_id),
            before=to_jsonable(before) if before is not None else None,
            after=to_jsonable(after) if after is not None else None,
        )

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a webhook event for every active subscription to ``event``."""
        self._events.append((event, to_jsonable(payload)))

    def email(self, to: str, subject: str, body: str) -> None:
        """Queue an e-mail, sent after commit."""
        self._mails.append((to, subject, body))

    def _flush(self) -> bool:
        if self._audit is None:
            raise RuntimeError(f"{self.action}: every write records one audit row")
        self.session.add(self._audit)
        queued = False
        if self._events:
            hooks = self.session.scalars(select(Webhook).where(Webhook.active.is_(True))).all()
            for event, payload in self._events:
                for hook in hooks:
                    if event in hook.events or "*" in hook.events:
                        self.session.add(
                            OutboxMessage(
                                created_at=self.now,
                                channel="webhook",
                                target=hook.url,
                                event=event,
                                payload={"event": event, "at": self.now.isoformat(), **payload},
                            )
                        )
                        queued = True
        for to, subject, body in self._mails:
            self.session.add(
                OutboxMessage(
                    created_at=self.now,
                    channel="email",
                    target=to,
                    event=self.action,
                    payload={"subject": subject, "body": body},
                )
            )
            queued = True
        return queued


AfterCommit = Callable[[], None]


@contextmanager
def write(
    session: Session,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> Iterator[WriteUnit]:
    """Run one write: everything inside commits together with its audit row and outbox.

    A stale ``version`` or a unique-constraint clash raises ``ConflictError`` and
    rolls everything back. ``after_commit`` (e.g. waking the outbox dispatcher) runs
    only after a successful commit that queued notifications.
    """
    if now.tzinfo is None:
        raise ValueError(f"now {now.isoformat()!r} must be timezone-aware")
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(f"{action}: session has unflushed changes from outside a write")
    unit = WriteUnit(session=session, actor=actor, action=action, now=now)
    lock = _writer_lock(session)
    lock.acquire()
    try:
        yield unit
        queued = unit._flush()
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(
            f"{action}: the record was changed by someone else; reload and retry"
        ) from exc
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"{action}: {_integrity_message(exc)}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        lock.release()
    if queued and after_commit is not None:
        after_commit()


_sqlite_writers: dict[int, threading.Lock] = {}


class _NoLock:
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


def _writer_lock(session: Session) -> threading.Lock | _NoLock:
    """SQLite has one writer at a time: queue this process's writers on a lock instead of
    letting them spin in SQLite's busy handler (which sleeps with back-off)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return _NoLock()
    key = id(bind.engine) if hasattr(bind, "engine") else id(bind)
    return _sqlite_writers.setdefault(key, threading.Lock())


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    return f"conflicts with existing data ({text})"
