"""The SLA clock of issue 6: policies, order timelines and their replay, for one order or many.

There is one implementation of the nine rules: :func:`replay_many` replays a batch of
orders held as columns (events sorted by order, then time) with numpy, and
:func:`replay` is the batch of one. The desk, the escalation sweep, the KPI board and
``touchpoint sla`` all call these; ``now`` is always a parameter.

How the batch works, in the rules' own terms:

* ``B(t)`` is the calendar's cumulative business seconds (:class:`BusinessTimeIndex`).
* Each event's status after it is the last ``created``/``status`` value (forward fill);
  the order is paused between two events when the status after the first one pauses
  the clock (rule 1).
* ``U`` is the cumulative *unpaused* business time at each event (rule 2), one global
  cumulative sum whose differences inside an order are the used time between events.
* Every clock starts and stops at an event, so every span is a difference of ``U``
  and every "which event started the running clock" question is a running maximum or
  minimum of event indices: no Python loop per event.
* A pending target's due instant is where the order's used time reaches ``U(start) +
  target``: inside the history when it was already reached, otherwise after the last
  change of the clock (its last resume, or while paused the pause start, as if the pause
  had not begun: rule 8), found with ``B⁻¹``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from touchpoint.domain.calendar import (
    NEVER,
    BusinessCalendar,
    CalendarError,
    format_instant,
    from_epoch_seconds,
    parse_instant,
    to_epoch_seconds,
)

__all__ = [
    "NO_INSTANT",
    "TARGETS",
    "EventType",
    "NextUpdateFrom",
    "NextUpdateReport",
    "OrderStatus",
    "SlaBatchReport",
    "SlaInputError",
    "SlaPolicy",
    "SlaReport",
    "TargetOutcomes",
    "TargetReport",
    "TimelineError",
    "TimelineEvent",
    "Timelines",
    "check_timeline",
    "replay",
    "replay_many",
    "timeline_from_json",
]

#: Sentinel for a null instant in batch arrays (``NEVER`` marks an unreachable deadline).
NO_INSTANT: Final = np.iinfo(np.int64).min

#: The three targets, in report order.
TARGETS: Final = ("first_response", "next_update", "resolution")

Int64Array = NDArray[np.int64]
Int8Array = NDArray[np.int8]
BoolArray = NDArray[np.bool_]


class SlaInputError(ValueError):
    """An SLA policy, event or timeline is invalid; the message names field and value."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}: {value!r} {problem}")


class TimelineError(SlaInputError):
    """An order timeline breaks the rules of issue 6; ``index`` is the event's position."""

    def __init__(self, index: int, field: str, value: object, problem: str) -> None:
        self.index = index
        super().__init__(f"events[{index}].{field}", value, problem)


# ------------------------------------------------------------------------ vocabulary


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
        return _STATUS_LIST.index(self)


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
        return _TYPE_LIST.index(self)


class NextUpdateFrom(StrEnum):
    """What the next-update target measures (rules 4 and 5)."""

    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"


_STATUS_LIST: Final = tuple(OrderStatus)
_TYPE_LIST: Final = tuple(EventType)
_PAUSES: Final = np.array([s.is_paused for s in _STATUS_LIST])
_DONE: Final = np.array([s.is_done for s in _STATUS_LIST])
_CREATED: Final = 0
_CUSTOMER_MESSAGE: Final = 1
_AGENT_REPLY: Final = 2
_STATUS: Final = 4
_NO_STATUS: Final = -1


def _first(flag: BoolArray) -> int:
    """The index of the first true element of ``flag``, or -1."""
    return int(flag.argmax()) if flag.any() else -1


def _choices(values: Sequence[StrEnum]) -> str:
    return ", ".join(str(v) for v in values)


# ---------------------------------------------------------------------------- policy


def _target(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SlaInputError(key, value, "is not a whole number of business minutes >= 0 or null")
    return value


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets in business minutes; ``None`` means the target is not tracked.

    >>> SlaPolicy.from_json({"first_response_minutes": 60, "resolution_minutes": None})
    ... # doctest: +NORMALIZE_WHITESPACE
    SlaPolicy(first_response_minutes=60, next_update_minutes=None,
              next_update_from=<NextUpdateFrom.CUSTOMER_MESSAGE: 'customer_message'>,
              resolution_minutes=None)
    """

    first_response_minutes: int | None = None
    next_update_minutes: int | None = None
    next_update_from: NextUpdateFrom = NextUpdateFrom.CUSTOMER_MESSAGE
    resolution_minutes: int | None = None

    def __post_init__(self) -> None:
        for key in ("first_response_minutes", "next_update_minutes", "resolution_minutes"):
            _target({key: getattr(self, key)}, key)
        if not isinstance(self.next_update_from, NextUpdateFrom):
            try:
                mode = NextUpdateFrom(self.next_update_from)
            except ValueError:
                raise SlaInputError(
                    "next_update_from",
                    self.next_update_from,
                    f"is not one of {_choices(tuple(NextUpdateFrom))}",
                ) from None
            object.__setattr__(self, "next_update_from", mode)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SlaPolicy:
        """Parse the policy JSON; a missing target is null, ``next_update_from``
        defaults to ``customer_message``."""
        if not isinstance(data, Mapping):
            raise SlaInputError("policy", data, "is not a JSON object")
        known = {
            "first_response_minutes",
            "next_update_minutes",
            "next_update_from",
            "resolution_minutes",
        }
        for key in data:
            if key not in known:
                raise SlaInputError(str(key), data[key], "is not a policy field")
        mode = data.get("next_update_from", NextUpdateFrom.CUSTOMER_MESSAGE.value)
        if not isinstance(mode, str) or mode not in tuple(NextUpdateFrom):
            raise SlaInputError(
                "next_update_from", mode, f"is not one of {_choices(tuple(NextUpdateFrom))}"
            )
        return cls(
            first_response_minutes=_target(data, "first_response_minutes"),
            next_update_minutes=_target(data, "next_update_minutes"),
            next_update_from=NextUpdateFrom(mode),
            resolution_minutes=_target(data, "resolution_minutes"),
        )

    def to_json(self) -> dict[str, object]:
        """The policy JSON of issue 6."""
        return {
            "first_response_minutes": self.first_response_minutes,
            "next_update_minutes": self.next_update_minutes,
            "next_update_from": self.next_update_from.value,
            "resolution_minutes": self.resolution_minutes,
        }

    def target_minutes(self, target: str) -> int | None:
        """The target of ``first_response``, ``next_update`` or ``resolution``."""
        if target not in TARGETS:
            raise SlaInputError("target", target, f"is not one of {', '.join(TARGETS)}")
        value: int | None = getattr(self, f"{target}_minutes")
        return value


# -------------------------------------------------------------------------- timeline


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
                "type", self.type, f"is not an event type ({_choices(_TYPE_LIST)})"
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
                    "status", self.status, f"is not a status ({_choices(_STATUS_LIST)})"
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
        if not isinstance(raw_type, str) or raw_type not in _TYPE_LIST:
            raise TimelineError(
                index, "type", raw_type, f"is not an event type ({_choices(_TYPE_LIST)})"
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
            if not isinstance(raw_status, str) or raw_status not in _STATUS_LIST:
                raise TimelineError(
                    index, key, raw_status, f"is not a status ({_choices(_STATUS_LIST)})"
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
            [_NO_STATUS if e.status is None else e.status.code for e in flat], dtype=np.int8
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
        i = _first((kind < 0) | (kind >= len(_TYPE_LIST)))
        if i >= 0:
            raise TimelineError(int(positions[i]), "type", int(kind[i]), "is unknown")
        carries = (kind == _CREATED) | (kind == _STATUS)
        i = _first(carries & ((stat < 0) | (stat >= len(_STATUS_LIST))))
        if i >= 0:
            # Columns name the field "status" for created and status rows alike.
            value = None if stat[i] < 0 else int(stat[i])
            problem = "is missing" if stat[i] < 0 else "is not a status"
            raise TimelineError(int(positions[i]), "status", value, problem)
        i = _first(~carries & (stat != _NO_STATUS))
        if i >= 0:
            raise TimelineError(
                int(positions[i]),
                "status",
                _STATUS_LIST[stat[i]].value if 0 <= stat[i] < len(_STATUS_LIST) else int(stat[i]),
                f"is not allowed on an event of type {_TYPE_LIST[kind[i]]}",
            )
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
        starts = np.flatnonzero(first)
        created = kind == _CREATED
        i = _first(first & ~created)
        if i >= 0:
            raise TimelineError(
                int(positions[i]),
                "type",
                _TYPE_LIST[kind[i]].value,
                "is the order's first event: 'created' is missing",
            )
        i = _first(~first & created)
        if i >= 0:
            raise TimelineError(
                int(positions[i]), "type", "created", "appears twice or after other events"
            )
        i = _first(~first[1:] & (at_arr[1:] < at_arr[:-1])) + 1
        if i > 0:
            raise TimelineError(
                int(positions[i]),
                "at",
                format_instant(from_epoch_seconds(int(at_arr[i]))),
                "is before the previous event of its order "
                f"({format_instant(from_epoch_seconds(int(at_arr[i - 1])))}): events out of order",
            )
        return cls(
            order_ids=codes[starts],
            order_starts=starts.astype(np.int64),
            at=at_arr,
            type=kind.astype(np.int8),
            status=stat.astype(np.int8),
            rows=positions,
        )


# --------------------------------------------------------------------------- reports


def _instant(seconds: int) -> datetime | None:
    return None if seconds in (NO_INSTANT, NEVER) else from_epoch_seconds(seconds)


def _text(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


@dataclass(frozen=True, slots=True)
class TargetReport:
    """One target of one order (Zammad's vocabulary: due time, minutes used and left).

    ``due_at`` is null for a met target, a stopped clock, a resolved order and a
    deadline the calendar never reaches; ``used_minutes``/``left_minutes`` are null
    until the target has a completed span (rule 7).
    """

    target_minutes: int
    due_at: datetime | None
    met_at: datetime | None
    used_minutes: int | None
    left_minutes: int | None
    breached: bool

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay``."""
        return {
            "target_minutes": self.target_minutes,
            "due_at": _text(self.due_at),
            "met_at": _text(self.met_at),
            "used_minutes": self.used_minutes,
            "left_minutes": self.left_minutes,
            "breached": self.breached,
        }


@dataclass(frozen=True, slots=True)
class NextUpdateReport(TargetReport):
    """The next-update target, with ``started_at``: the start of its running clock."""

    started_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay`` (adds ``started_at``)."""
        out = TargetReport.to_json(self)
        out["started_at"] = _text(self.started_at)
        return out


@dataclass(frozen=True, slots=True)
class SlaReport:
    """An order's SLA state; a target is ``None`` when the policy does not track it."""

    status: OrderStatus
    paused: bool
    paused_since: datetime | None
    next_escalation_at: datetime | None
    first_response: TargetReport | None
    next_update: NextUpdateReport | None
    resolution: TargetReport | None

    @property
    def targets(self) -> dict[str, TargetReport]:
        """The tracked targets by name (``first_response``, ``next_update``, ``resolution``)."""
        found = {
            "first_response": self.first_response,
            "next_update": self.next_update,
            "resolution": self.resolution,
        }
        return {name: report for name, report in found.items() if report is not None}

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay``."""
        return {
            "status": self.status.value,
            "paused": self.paused,
            "paused_since": _text(self.paused_since),
            "next_escalation_at": _text(self.next_escalation_at),
            "first_response": None
            if self.first_response is None
            else self.first_response.to_json(),
            "next_update": None if self.next_update is None else self.next_update.to_json(),
            "resolution": None if self.resolution is None else self.resolution.to_json(),
        }


@dataclass(frozen=True, eq=False)
class TargetOutcomes:
    """One target over a batch of orders, one array element per order.

    Instants are UTC epoch seconds with :data:`NO_INSTANT` for null and
    :data:`~touchpoint.domain.calendar.NEVER` for a deadline the calendar never
    reaches; ``used_seconds`` is ``-1`` while the target has no completed span.
    ``pending`` marks a clock that is running or paused-running (it has a deadline);
    ``met`` counts as met for what-if: a met first response or resolution, or a next
    update with no pending clock, each without breach.
    """

    target_minutes: int
    due_at: Int64Array
    met_at: Int64Array
    started_at: Int64Array
    used_seconds: Int64Array
    breached: BoolArray
    pending: BoolArray
    met: BoolArray

    def summary(self) -> dict[str, object]:
        """``{"breached": k, "share": k/n, "met": m, "pending": p}``; the three add up to n."""
        n = len(self.breached)
        breached = int(self.breached.sum())
        met = int(self.met.sum())
        return {
            "breached": breached,
            "share": breached / n if n else None,
            "met": met,
            "pending": n - breached - met,
        }

    def report(self, i: int) -> TargetReport:
        """Order ``i``'s target as a :class:`TargetReport`."""
        used = int(self.used_seconds[i])
        used_minutes = None if used < 0 else used // 60
        return TargetReport(
            target_minutes=self.target_minutes,
            due_at=_instant(int(self.due_at[i])),
            met_at=_instant(int(self.met_at[i])),
            used_minutes=used_minutes,
            left_minutes=None if used_minutes is None else self.target_minutes - used_minutes,
            breached=bool(self.breached[i]),
        )

    def next_update_report(self, i: int) -> NextUpdateReport:
        """Order ``i``'s next-update target, with the start of its running clock."""
        base = self.report(i)
        return NextUpdateReport(
            target_minutes=base.target_minutes,
            due_at=base.due_at,
            met_at=base.met_at,
            used_minutes=base.used_minutes,
            left_minutes=base.left_minutes,
            breached=base.breached,
            started_at=_instant(int(self.started_at[i])),
        )


@dataclass(frozen=True, eq=False)
class SlaBatchReport:
    """The SLA state of many orders, one array element per order of :class:`Timelines`."""

    order_ids: Int64Array
    status: Int8Array
    paused: BoolArray
    paused_since: Int64Array
    next_escalation_at: Int64Array
    first_response: TargetOutcomes | None
    next_update: TargetOutcomes | None
    resolution: TargetOutcomes | None

    def __len__(self) -> int:
        return len(self.status)

    def summary(self) -> dict[str, object]:
        """Per target ``{"breached", "share", "met", "pending"}``, null when untracked."""
        return {
            name: None if outcome is None else outcome.summary()
            for name, outcome in (
                ("first_response", self.first_response),
                ("next_update", self.next_update),
                ("resolution", self.resolution),
            )
        }

    def report(self, i: int) -> SlaReport:
        """Order ``i`` as an :class:`SlaReport`."""
        return SlaReport(
            status=_STATUS_LIST[int(self.status[i])],
            paused=bool(self.paused[i]),
            paused_since=_instant(int(self.paused_since[i])),
            next_escalation_at=_instant(int(self.next_escalation_at[i])),
            first_response=None if self.first_response is None else self.first_response.report(i),
            next_update=None
            if self.next_update is None
            else self.next_update.next_update_report(i),
            resolution=None if self.resolution is None else self.resolution.report(i),
        )


# ---------------------------------------------------------------------------- replay


def replay(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    events: Sequence[TimelineEvent],
    now: datetime | None = None,
) -> SlaReport:
    """Replay one order's timeline under ``policy``: the batch of one.

    ``now`` only adds rule 9's "pending target past its due time" breach. Everything
    else of the replay depends on the calendar, the policy and the events alone, so it is
    remembered for the last few thousand timelines replayed (see :class:`_Replayed`):
    an order read or edited again without a new event is not replayed again.
    """
    key = (
        id(calendar),
        id(policy),
        tuple(
            (
                to_epoch_seconds(e.at, "at"),
                e.type.code,
                _NO_STATUS if e.status is None else e.status.code,
            )
            for e in events
        ),
    )
    found = _REPLAYED.get(key)
    if found is None:
        if len(_REPLAYED) >= _REPLAYED_LIMIT:
            _REPLAYED.clear()
        # The entry holds the calendar and the policy, so that their ids in the key
        # cannot pass to other objects while it lives.
        found = _REPLAYED[key] = _RememberedOrder(
            calendar, policy, _Replayed.of(calendar, policy, Timelines.from_events([events]))
        )
    return found.report(None if now is None else to_epoch_seconds(now, "now"))


class _RememberedOrder:
    """One order's remembered replay (rules 1–8) and its reports so far.

    Rule 9 is the only part of a report that ``now`` enters: a pending target whose due
    instant lies before ``now`` (before ``paused_since`` while paused) is breached. So
    the report is the same for every ``now`` on the same side of each pending target's
    due instant; it is kept per such side, and a ``now`` on known sides costs a few
    comparisons instead of the batch arithmetic (``_Replayed.at``).
    """

    __slots__ = ("_paused_since", "_reports", "_thresholds", "calendar", "policy", "replayed")

    def __init__(self, calendar: BusinessCalendar, policy: SlaPolicy, replayed: _Replayed) -> None:
        self.calendar = calendar
        self.policy = policy
        self.replayed = replayed
        c = replayed.clocks
        # Rule 9's inputs, as _outcomes reads them for the batch's one order.
        self._paused_since = int(c.at[c.anchor][0]) if bool(c.paused[0]) else None
        self._thresholds = tuple(
            int(replayed.dues[name][0])
            for name, target in replayed.targets.items()
            if bool(target.pending[0]) and int(replayed.dues[name][0]) != NEVER
        )
        self._reports: dict[tuple[bool, ...] | None, SlaReport] = {}

    def report(self, now: int | None) -> SlaReport:
        """The order's report at ``now`` (UTC epoch seconds; None: no breach test)."""
        side: tuple[bool, ...] | None = None
        if now is not None:
            limit = now if self._paused_since is None else min(now, self._paused_since)
            side = tuple(due < limit for due in self._thresholds)
        found = self._reports.get(side)
        if found is None:
            found = self._reports[side] = self.replayed.at(now).report(0)
        return found


_REPLAYED: dict[tuple[int, int, tuple[tuple[int, int, int], ...]], _RememberedOrder] = {}
_REPLAYED_LIMIT: Final = 4096


def _last_flagged(flag: BoolArray) -> Int64Array:
    """For each event, the index of the last flagged event at or before it (``-1``: none)."""
    idx = np.where(flag, np.arange(len(flag), dtype=np.int64), -1)
    return np.maximum.accumulate(idx)


def _next_flagged(flag: BoolArray) -> Int64Array:
    """For each position ``0..n``, the first flagged event at or after it (``n``: none)."""
    n = len(flag)
    idx = np.where(flag, np.arange(n, dtype=np.int64), n)
    out = np.minimum.accumulate(idx[::-1])[::-1]
    return np.append(out, np.int64(n))


def _segment_max(values: Int64Array, starts: Int64Array) -> Int64Array:
    """The maximum of each order's slice ``values[starts[j]:starts[j + 1]]``."""
    return np.maximum.reduceat(values, starts) if len(values) else values


@dataclass(frozen=True, eq=False)
class _Clocks:
    """Per-event and per-order quantities every target is computed from."""

    at: Int64Array  # event instants
    b: Int64Array  # B(at): calendar business seconds
    u: Int64Array  # cumulative unpaused business seconds
    starts: Int64Array  # first event of each order
    ends: Int64Array  # last event of each order
    anchor: Int64Array  # per order: last event at which the clock stopped or resumed
    done: BoolArray  # per order: resolved or closed at the end
    paused: BoolArray  # per order: paused at the end


@dataclass(frozen=True, slots=True)
class _Target:
    """A target's raw result before deadlines are known."""

    minutes: int
    clock_start: Int64Array  # per order: event that started its pending clock (or -1)
    pending: BoolArray
    met_at: Int64Array
    started_at: Int64Array
    used_seconds: Int64Array


def _first_response(minutes: int, c: _Clocks, kind: Int8Array, n_events: int) -> _Target:
    # Rule 3: met at the first agent reply, also one sent while paused.
    first_reply = _next_flagged(kind == _AGENT_REPLY)[c.starts]
    replied = first_reply <= c.ends
    reply = np.minimum(first_reply, n_events - 1)
    # Resolved while unmet: the span ends at that resolution; U no longer grows while done.
    used = np.where(
        replied, c.u[reply] - c.u[c.starts], np.where(c.done, c.u[c.ends] - c.u[c.starts], -1)
    )
    return _Target(
        minutes=minutes,
        clock_start=c.starts,
        pending=~replied & ~c.done,
        met_at=np.where(replied, c.at[reply], NO_INSTANT),
        started_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        used_seconds=used,
    )


def _resolution(minutes: int, c: _Clocks, resolution: BoolArray) -> _Target:
    # Rule 6: met on entering resolved/closed; a reopen clears it (so only the state at
    # the end matters), and the resolved interval was a pause (U did not grow).
    last = np.maximum(_last_flagged(resolution)[c.ends], 0)
    return _Target(
        minutes=minutes,
        clock_start=c.starts,
        pending=~c.done,
        met_at=np.where(c.done, c.at[last], NO_INSTANT),
        started_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        used_seconds=np.where(c.done, c.u[last] - c.u[c.starts], -1),
    )


def _next_update_from_customer(
    minutes: int, c: _Clocks, kind: Int8Array, resolution: BoolArray, order_of: Int64Array
) -> _Target:
    # Rule 4: a clock starts at the first customer message after the last stop (a reply
    # or a resolution); later messages do not move it; the next stop ends the span.
    n = len(kind)
    stop = (kind == _AGENT_REPLY) | resolution
    next_message = _next_flagged(kind == _CUSTOMER_MESSAGE)
    last_stop = _last_flagged(stop)
    previous_stop = np.concatenate(([-1], last_stop[:-1]))
    # First event after the previous stop within the same order.
    lower = np.maximum(previous_stop, c.starts[order_of] - 1) + 1
    span_start = next_message[lower]
    completed = stop & (span_start < np.arange(n))
    spans = np.where(completed, c.u - c.u[np.minimum(span_start, n - 1)], -1)
    running_from = next_message[np.maximum(last_stop[c.ends], c.starts - 1) + 1]
    running = running_from <= c.ends
    start = np.minimum(running_from, n - 1)
    return _Target(
        minutes=minutes,
        clock_start=np.where(running, start, -1),
        pending=running & ~c.done,
        met_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        started_at=np.where(running, c.at[start], NO_INSTANT),
        used_seconds=_segment_max(spans, c.starts),
    )


def _next_update_from_agent(
    minutes: int,
    c: _Clocks,
    kind: Int8Array,
    first: BoolArray,
    done_after: BoolArray,
    resolution: BoolArray,
    reopen: BoolArray,
) -> _Target:
    # Rule 5: the clock (re)starts at creation, at each reply while not resolved/closed
    # and at a reopen; a reply ends the running span and a resolution stops the clock.
    n = len(kind)
    counted_reply = (kind == _AGENT_REPLY) & ~done_after
    marker = first | counted_reply | reopen
    stop = counted_reply | resolution
    last_marker = _last_flagged(marker)
    # The span a stop ends began at the last marker strictly before it; an order created
    # resolved starts and stops at its creation (an empty span).
    began = np.where(first, np.arange(n), np.concatenate(([-1], last_marker[:-1])))
    spans = np.where(stop, c.u - c.u[np.maximum(began, 0)], -1)
    running = ~c.done
    start = last_marker[c.ends]
    return _Target(
        minutes=minutes,
        clock_start=np.where(running, start, -1),
        pending=running,
        met_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        started_at=np.where(running, c.at[start], NO_INSTANT),
        used_seconds=_segment_max(spans, c.starts),
    )


def _due_queries(target: _Target, c: _Clocks) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Where each pending clock's used time reaches its target, as ``B`` values to invert.

    Returns ``(clock_start, b_value, floor)`` per order: the deadline is
    ``max(at[clock_start], B⁻¹(b_value))``. When the level was reached before the last
    change of the clock, ``b_value`` is found inside the unpaused event interval where
    ``U`` crossed it; otherwise after the anchor, as if the current pause had not begun
    (rule 8), which for a clock started during the pause is its own start.
    """
    start = np.maximum(target.clock_start, 0)
    anchor = c.anchor
    # U'(start): the used time at the clock's start on the "no current pause" timeline.
    u_start = c.u[np.minimum(start, anchor)] + (c.b[np.maximum(start, anchor)] - c.b[anchor])
    level = u_start + target.minutes * 60
    after_anchor = level > c.u[anchor]
    b_after = c.b[anchor] + (level - c.u[anchor])
    # Inside the history: the first event whose U reaches the level, never before start.
    k = np.maximum(np.searchsorted(c.u, level, side="left"), start)
    previous = np.maximum(k - 1, 0)
    b_history = np.where(k > start, c.b[previous] + (level - c.u[previous]), c.b[start])
    return start, np.where(after_anchor, b_after, b_history), c.at[start]


def _outcomes(
    target: _Target,
    due: Int64Array,
    c: _Clocks,
    now: int | None,
    is_next_update: bool,
) -> TargetOutcomes:
    due_at = np.where(target.pending, due, NO_INSTANT)
    used_minutes = np.where(target.used_seconds >= 0, target.used_seconds // 60, 0)
    breached = (target.used_seconds >= 0) & (target.minutes - used_minutes < 0)
    if now is not None:
        # While paused the clock stopped at paused_since: compare there (rule 9).
        limit = np.where(c.paused, np.minimum(now, c.at[c.anchor]), now)
        breached |= target.pending & (due != NEVER) & (due < limit)
    if is_next_update:
        met = ~target.pending & ~breached
    else:
        met = (target.met_at != NO_INSTANT) & ~breached
    return TargetOutcomes(
        target_minutes=target.minutes,
        due_at=due_at,
        met_at=target.met_at,
        started_at=target.started_at,
        used_seconds=target.used_seconds,
        breached=breached,
        pending=target.pending,
        met=met,
    )


def _empty_report(policy: SlaPolicy) -> SlaBatchReport:
    none_i = np.empty(0, dtype=np.int64)
    none_b = np.empty(0, dtype=bool)

    def empty(minutes: int | None) -> TargetOutcomes | None:
        if minutes is None:
            return None
        return TargetOutcomes(minutes, none_i, none_i, none_i, none_i, none_b, none_b, none_b)

    return SlaBatchReport(
        order_ids=none_i,
        status=np.empty(0, dtype=np.int8),
        paused=none_b,
        paused_since=none_i,
        next_escalation_at=none_i,
        first_response=empty(policy.first_response_minutes),
        next_update=empty(policy.next_update_minutes),
        resolution=empty(policy.resolution_minutes),
    )


def replay_many(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    timelines: Timelines,
    now: datetime | None = None,
) -> SlaBatchReport:
    """Replay every order of ``timelines`` under ``policy`` at once (rules 1–9).

    Vectorised over events with numpy; ``now`` (timezone-aware) only adds rule 9's
    "pending target past its due time" breach. The deadline of a clock that the
    calendar never lets run out is :data:`~touchpoint.domain.calendar.NEVER`.
    """
    now_s = None if now is None else to_epoch_seconds(now, "now")
    if timelines.n_events == 0:
        return _empty_report(policy)
    return _Replayed.of(calendar, policy, timelines).at(now_s)


@dataclass(frozen=True, eq=False)
class _Replayed:
    """A batch replayed up to the point where ``now`` enters (rule 9's breach test):
    clocks, targets and due instants, which depend on the timelines alone."""

    order_ids: Int64Array
    status: Int8Array
    clocks: _Clocks
    targets: dict[str, _Target]
    dues: dict[str, Int64Array]
    next_escalation_at: Int64Array

    @classmethod
    def of(cls, calendar: BusinessCalendar, policy: SlaPolicy, timelines: Timelines) -> _Replayed:
        """Replay a non-empty batch (rules 1–8)."""
        n_events = timelines.n_events
        at = timelines.at
        kind = timelines.type
        starts = timelines.order_starts
        ends = np.append(starts[1:] - 1, n_events - 1)
        first = np.zeros(n_events, dtype=bool)
        first[starts] = True
        order_of = np.repeat(
            np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, n_events))
        )

        index = calendar.index(int(at.min()), int(at.max()))
        b = index.business_seconds_at(at)

        # Status after each event: the last created/status value (every order opens with one).
        has_status = timelines.status >= 0
        status = timelines.status[_last_flagged(has_status)]
        paused_after = _PAUSES[status]
        done_after = _DONE[status]
        paused_before = np.concatenate(([False], paused_after[:-1])) & ~first
        done_before = np.concatenate(([False], done_after[:-1])) & ~first
        resolution = done_after & ~done_before  # an order created resolved counts as resolved
        reopen = ~done_after & done_before

        # Rule 2: business time counts between two events unless paused after the first.
        increments = np.diff(b, prepend=b[0])
        increments[first | paused_before] = 0
        u = np.cumsum(increments)

        # The clock changes at creation, at each pause start and at each resume.
        change = first | (paused_after != paused_before)
        clocks = _Clocks(
            at=at,
            b=b,
            u=u,
            starts=starts,
            ends=ends,
            anchor=_last_flagged(change)[ends],
            done=done_after[ends],
            paused=paused_after[ends],
        )

        targets: dict[str, _Target] = {}
        if policy.first_response_minutes is not None:
            targets["first_response"] = _first_response(
                policy.first_response_minutes, clocks, kind, n_events
            )
        if policy.next_update_minutes is not None:
            if policy.next_update_from is NextUpdateFrom.CUSTOMER_MESSAGE:
                targets["next_update"] = _next_update_from_customer(
                    policy.next_update_minutes, clocks, kind, resolution, order_of
                )
            else:
                targets["next_update"] = _next_update_from_agent(
                    policy.next_update_minutes, clocks, kind, first, done_after, resolution, reopen
                )
        if policy.resolution_minutes is not None:
            targets["resolution"] = _resolution(policy.resolution_minutes, clocks, resolution)

        # One index extension serves every deadline: B values from the same cover_start
        # agree between the short and the extended index.
        queries = {name: _due_queries(target, clocks) for name, target in targets.items()}
        if queries:
            wanted = max(
                int(q[1][targets[name].pending].max(initial=0)) for name, q in queries.items()
            )
            if wanted > index.reach:
                index = calendar.index(index.cover_start, index.cover_end, reach=wanted)
        dues: dict[str, Int64Array] = {}
        next_escalation = np.full(len(starts), NEVER, dtype=np.int64)
        for name, target in targets.items():
            _, b_value, floor = queries[name]
            found = index.instants_at(b_value)
            due = np.where(found == NEVER, NEVER, np.maximum(found, floor))
            dues[name] = due
            live = target.pending & ~clocks.paused
            next_escalation = np.where(live, np.minimum(next_escalation, due), next_escalation)
        return cls(
            order_ids=timelines.order_ids,
            status=status[ends].astype(np.int8),
            clocks=clocks,
            targets=targets,
            dues=dues,
            next_escalation_at=np.where(next_escalation == NEVER, NO_INSTANT, next_escalation),
        )

    def at(self, now: int | None) -> SlaBatchReport:
        """The report at ``now`` (UTC epoch seconds; None: no rule-9 breach test)."""
        outcomes = {
            name: _outcomes(target, self.dues[name], self.clocks, now, name == "next_update")
            for name, target in self.targets.items()
        }
        c = self.clocks
        return SlaBatchReport(
            order_ids=self.order_ids,
            status=self.status,
            paused=c.paused,
            paused_since=np.where(c.paused, c.at[c.anchor], NO_INSTANT),
            next_escalation_at=self.next_escalation_at,
            first_response=outcomes.get("first_response"),
            next_update=outcomes.get("next_update"),
            resolution=outcomes.get("resolution"),
        )
