"""The write of one existing work order: load it under the write's lock, check the
caller's version, append timeline events, replay the SLA clock, save, audit, notify.

Every use case that changes an order (edit, assign, transition, reply, return visit,
recovery, incidents, merges) goes through :func:`order_write` or :func:`add_event`, so
the version check and the SLA cache live in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError, unknown_reference
from touchpoint.domain.sla import EventType, OrderStatus, SlaReport, TimelineEvent, replay
from touchpoint.services.base import (
    Actor,
    AfterCommit,
    WriteUnit,
    check_version,
    snapshot,
    write,
)
from touchpoint.services.errors import NotFoundError
from touchpoint.services.order_reads import can_see
from touchpoint.services.sla_clock import compiled_from_text, refresh_sla_cache, replay_order
from touchpoint.storage.models import Team, User, WorkOrder, WorkOrderEvent
from touchpoint.storage.order_store import load_for_write, save_order

__all__ = [
    "LoadedOrder",
    "add_event",
    "check_team",
    "check_user",
    "close_order_write",
    "order_write",
    "published",
    "refresh_order",
]


@dataclass(frozen=True, slots=True)
class LoadedOrder:
    """An order as its write loaded it: the policy's stored definitions (None without a
    policy or calendar) and the stored timeline, for the write's replay."""

    order: WorkOrder
    policy_id: int | None
    definitions: tuple[str, str] | None  # calendar, policy
    timeline: list[TimelineEvent]


def _timeline_event(at: datetime, type: str, status: str | None) -> TimelineEvent:
    return TimelineEvent(
        at=at, type=EventType(type), status=None if status is None else OrderStatus(status)
    )


def load_order(session: Session, actor: Actor, order_id: int) -> LoadedOrder:
    """The order a write changes, locked for it (NotFoundError unless the actor may see
    it). Events the write adds (:func:`add_event`) are counted from here."""
    stored = load_for_write(session, order_id)
    if stored is None or not can_see(actor, stored.order):
        raise NotFoundError("work_order", order_id)
    _unsaved_events(session).clear()  # an earlier write's, committed or rolled back
    timeline = [_timeline_event(*event) for event in stored.events]
    return LoadedOrder(stored.order, stored.order.policy_id, stored.definitions, timeline)


@contextmanager
def order_write(
    session: Session,
    actor: Actor,
    action: str,
    order_id: int,
    *,
    version: int | None,
    now: datetime,
    after_commit: AfterCommit | None,
) -> Iterator[tuple[WriteUnit, LoadedOrder]]:
    """The write unit of a change to one order, with the order loaded and the caller's
    ``version`` checked (None: an append, which never conflicts)."""
    with write(session, actor, action, now=now, after_commit=after_commit) as unit:
        loaded = load_order(session, actor, order_id)
        check_version("work_order", order_id, loaded.order.version, version)
        yield unit, loaded


def add_event(
    session: Session,
    order: WorkOrder,
    type: str,
    *,
    at: datetime,
    actor_id: int | None,
    status: str | None = None,
    body: str = "",
    channel: str | None = None,
    tag: str = "",
    timeline: Sequence[TimelineEvent] | None = None,
) -> WorkOrderEvent:
    """Append one timeline event; events never go back in time.

    ``timeline``: the order's stored events as its write loaded them; without it the
    last one is queried. The order is not flushed for it, so that its write saves it in
    one UPDATE. Events added in this write but not yet flushed count too.
    """
    pending = [e.at for e in _unsaved_events(session) if e.work_order_id == order.id]
    stored: datetime | None
    if timeline is not None:
        stored = max((e.at for e in timeline), default=None)
    else:
        with session.no_autoflush:
            stored = session.scalar(
                select(WorkOrderEvent.at)
                .where(WorkOrderEvent.work_order_id == order.id)
                .order_by(WorkOrderEvent.at.desc(), WorkOrderEvent.id.desc())
                .limit(1)
            )
    last = max((t for t in (stored, *pending) if t is not None), default=None)
    if last is not None and at < last:
        raise DomainError(
            f"at: {at.isoformat()} is before the order's last event ({last.isoformat()})"
        )
    ev = WorkOrderEvent(
        work_order_id=order.id,
        at=at,
        type=type,
        status=status,
        actor_id=actor_id,
        body=body,
        channel=channel,
        tag=tag,
    )
    session.add(ev)
    _unsaved_events(session).append(ev)
    return ev


_UNSAVED = "touchpoint.unsaved_events"


def _unsaved_events(session: Session) -> list[WorkOrderEvent]:
    """Events added since a write last loaded an order, in the order they were added
    (``session.new`` is a set, which would lose the order of events at one instant)."""
    events: list[WorkOrderEvent] = session.info.setdefault(_UNSAVED, [])
    return events


def refresh_order(unit: WriteUnit, loaded: LoadedOrder) -> SlaReport | None:
    """Replay the order (its events as loaded plus those this write added), set its SLA
    cache and save it: one UPDATE carries the changes and the cache."""
    session, now, order = unit.session, unit.now, loaded.order
    added = [e for e in _unsaved_events(session) if e.work_order_id == order.id]
    timeline = loaded.timeline + [_timeline_event(e.at, e.type, e.status) for e in added]
    if loaded.definitions is not None and loaded.policy_id == order.policy_id:
        calendar, policy = compiled_from_text(*loaded.definitions)
        report: SlaReport | None = replay(calendar, policy, timeline, now=now)
    else:
        with session.no_autoflush:  # loading the policy must not flush the order half-done
            report = replay_order(session, order.policy_id, timeline, now=now)
    refresh_sla_cache(order, report)
    order.updated_at = now
    save_order(session, order)  # audits see the new version
    return report


# The sweep's memory of the steps it took: kept in audit snapshots, left out of
# webhook payloads, which carry the order as subscribers know it.
_SWEEP_MEMORY = frozenset(
    {
        "sla_step_due_first_response",
        "sla_step_due_next_update",
        "sla_step_due_resolution",
        "sla_steps_taken",
    }
)


def published(order: dict[str, Any]) -> dict[str, Any]:
    """An order's snapshot as webhook payloads carry it."""
    return {key: value for key, value in order.items() if key not in _SWEEP_MEMORY}


def close_order_write(
    unit: WriteUnit,
    loaded: LoadedOrder,
    before: dict[str, Any],
    event: str,
    *,
    audited: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> SlaReport | None:
    """The end of a change to one order: replay and save it, its audit row (``before``,
    and after with ``audited`` beside the order) and ``event`` with the order as
    subscribers know it (and ``payload``); the report."""
    order = loaded.order
    report = refresh_order(unit, loaded)
    after = snapshot(order)
    unit.audit(
        "work_order", order.id, before=before, after=after if audited is None else after | audited
    )
    unit.notify(event, {"work_order": published(after), **(payload or {})})
    return report


def check_team(session: Session, team_id: int) -> None:
    """A team an order names must exist."""
    if session.get(Team, team_id) is None:
        raise unknown_reference("team_id", "team", team_id)


def check_user(session: Session, user_id: int | None, field_name: str) -> None:
    """A user an order names (owner, assignee) must exist and be active."""
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise DomainError(
            f"{field_name}: user {user_id} does not exist or is inactive",
            code="unknown_user",
            params={"field": field_name, "id": user_id},
        )
