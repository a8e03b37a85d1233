"""The outbox as an administrator sees it: how many messages (e-mail, SMS, webhooks) wait,
how many the outbox gave up on after :data:`~touchpoint.services.notify.MAX_ATTEMPTS`
failed deliveries and why, how many went out in the last day; a page of each kind,
newest first; and the failed ones set going again (audited).

Only the message's envelope is shown (channel, address, event, attempts, last error):
its body may hold a survey link, which answers for the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from touchpoint.services.base import Actor, AfterCommit, require, write
from touchpoint.services.notify import MAX_ATTEMPTS
from touchpoint.storage.models import OutboxMessage

__all__ = [
    "OutboxCounts",
    "OutboxState",
    "OutboxView",
    "list_outbox",
    "outbox_counts",
    "retry_failed",
]

_O = OutboxMessage


class OutboxState(StrEnum):
    """Where a message stands."""

    PENDING = "pending"  # not sent yet, still tried
    FAILED = "failed"  # not sent, tried MAX_ATTEMPTS times
    SENT = "sent"


#: A message the outbox stopped trying (when not sent).
_TRIED_OUT = _O.attempts >= MAX_ATTEMPTS


def _in_state(state: OutboxState) -> ColumnElement[bool]:
    if state is OutboxState.SENT:
        return _O.sent_at.is_not(None)
    return _O.sent_at.is_(None) & (_TRIED_OUT if state is OutboxState.FAILED else ~_TRIED_OUT)


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """Messages waiting, given up on, and sent in the last 24 hours."""

    pending: int
    failed: int
    sent_last_day: int


@dataclass(frozen=True, slots=True)
class OutboxView:
    """A message's envelope."""

    id: int
    created_at: datetime
    channel: str
    target: str
    event: str
    attempts: int
    last_error: str
    sent_at: datetime | None


def outbox_counts(session: Session, actor: Actor, *, now: datetime) -> OutboxCounts:
    """How many messages stand in each state (sent: in the 24 hours before ``now``)."""
    require(actor, actor.role.can_administer, "read the outbox")
    failed = func.sum(case((_TRIED_OUT, 1), else_=0))
    unsent, given_up = session.execute(
        select(func.count(), failed).where(_O.sent_at.is_(None))
    ).one()
    sent = session.scalar(select(func.count()).where(_O.sent_at >= now - timedelta(days=1)))
    return OutboxCounts(
        pending=int(unsent) - int(given_up or 0),
        failed=int(given_up or 0),
        sent_last_day=int(sent or 0),
    )


def list_outbox(
    session: Session,
    actor: Actor,
    state: OutboxState,
    *,
    before_id: int | None = None,
    limit: int = 50,
) -> list[OutboxView]:
    """Up to ``limit`` messages in ``state``, newest first (older than ``before_id``)."""
    require(actor, actor.role.can_administer, "read the outbox")
    stmt = select(_O).where(_in_state(state)).order_by(_O.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(_O.id < before_id)
    return [
        OutboxView(
            id=m.id,
            created_at=m.created_at,
            channel=m.channel,
            target=m.target,
            event=m.event,
            attempts=m.attempts,
            last_error=m.last_error,
            sent_at=m.sent_at,
        )
        for m in session.scalars(stmt)
    ]


def retry_failed(
    session: Session,
    actor: Actor,
    *,
    ids: list[int] | None = None,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> int:
    """Set the failed messages (all, or those of ``ids``) going again: their count of
    attempts back to 0, their last error kept until the next try. Returns how many;
    when there were any, ``after_commit`` (waking the outbox dispatcher) runs after the
    commit, as after a write that queued messages."""
    require(actor, actor.role.can_administer, "retry outbox messages")
    where = _in_state(OutboxState.FAILED)
    if ids is not None:
        where = where & _O.id.in_(ids)
    with write(session, actor, "outbox.retry", now=now) as unit:
        retried = session.connection().execute(update(_O).where(where).values(attempts=0))
        count = int(retried.rowcount)
        unit.audit("outbox", "retry", before=None, after={"ids": ids, "retried": count})
    if count and after_commit is not None:
        after_commit()
    return count
