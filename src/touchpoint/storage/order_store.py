"""How a write loads and saves one work order.

A write loads its order locked for the write (``FOR UPDATE`` on PostgreSQL; on SQLite
the write unit already holds the file's writer lock), together with the stored
definitions of its SLA policy and calendar, and its timeline. It saves the order with
the ORM's flush, whose UPDATE checks and bumps ``version`` (the mapper's
``version_id_col``): a write that lost a race raises ``StaleDataError`` and nothing is
written. This is the one write path of a work order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder, WorkOrderEvent

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


_CALENDAR_TEXT = cast(SlaCalendarRow.definition, Text).label("calendar_definition")
_POLICY_TEXT = cast(SlaPolicyRow.definition, Text).label("policy_definition")
_ORDER_WITH_POLICY = (
    select(WorkOrder, _CALENDAR_TEXT, _POLICY_TEXT)
    .outerjoin(SlaPolicyRow, SlaPolicyRow.id == WorkOrder.policy_id)
    .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
    .with_for_update(of=WorkOrder)
    .execution_options(populate_existing=True)
)
_TIMELINE = select(WorkOrderEvent.at, WorkOrderEvent.type, WorkOrderEvent.status).order_by(
    WorkOrderEvent.at, WorkOrderEvent.id
)


def load_for_write(session: Session, order_id: int) -> OrderForWrite | None:
    """The order locked for this write, with its policy's definitions and timeline;
    None when there is no such order. What the session held of it is read anew."""
    row = session.execute(_ORDER_WITH_POLICY.where(WorkOrder.id == order_id)).first()
    if row is None:
        return None
    order, calendar_text, policy_text = row
    definitions = (
        None
        if calendar_text is None or policy_text is None
        else (
            calendar_text,
            policy_text,
        )
    )
    events = session.execute(_TIMELINE.where(WorkOrderEvent.work_order_id == order_id))
    return OrderForWrite(order, definitions, [(at, t, s) for at, t, s in events])


def add_order(session: Session, order: WorkOrder, first_event: WorkOrderEvent) -> int:
    """Insert a new order and its first timeline event; the order's new id."""
    session.add(order)
    session.flush()
    first_event.work_order_id = order.id
    session.add(first_event)
    return order.id


def save_order(session: Session, order: WorkOrder) -> None:
    """Send the order's changes (and anything else pending in the session): its UPDATE
    checks that ``version`` is still the one loaded and bumps it by one.
    ``StaleDataError`` when another write moved it first."""
    if order not in session:
        raise ValueError(f"work_order {order.id}: not loaded in this session")
    session.flush()
