"""How a write loads and saves one work order: the one write path of an order.

A write loads its order locked for the write (``FOR UPDATE`` on PostgreSQL; on SQLite
the write unit already holds the file's writer lock), together with the stored
definitions of its SLA policy and calendar, and its timeline.

It saves the order's changed columns in one ``UPDATE ... WHERE id = :id AND version =
:loaded`` that also moves ``version`` by one; when no row matches, another write moved
the order first: ``StaleDataError``, and the write unit rolls everything back. The
saved values then become the object's loaded state (``make_transient_to_detached``), so
the ORM never sends the order again. A new order is inserted the same way and attached
to the session as loaded. Both are Core statements on
the write's connection: the ORM's unit of work, built for graphs of objects, costs
several times the statement itself for this one row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, Update, bindparam, cast, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder, WorkOrderEvent
from touchpoint.storage.rows import column_keys

__all__ = ["OrderForWrite", "StoredEvent", "add_order", "load_for_write", "save_order"]

StoredEvent = tuple[datetime, str, str | None]  # at, type, status


@dataclass(frozen=True, slots=True)
class OrderForWrite:
    """An order as a write loads it.

    ``definitions``: its policy's calendar and policy definitions as stored JSON text
    (None without a policy or a calendar), so that a parsed policy can be cached by its
    text. ``events``: its stored timeline, oldest first.
    """

    order: WorkOrder
    definitions: tuple[str, str] | None
    events: list[StoredEvent]


_ORDERS = WorkOrder.metadata.tables[WorkOrder.__tablename__]
_EVENTS = WorkOrderEvent.metadata.tables[WorkOrderEvent.__tablename__]
_CALENDAR_TEXT = cast(SlaCalendarRow.definition, Text).label("calendar_definition")
_POLICY_TEXT = cast(SlaPolicyRow.definition, Text).label("policy_definition")
_ORDER_WITH_POLICY = (
    select(WorkOrder, _CALENDAR_TEXT, _POLICY_TEXT)
    .outerjoin(SlaPolicyRow, SlaPolicyRow.id == WorkOrder.policy_id)
    .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
    .where(WorkOrder.id == bindparam("order_id"))
    .with_for_update(of=WorkOrder)
    .execution_options(populate_existing=True)
)
_TIMELINE = (
    select(_EVENTS.c.at, _EVENTS.c.type, _EVENTS.c.status)
    .where(_EVENTS.c.work_order_id == bindparam("order_id"))
    .order_by(_EVENTS.c.at, _EVENTS.c.id)
)
_INSERT_ORDER = insert(_ORDERS)
_INSERT_EVENT = insert(_EVENTS)
# Attribute keys are the column names for every column of an order.
_ORDER_COLUMNS = frozenset(column_keys(WorkOrder))


def load_for_write(session: Session, order_id: int) -> OrderForWrite | None:
    """The order locked for this write, with its policy's definitions and timeline;
    None when there is no such order. What the session held of it is read anew."""
    row = session.execute(_ORDER_WITH_POLICY, {"order_id": order_id}).first()
    if row is None:
        return None
    order, calendar_text, policy_text = row
    definitions = None
    if calendar_text is not None and policy_text is not None:
        definitions = (calendar_text, policy_text)
    events = session.connection().execute(_TIMELINE, {"order_id": order_id})
    return OrderForWrite(order, definitions, [(at, t, s) for at, t, s in events])


def add_order(session: Session, order: WorkOrder, event_type: str, *, actor_id: int | None) -> int:
    """Insert a new order, every column given but ``id`` (``version`` starts at 1), and
    its first timeline event (``event_type``, at the order's creation, by ``actor_id``);
    the order joins the session as loaded. The order's new id."""
    values = inspect(order).dict
    missing = sorted(_ORDER_COLUMNS - {"id", "version"} - values.keys())
    if missing:
        raise ValueError(f"work_order: a new order gives every column; missing {missing}")
    row = {key: values[key] for key in _ORDER_COLUMNS - {"id", "version"}}
    row["version"] = values.get("version") or 1
    connection = session.connection()
    (order_id,) = connection.execute(_INSERT_ORDER, row).inserted_primary_key or (None,)
    if order_id is None:
        raise RuntimeError("work_order: the database gave the new order no id")
    connection.execute(
        _INSERT_EVENT,
        {
            "work_order_id": order_id,
            "at": order.created_at,
            "type": event_type,
            "status": order.status,
            "actor_id": actor_id,
            "body": "",
            "channel": None,
            "tag": "",
        },
    )
    order.id = order_id
    order.version = row["version"]
    _as_loaded(session, order)
    return int(order_id)


@functools.lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> Update:
    """The UPDATE of these columns of one order, guarded by its loaded version; built
    once per set of columns (orders change in a handful of ways)."""
    return (
        update(_ORDERS)
        .where(
            _ORDERS.c.id == bindparam("order_id"),
            _ORDERS.c.version == bindparam("loaded_version"),
        )
        .values({_ORDERS.c[key]: bindparam(f"new_{key}") for key in columns})
        .values(version=_ORDERS.c.version + 1)
    )


def save_order(session: Session, order: WorkOrder) -> None:
    """Save the order's changed columns, checking that ``version`` is still the one
    loaded and moving it by one; nothing to do when nothing changed.
    ``StaleDataError`` when another write moved the order first."""
    state = inspect(order)
    if not state.persistent or order not in session:
        raise ValueError(f"work_order {order.id}: not loaded in this session")
    touched = (_ORDER_COLUMNS - state.unmodified) - {"id", "version"}
    # A column set to the value it had is touched but unchanged.
    columns = tuple(sorted(key for key in touched if state.attrs[key].history.has_changes()))
    if not columns:
        return
    values: dict[str, Any] = {key: state.dict[key] for key in columns}
    loaded = order.version
    result = session.connection().execute(
        _update_statement(columns),
        {
            **{f"new_{key}": value for key, value in values.items()},
            "order_id": order.id,
            "loaded_version": loaded,
        },
    )
    if result.rowcount != 1:
        raise StaleDataError(f"work_order {order.id}: version {loaded} was moved by another write")
    order.version = loaded + 1
    _as_loaded(session, order)


def _as_loaded(session: Session, order: WorkOrder) -> None:
    """Make the order's values its loaded state in the session, as if just read from
    the database: it has no changes left for the ORM's flush to look at."""
    if order in session:
        session.expunge(order)
        make_transient(order)
    make_transient_to_detached(order)
    session.add(order)
