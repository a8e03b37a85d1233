"""The SLA clock's vocabulary: statuses, event types, targets and their integer codes.

The batch replay holds events as integer columns; the codes here (each enum member's
position in declaration order) are what those columns contain.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AGENT_REPLY_CODE",
    "CREATED_CODE",
    "CUSTOMER_MESSAGE_CODE",
    "DONE",
    "EVENT_TYPES",
    "NO_INSTANT",
    "NO_STATUS_CODE",
    "PAUSES",
    "STATUSES",
    "STATUS_CODE",
    "TARGETS",
    "BoolArray",
    "EventType",
    "Int8Array",
    "Int64Array",
    "NextUpdateFrom",
    "OrderStatus",
    "choices",
]

#: Sentinel for a null instant in batch arrays (``NEVER`` marks an unreachable deadline).
NO_INSTANT: Final = np.iinfo(np.int64).min

#: The three targets, in report order.
TARGETS: Final = ("first_response", "next_update", "resolution")

Int64Array = NDArray[np.int64]
Int8Array = NDArray[np.int8]
BoolArray = NDArray[np.bool_]


class OrderStatus(StrEnum):
    """Statuses of a work order as the SLA clock sees them (issue 3)."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_THIRD_PARTY = "waiting_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_waiting(self) -> bool:
        """Waiting on the customer or a third party."""
        return self in (OrderStatus.WAITING_CUSTOMER, OrderStatus.WAITING_THIRD_PARTY)

    @property
    def is_done(self) -> bool:
        """Resolved or closed: entering it meets resolution, leaving it is a reopen."""
        return self in (OrderStatus.RESOLVED, OrderStatus.CLOSED)

    @property
    def is_paused(self) -> bool:
        """The clock does not run in this status (rule 1)."""
        return self.is_waiting or self.is_done

    @property
    def is_open(self) -> bool:
        """In the backlog: neither resolved nor closed."""
        return not self.is_done

    @property
    def needs_assignee(self) -> bool:
        """Every status past ``new`` has someone working it."""
        return self is not OrderStatus.NEW

    @property
    def code(self) -> int:
        """Position in declaration order: the status column of :class:`Timelines`."""
        return STATUSES.index(self)


class EventType(StrEnum):
    """Kinds of timeline events."""

    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    INTERNAL_NOTE = "internal_note"
    STATUS = "status"

    @property
    def carries_status(self) -> bool:
        """``created`` carries its status, ``status`` its ``to``; no other type has one."""
        return self in (EventType.CREATED, EventType.STATUS)

    @property
    def code(self) -> int:
        """Position in declaration order: the type column of :class:`Timelines`."""
        return EVENT_TYPES.index(self)


class NextUpdateFrom(StrEnum):
    """What the next-update target measures (rules 4 and 5)."""

    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"


#: Every status and event type, indexed by its code.
STATUSES: Final = tuple(OrderStatus)
EVENT_TYPES: Final = tuple(EventType)
#: Per status code: the clock is paused; the order is resolved or closed.
PAUSES: Final = np.array([s.is_paused for s in STATUSES])
DONE: Final = np.array([s.is_done for s in STATUSES])
#: Event type codes the replay tests for, and the status column's "no status".
CREATED_CODE: Final = 0
CUSTOMER_MESSAGE_CODE: Final = 1
AGENT_REPLY_CODE: Final = 2
STATUS_CODE: Final = 4
NO_STATUS_CODE: Final = -1


def choices(values: Sequence[StrEnum]) -> str:
    """The values as an error message lists them: ``"a, b, c"``."""
    return ", ".join(str(v) for v in values)
