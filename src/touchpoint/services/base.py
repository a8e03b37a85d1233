"""The write unit shared by every service: one transaction, one audit row, events after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from touchpoint.domain.roles import Role
from touchpoint.domain.webhook_events import EVERY_EVENT, is_webhook_event
from touchpoint.services.errors import BusyError, ConflictError, ForbiddenError, NotFoundError
from touchpoint.services.snapshots import snapshot, to_jsonable
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.models import AuditEntry, Base, OutboxMessage, Webhook
from touchpoint.storage.writer_lock import WouldWait, committed_in_call, not_waiting, writer_lock

__all__ = [
    "Actor",
    "AfterCommit",
    "WouldWait",
    "WriteUnit",
    "check_version",
    "get_or_404",
    "not_waiting",
    "outbox_row",
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


T = TypeVar("T", bound=Base)


def get_or_404(session: Session, model: type[T], entity_id: int) -> T:
    """Load ``model`` by primary key or raise ``NotFoundError``."""
    row = session.get(model, entity_id)
    if row is None:
        raise NotFoundError(model.__tablename__.rstrip("s"), entity_id)
    return row


def check_version(entity: str, entity_id: int, current: int, expected: int | None) -> None:
    """Raise ``ConflictError`` (code ``stale_version``) when the client's ``expected``
    version is stale."""
    if expected is not None and current != expected:
        raise ConflictError(
            f"{entity} {entity_id}: version {expected} is stale, current is {current}; "
            "reload and retry",
            current_version=current,
            code="stale_version",
            params={"entity": entity, "id": entity_id, "expected": expected, "current": current},
        )


# Statements on the tables, run on the write's connection: nothing the ORM tracks.
_AUDIT_TABLE = AuditEntry.metadata.tables[AuditEntry.__tablename__]
_OUTBOX_TABLE = OutboxMessage.metadata.tables[OutboxMessage.__tablename__]
_WEBHOOK_TABLE = Webhook.metadata.tables[Webhook.__tablename__]
_INSERT_AUDIT = insert(_AUDIT_TABLE)
_INSERT_OUTBOX = insert(_OUTBOX_TABLE)
_ACTIVE_WEBHOOKS = select(_WEBHOOK_TABLE.c.url, _WEBHOOK_TABLE.c.events).where(
    _WEBHOOK_TABLE.c.active.is_(True)
)


@dataclass
class WriteUnit:
    """Collects the audit row and notifications of one write.

    They are inserted with Core statements after the write's own rows are flushed:
    nobody reads them back in the same write, so the ORM need not track them.
    """

    session: Session
    actor: Actor
    action: str
    now: datetime
    _audit: dict[str, Any] | None = None
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _mails: list[tuple[str, str, str]] = field(default_factory=list)
    _texts: list[tuple[str, str]] = field(default_factory=list)

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
        self._audit = {
            "at": self.now,
            "actor_id": self.actor.user_id,
            "action": self.action,
            "entity": entity,
            "entity_id": str(entity_id),
            "before": to_jsonable(before) if before is not None else None,
            "after": to_jsonable(after) if after is not None else None,
        }

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a webhook event for every active subscription to ``event``, one of
        ``domain.webhook_events.WEBHOOK_EVENTS``."""
        _check_event(event)
        self._events.append((event, payload))

    def webhook_targets(self, events: Sequence[str]) -> list[list[str]]:
        """For each of ``events``, the URLs of the active webhooks subscribed to it (by
        name or ``*``)."""
        for event in events:
            _check_event(event)
        hooks = self.session.connection().execute(_ACTIVE_WEBHOOKS).all()
        return [
            [url for url, wanted in hooks if event in wanted or EVERY_EVENT in wanted]
            for event in events
        ]

    def email(self, to: str, subject: str, body: str) -> None:
        """Queue an e-mail, sent after commit."""
        self._mails.append((to, subject, body))

    def text_message(self, to: str, text: str) -> None:
        """Queue an SMS, sent after commit through the desk's SMS transport."""
        self._texts.append((to, text))

    def finish(self) -> bool:
        """Flush the write, insert its audit row and outbox; whether anything was queued."""
        if self._audit is None:
            raise RuntimeError(f"{self.action}: every write records one audit row")
        self.session.flush()
        connection = self.session.connection()
        connection.execute(_INSERT_AUDIT, self._audit)
        outbox = self._webhook_messages() + [
            outbox_row(self.now, "email", to, self.action, {"subject": subject, "body": body})
            for to, subject, body in self._mails
        ]
        outbox += [
            outbox_row(self.now, "sms", to, self.action, {"text": text}) for to, text in self._texts
        ]
        if outbox:
            connection.execute(_INSERT_OUTBOX, outbox)
        return bool(outbox)

    def _webhook_messages(self) -> list[dict[str, Any]]:
        if not self._events:
            return []
        targets = self.webhook_targets([event for event, _ in self._events])
        messages = []
        for (event, raw), wanted in zip(self._events, targets, strict=True):
            payload = {"event": event, "at": self.now.isoformat(), **to_jsonable(raw)}
            messages += [outbox_row(self.now, "webhook", url, event, payload) for url in wanted]
        return messages


def _check_event(event: str) -> None:
    """A write announces only the events a subscription can be made to."""
    if not is_webhook_event(event):
        raise ValueError(f"{event!r} is not in domain.webhook_events.WEBHOOK_EVENTS")


def outbox_row(
    now: datetime, channel: str, target: str, event: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """One unsent outbox message as an insert row (webhook or e-mail), sent after commit."""
    return {
        "created_at": now,
        "channel": channel,
        "target": target,
        "event": event,
        "payload": payload,
        "sent_at": None,
        "attempts": 0,
        "last_error": "",
    }


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

    On SQLite the unit first queues for the file's writer lock
    (``storage.writer_lock``) and holds it to its commit, so what it reads is what it
    writes on. A stale ``version`` or a unique-constraint clash raises ``ConflictError``;
    ``BusyError`` when the database stayed busy too long. Either way everything is
    rolled back. ``after_commit`` (e.g. waking the outbox dispatcher) runs only after a
    successful commit that queued notifications.

    A request past its time limit (``storage.deadline``) starts no write unit and
    commits none: ``DeadlineExceeded``, everything rolled back.
    """
    if now.tzinfo is None:
        raise ValueError(f"now {now.isoformat()!r} must be timezone-aware")
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(f"{action}: session has unflushed changes from outside a write")
    check_deadline()
    unit = WriteUnit(session=session, actor=actor, action=action, now=now)
    lock = writer_lock(session.get_bind().engine)
    lock.acquire()
    try:
        yield unit
        queued = unit.finish()
        check_deadline()  # its last statements may have been too short to be stopped
        session.commit()
        committed_in_call()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(
            f"{action}: the record was changed by someone else; reload and retry",
            code="changed_meanwhile",
            params={"action": action},
        ) from exc
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"{action}: {_integrity_message(exc)}") from exc
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc.orig):
            raise BusyError(
                f"{action}: the database is busy with another write; nothing was written, "
                "retry in a moment"
            ) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        lock.release()
    if queued and after_commit is not None:
        after_commit()


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    return f"conflicts with existing data ({text})"
