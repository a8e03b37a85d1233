"""Order timelines: one order's events as values, many orders' events as checked columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike

from touchpoint.domain.calendar import (
    CalendarError,
    format_instant,
    from_epoch_seconds,
    parse_instant,
    to_epoch_seconds,
)
from touchpoint.domain.sla.errors import SlaInputError, TimelineError
from touchpoint.domain.sla.vocabulary import (
    CREATED_CODE,
    EVENT_TYPES,
    NO_STATUS_CODE,
    STATUS_CODE,
    STATUSES,
    BoolArray,
    EventType,
    Int8Array,
    Int64Array,
    OrderStatus,
    choices,
)

__all__ = ["TimelineEvent", "Timelines", "check_timeline", "timeline_from_json"]


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of an order's timeline.

    ``status`` is the status of a ``created`` event or the ``to`` of a ``status``
    event, and ``None`` for every other type. ``at`` must be timezone-aware.
    """

    at: datetime
    type: EventType
    status: OrderStatus | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise SlaInputError("at", self.at.isoformat(), "is a naive time: give an offset or Z")
        try:
            kind = EventType(self.type)
        except ValueError:
            raise SlaInputError(
                "type", self.type, f"is not an event type ({choices(EVENT_TYPES)})"
            ) from None
        object.__setattr__(self, "type", kind)
        if kind.carries_status:
            if self.status is None:
                name = "status" if kind is EventType.CREATED else "to"
                raise SlaInputError(name, None, f"is missing on an event of type {kind}")
            try:
                object.__setattr__(self, "status", OrderStatus(self.status))
            except ValueError:
                raise SlaInputError(
                    "status", self.status, f"is not a status ({choices(STATUSES)})"
                ) from None
        elif self.status is not None:
            raise SlaInputError("status", self.status, f"is not allowed on an event of type {kind}")

    @classmethod
    def from_json(cls, data: object, index: int = 0) -> TimelineEvent:
        """Parse ``{"at", "type", "status"}`` (created) or ``{"at", "type", "to"}`` (status).

        Other keys are ignored; a status on an event type that has none is an error.
        """
        if not isinstance(data, Mapping):
            raise TimelineError(index, "", data, "is not a JSON object")
        try:
            at = parse_instant(data.get("at"), "at")
        except CalendarError as error:
            raise TimelineError(index, "at", error.value, error.problem) from None
        raw_type = data.get("type")
        if not isinstance(raw_type, str) or raw_type not in EVENT_TYPES:
            raise TimelineError(
                index, "type", raw_type, f"is not an event type ({choices(EVENT_TYPES)})"
            )
        kind = EventType(raw_type)
        key = {EventType.CREATED: "status", EventType.STATUS: "to"}.get(kind)
        for other in ("status", "to"):
            if other != key and data.get(other) is not None:
                raise TimelineError(
                    index, other, data[other], f"is not allowed on an event of type {kind}"
                )
        status: OrderStatus | None = None
        if key is not None:
            raw_status = data.get(key)
            if raw_status is None:
                raise TimelineError(index, key, None, f"is missing on an event of type {kind}")
            if not isinstance(raw_status, str) or raw_status not in STATUSES:
                raise TimelineError(
                    index, key, raw_status, f"is not a status ({choices(STATUSES)})"
                )
            status = OrderStatus(raw_status)
        return cls(at=at, type=kind, status=status)

    def to_json(self) -> dict[str, object]:
        """The event JSON of issue 6."""
        out: dict[str, object] = {"at": format_instant(self.at), "type": self.type.value}
        if self.type is EventType.CREATED and self.status is not None:
            out["status"] = self.status.value
        elif self.type is EventType.STATUS and self.status is not None:
            out["to"] = self.status.value
        return out


def check_timeline(events: Sequence[TimelineEvent]) -> None:
    """Raise :class:`TimelineError` unless ``events`` is one order's valid timeline:
    ``created`` first and exactly once, then events in time order."""
    Timelines.from_events([events])


def timeline_from_json(data: object) -> list[TimelineEvent]:
    """Parse and check a JSON list of events; errors name ``events[i]`` and the value."""
    if not isinstance(data, list):
        raise SlaInputError("events", data, "is not a list of events")
    events = [TimelineEvent.from_json(item, i) for i, item in enumerate(data)]
    check_timeline(events)
    return events


@dataclass(frozen=True, eq=False)
class Timelines:
    """Many orders' timelines as columns: events sorted by order, then time.

    ``order_starts[j]`` is the index of order ``j``'s first event (its ``created``);
    ``at`` holds UTC epoch seconds, ``type`` :attr:`EventType.code`, ``status``
    :attr:`OrderStatus.code` or ``-1``. ``rows`` maps each event back to its position
    in the caller's input, for error messages; ``order_ids`` holds the caller's order
    code of each order. Build it with :meth:`from_columns` or :meth:`from_events`,
    which check every rule of a timeline.
    """

    order_ids: Int64Array
    order_starts: Int64Array
    at: Int64Array
    type: Int8Array
    status: Int8Array
    rows: Int64Array

    def __len__(self) -> int:
        return len(self.order_starts)

    @property
    def n_events(self) -> int:
        """Number of events in all orders."""
        return len(self.at)

    @classmethod
    def from_events(cls, timelines: Sequence[Sequence[TimelineEvent]]) -> Timelines:
        """Columns from lists of :class:`TimelineEvent`, one list per order.

        Errors name the event's index inside its own order's list.
        """
        counts = [len(events) for events in timelines]
        flat = [event for events in timelines for event in events]
        order = np.repeat(np.arange(len(timelines), dtype=np.int64), counts)
        at = np.array([to_epoch_seconds(e.at, "at") for e in flat], dtype=np.int64)
        kind = np.array([e.type.code for e in flat], dtype=np.int8)
        status = np.array(
            [NO_STATUS_CODE if e.status is None else e.status.code for e in flat], dtype=np.int8
        )
        rows = np.concatenate(
            [np.arange(c, dtype=np.int64) for c in counts] or [np.empty(0, dtype=np.int64)]
        )
        for j, c in enumerate(counts):
            if c == 0:
                raise TimelineError(
                    0, "type", None, f"order {j} has no events: 'created' is missing"
                )
        return cls.from_columns(order, at, kind, status, rows=rows.astype(np.int64))

    @classmethod
    def from_columns(
        cls,
        order: ArrayLike,
        at: ArrayLike,
        type: ArrayLike,
        status: ArrayLike,
        rows: ArrayLike | None = None,
    ) -> Timelines:
        """Check and sort columns of events from many orders.

        ``order`` holds integer order codes (rows of one order need not be adjacent;
        they are stably grouped, keeping each order's listed order). ``at`` holds UTC
        epoch seconds. Raises :class:`TimelineError` naming ``events[row]`` for an
        unknown type or status, a status where none belongs, a missing or repeated
        ``created`` and events out of time order.
        """
        codes = np.asarray(order, dtype=np.int64)
        n = len(codes)
        positions = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        at_arr = np.asarray(at, dtype=np.int64)
        kind = np.asarray(type, dtype=np.int64)
        stat = np.asarray(status, dtype=np.int64)
        if not (len(at_arr) == len(kind) == len(stat) == len(positions) == n):
            raise SlaInputError("events", n, "columns differ in length")
        _check_codes(kind, stat, positions)
        # Group by order, keeping each order's listed order (equal instants keep it too).
        if n and np.any(codes[1:] < codes[:-1]):
            sort = np.argsort(codes, kind="stable")
            codes, at_arr, kind, stat, positions = (
                codes[sort],
                at_arr[sort],
                kind[sort],
                stat[sort],
                positions[sort],
            )
        first = np.ones(n, dtype=bool)
        first[1:] = codes[1:] != codes[:-1]
        _check_each_order(first, at_arr, kind, positions)
        starts = np.flatnonzero(first)
        return cls(
            order_ids=codes[starts],
            order_starts=starts.astype(np.int64),
            at=at_arr,
            type=kind.astype(np.int8),
            status=stat.astype(np.int8),
            rows=positions,
        )


def _first(flag: BoolArray) -> int:
    """The index of the first true element of ``flag``, or -1."""
    return int(flag.argmax()) if flag.any() else -1


def _check_codes(kind: Int64Array, stat: Int64Array, positions: Int64Array) -> None:
    """Every event's type is known, and it has a known status exactly when it carries one."""
    i = _first((kind < 0) | (kind >= len(EVENT_TYPES)))
    if i >= 0:
        raise TimelineError(int(positions[i]), "type", int(kind[i]), "is unknown")
    carries = (kind == CREATED_CODE) | (kind == STATUS_CODE)
    i = _first(carries & ((stat < 0) | (stat >= len(STATUSES))))
    if i >= 0:
        # Columns name the field "status" for created and status rows alike.
        value = None if stat[i] < 0 else int(stat[i])
        problem = "is missing" if stat[i] < 0 else "is not a status"
        raise TimelineError(int(positions[i]), "status", value, problem)
    i = _first(~carries & (stat != NO_STATUS_CODE))
    if i >= 0:
        raise TimelineError(
            int(positions[i]),
            "status",
            STATUSES[stat[i]].value if 0 <= stat[i] < len(STATUSES) else int(stat[i]),
            f"is not allowed on an event of type {EVENT_TYPES[kind[i]]}",
        )


def _check_each_order(
    first: BoolArray, at: Int64Array, kind: Int64Array, positions: Int64Array
) -> None:
    """Each order (grouped; ``first`` marks its first event) opens with its one
    ``created`` and lists its events in time order."""
    created = kind == CREATED_CODE
    i = _first(first & ~created)
    if i >= 0:
        raise TimelineError(
            int(positions[i]),
            "type",
            EVENT_TYPES[kind[i]].value,
            "is the order's first event: 'created' is missing",
        )
    i = _first(~first & created)
    if i >= 0:
        raise TimelineError(
            int(positions[i]), "type", "created", "appears twice or after other events"
        )
    i = _first(~first[1:] & (at[1:] < at[:-1])) + 1
    if i > 0:
        raise TimelineError(
            int(positions[i]),
            "at",
            format_instant(from_epoch_seconds(int(at[i]))),
            "is before the previous event of its order "
            f"({format_instant(from_epoch_seconds(int(at[i - 1])))}): events out of order",
        )
