"""The events the desk's writes announce to webhooks: one list, so that a subscription can
be made from it and no write announces a name nobody could have subscribed to.

A transition announces the status it moved to (``work_order.resolved``; a move to
``assigned`` shares its name with an assignment), or
``work_order.reopened`` when it left resolved or closed for a working status; a reply the
customer sees announces its kind; the escalation sweep announces each warning and breach
(``work_order.sla_warning``, ``work_order.sla_breach``).
"""

from __future__ import annotations

from typing import Final

from touchpoint.domain.escalation import EscalationLevel
from touchpoint.domain.sla.vocabulary import EventType
from touchpoint.domain.work_orders import TRANSITIONS, WorkOrderStatus

__all__ = ["EVERY_EVENT", "WEBHOOK_EVENTS", "is_webhook_event"]

#: A subscription to every event.
EVERY_EVENT: Final = "*"

_MOVED_TO = [s.value for s in WorkOrderStatus if any(s in moves for moves in TRANSITIONS.values())]

# An assignment and a move to "assigned" announce the same name: listed once.
WEBHOOK_EVENTS: Final = tuple(dict.fromkeys((
    "work_order.opened",
    "work_order.updated",
    "work_order.assigned",
    *(f"work_order.{status}" for status in _MOVED_TO),
    "work_order.reopened",
    f"work_order.{EventType.AGENT_REPLY.value}",
    f"work_order.{EventType.CUSTOMER_MESSAGE.value}",
    "work_order.return_visit",
    "work_order.recovery",
    "work_order.recovery_opened",
    *(f"work_order.sla_{level.value}" for level in EscalationLevel),
    "customer.created",
    "customer.merged",
    "customer.unmerged",
    "contact.logged",
    "incident.opened",
    "incident.resolved",
    "survey.response.completed",
)))  # fmt: skip


_KNOWN: Final = frozenset(WEBHOOK_EVENTS)


def is_webhook_event(name: str) -> bool:
    """Whether ``name`` is an event the desk announces."""
    return name in _KNOWN
