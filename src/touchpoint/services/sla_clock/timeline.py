"""Reading stored timelines: one order's events as values, or many orders' as packed
integers (an event as one number) for the batch replay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    Subquery,
    Text,
    bindparam,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session

from touchpoint.domain.sla import EventType, OrderStatus, TimelineEvent
from touchpoint.domain.sla.vocabulary import EVENT_TYPES, STATUSES, Int64Array
from touchpoint.services.sla_clock.bulk import epoch_seconds, inline_constant
from touchpoint.storage.db import per_dialect
from touchpoint.storage.models import WorkOrderEvent

__all__ = [
    "load_timeline",
    "packed_event",
    "stored_timeline",
    "timeline_events",
    "timeline_from_texts",
    "timeline_select",
    "timeline_texts",
    "unpack_events",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TYPE_CODES: Final = {t.value: t.code for t in EventType}
_STATUS_CODES: Final = {s.value: s.code for s in OrderStatus}


@per_dialect
def packed_event(session: Session) -> ColumnElement[int]:
    """An event as one integer, ``(at * 8 + type) * 8 + status + 1`` (see
    :func:`unpack_events`).

    Packing three small values into one halves the Python objects (or the text) made
    per event. The expression is built once per dialect (building it costs more than
    running it for one order).
    """
    kind = case(
        {inline_constant(k): inline_constant(v) for k, v in _TYPE_CODES.items()},
        value=WorkOrderEvent.type,
        else_=inline_constant(-1),
    )
    status = case(
        {inline_constant(k): inline_constant(v) for k, v in _STATUS_CODES.items()},
        value=WorkOrderEvent.status,
        else_=inline_constant(-1),
    )
    at = epoch_seconds(session, WorkOrderEvent.at)
    return (at * inline_constant(8) + kind) * inline_constant(8) + status + inline_constant(1)


def timeline_select(session: Session) -> Select[int, int]:
    """Events as two integers: the order id and the packed event (:func:`packed_event`),
    in recorded order per order (not yet time order).

    Recorded order (id) rather than (at, id): the work_order_id index yields it with no
    sort; callers put each order's events in time order, stably (see replay_batches).
    """
    return select(WorkOrderEvent.work_order_id, packed_event(session)).order_by(
        WorkOrderEvent.work_order_id, WorkOrderEvent.id
    )


def unpack_events(packed: Int64Array) -> tuple[Int64Array, Int64Array, Int64Array]:
    """``(at, type code, status code)`` of packed events; an unknown type reads as -1.

    Shifts and masks are floor division and modulo by 64 and 8 (two's complement), and
    cheaper on large arrays.
    """
    status = (packed & 7) - 1
    kind = (packed >> 3) & 7
    unknown = kind == 7  # type -1 (unknown) borrowed one from the instant; undo that
    kind[unknown] = -1
    at = (packed >> 6) + unknown
    return at, kind, status


def timeline_events(rows: Sequence[WorkOrderEvent]) -> list[TimelineEvent]:
    """Stored events (already in time order) as the clock's ``TimelineEvent`` values."""
    return [
        TimelineEvent(
            at=r.at,
            type=EventType(r.type),
            status=OrderStatus(r.status) if r.status is not None else None,
        )
        for r in rows
    ]


def load_timeline(session: Session, order_id: int) -> list[WorkOrderEvent]:
    """An order's events in time order; equal instants keep their recorded order."""
    return list(
        session.scalars(
            select(WorkOrderEvent)
            .where(WorkOrderEvent.work_order_id == order_id)
            .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
        )
    )


@per_dialect
def timeline_texts(session: Session) -> Subquery:
    """One order's stored events (its id bound as ``order_id``) as a one-row subquery of
    two texts, ``event_ids`` and ``events``: the events' ids and packed values
    (:func:`packed_event`), comma-separated, in one same order; nulls without events.

    For a query that reads an order with its timeline in one statement and one row
    (:func:`timeline_from_texts` reads them back), however many events it has.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # the comma is group_concat's default separator

        def joined(column: ColumnExpressionArgument[int]) -> ColumnElement[str]:
            return func.group_concat(column, type_=Text)

    else:

        def joined(column: ColumnExpressionArgument[int]) -> ColumnElement[str]:
            return func.string_agg(cast(column, Text), inline_constant(","), type_=Text)

    return (
        select(
            joined(WorkOrderEvent.id).label("event_ids"),
            joined(packed_event(session)).label("events"),
        )
        .where(WorkOrderEvent.work_order_id == bindparam("order_id"))
        .subquery("timeline")
    )


def timeline_from_texts(event_ids: str | None, events: str | None) -> list[TimelineEvent]:
    """The timeline :func:`timeline_texts` read, as ``TimelineEvent`` values in time
    order; events at the same instant keep their recorded order (id)."""
    if not event_ids or not events:
        return []
    pairs = sorted(  # by instant; equal instants in recorded (id) order
        zip(map(int, event_ids.split(",")), map(int, events.split(",")), strict=True),
        key=lambda pair: (pair[1] // 64, pair[0]),
    )
    epoch = _EPOCH
    out: list[TimelineEvent] = []
    for _id, packed in pairs:
        status = packed % 8 - 1
        kind = (packed // 8) % 8
        out.append(
            TimelineEvent(
                at=epoch + timedelta(seconds=packed // 64),
                type=EVENT_TYPES[kind],
                status=None if status < 0 else STATUSES[status],
            )
        )
    return out


def stored_timeline(session: Session, order_id: int) -> list[TimelineEvent]:
    """An order's stored events as ``TimelineEvent`` values, in time order: what an order
    write reads beside the order (:func:`timeline_texts`), read on its own."""
    sub = timeline_texts(session)
    row = session.execute(select(sub.c.event_ids, sub.c.events), {"order_id": order_id}).one()
    return timeline_from_texts(row.event_ids, row.events)
