"""The desk's bridge to the SLA clock (issue 6): every SLA number comes from ``replay_many``.

Each order's timeline is stored as ``work_order_events`` rows. Many orders are loaded
in one set-based query as integer columns (order id, epoch second, type and status
codes, computed by the database), grouped by policy and replayed with one
``replay_many`` call per group, so that a sweep over a million open orders costs a
few numpy passes rather than a Python loop per order.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, Final, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    Executable,
    ScalarSelect,
    Select,
    String,
    Subquery,
    Text,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar, to_epoch_seconds
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.sla import (
    EventType,
    OrderStatus,
    SlaBatchReport,
    SlaPolicy,
    SlaReport,
    TimelineEvent,
    Timelines,
    replay,
    replay_many,
)
from touchpoint.domain.sla_selection import SlaRule, select_policy
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.storage.db import per_dialect
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder, WorkOrderEvent

__all__ = [
    "NULL_EPOCH",
    "ChosenPolicy",
    "PolicyBatch",
    "active_policies_column",
    "choose_compiled_policy",
    "compiled_from_text",
    "compiled_policy",
    "epoch_seconds",
    "fetch_int_columns",
    "fetch_rows",
    "inline_constant",
    "int_columns",
    "load_timeline",
    "refresh_sla_cache",
    "replay_batches",
    "replay_order",
    "sla_cache_values",
    "sla_json",
    "sla_report",
    "sla_reports",
    "stored_timeline",
    "timeline_events",
    "timeline_from_texts",
    "timeline_texts",
]

Int64Array = NDArray[np.int64]

#: What :func:`epoch_seconds` reads for a null instant (far below any real one).
NULL_EPOCH: Final = -(2**62)

# Largest IN list sent at once (SQLite allows 32,766 bound parameters).
_CHUNK: Final = 10_000

# Spans of days remembered per calendar (see _MemoCalendar); all are dropped when full.
_SPAN_LIMIT: Final = 256


class _MemoCalendar(BusinessCalendar):
    """A calendar that remembers its business intervals per span of days, for the
    process's life: every replay asks for an index, and building one (wall-clock ranges,
    time-zone offsets) cost a sizeable share of a write. The intervals depend on the
    calendar's content and the days only, and calendars are cached by content (see
    ``_calendar``), so an edited calendar is a new object with nothing remembered.
    """

    _spans: dict[tuple[int, int], tuple[Int64Array, Int64Array, Int64Array]]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_spans", {})

    def business_intervals(
        self, first_day: int, last_day: int
    ) -> tuple[Int64Array, Int64Array, Int64Array]:
        """As :meth:`BusinessCalendar.business_intervals`, remembered (read-only arrays)."""
        key = (first_day, last_day)
        found = self._spans.get(key)
        if found is None:
            found = super().business_intervals(first_day, last_day)
            for array in found:
                array.setflags(write=False)
            if len(self._spans) >= _SPAN_LIMIT:
                self._spans.clear()
            self._spans[key] = found
        return found


# Parsed definitions, keyed by their canonical JSON text (never by row id: one process
# may talk to several databases, e.g. in tests). Keying by content is what makes an
# edited calendar or policy take effect at once in every process: the rows are read
# with each write, and new content is a new key.
_Parsed = TypeVar("_Parsed")
_calendars: dict[str, BusinessCalendar] = {}
_policies: dict[str, SlaPolicy] = {}


def _parsed(cache: dict[str, _Parsed], parse: Callable[[Any], _Parsed], definition: Any) -> _Parsed:
    key = json.dumps(definition, sort_keys=True)
    found = cache.get(key)
    if found is None:
        found = cache[key] = parse(definition)
    return found


def _calendar(definition: Any) -> BusinessCalendar:
    return _parsed(_calendars, _MemoCalendar.from_json, definition)


def _policy(definition: Any) -> SlaPolicy:
    return _parsed(_policies, SlaPolicy.from_json, definition)


_stored: dict[tuple[str, str], tuple[BusinessCalendar, SlaPolicy]] = {}
_STORED_LIMIT: Final = 256


def compiled_from_text(calendar_text: str, policy_text: str) -> tuple[BusinessCalendar, SlaPolicy]:
    """A calendar and a policy parsed from their definitions as stored (JSON text read
    with a cast, no driver decoding), cached by that text; the parsed objects are the
    same ones :func:`compiled_policy` gives for that content."""
    key = (calendar_text, policy_text)
    found = _stored.get(key)
    if found is None:
        found = (_calendar(json.loads(calendar_text)), _policy(json.loads(policy_text)))
        if len(_stored) >= _STORED_LIMIT:
            _stored.clear()
        _stored[key] = found
    return found


def compiled_policy(
    session: Session, policy_id: int
) -> tuple[SlaPolicyRow, BusinessCalendar, SlaPolicy]:
    """The policy row with its parsed calendar and policy (parsing cached by content)."""
    row = session.get(SlaPolicyRow, policy_id)
    if row is None:
        raise LookupError(f"sla policy {policy_id} not found")
    cal_row = session.get(SlaCalendarRow, row.calendar_id)
    if cal_row is None:
        raise LookupError(f"sla calendar {row.calendar_id} not found")
    return row, _calendar(cal_row.definition), _policy(row.definition)


@dataclass(frozen=True, slots=True)
class ChosenPolicy:
    """The policy picked for a new order, parsed, with its calendar."""

    policy_id: int
    calendar: BusinessCalendar
    policy: SlaPolicy


# Everything choosing a policy and replaying a new order needs, for every active policy
# (read as one JSON text by active_policies_column). JSON columns are read as their
# stored text (a cast): the rows themselves make the cache key below.
_ACTIVE_POLICIES: Final = (
    select(
        SlaPolicyRow.id,
        SlaPolicyRow.rank,
        cast(SlaPolicyRow.types, Text),
        cast(SlaPolicyRow.priorities, Text),
        cast(SlaPolicyRow.customer_classes, Text),
        cast(SlaPolicyRow.channels, Text),
        SlaPolicyRow.calendar_id,
        cast(SlaPolicyRow.definition, Text).label("policy_definition"),
        cast(SlaCalendarRow.definition, Text).label("calendar_definition"),
    )
    .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
    .where(SlaPolicyRow.active.is_(True))
    .order_by(SlaPolicyRow.id)
)


class _ActivePolicies:
    """The selection rules of one set of active policy rows; each policy is parsed
    when first chosen (an unparsable one that is never chosen harms nobody)."""

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.rows = {int(r[0]): r for r in rows}
        self.rules = [
            SlaRule(
                policy_id=int(r[0]),
                rank=int(r[1]),
                types=frozenset(WorkOrderType(v) for v in json.loads(r[2])),
                priorities=frozenset(Priority(v) for v in json.loads(r[3])),
                customer_classes=frozenset(CustomerClass(v) for v in json.loads(r[4])),
                channels=frozenset(Channel(v) for v in json.loads(r[5])),
            )
            for r in rows
        ]
        self.compiled: dict[int, ChosenPolicy] = {}

    def compile(self, policy_id: int) -> ChosenPolicy:
        found = self.compiled.get(policy_id)
        if found is None:
            row = self.rows[policy_id]
            if row[8] is None:
                raise LookupError(f"sla calendar {row[6]} not found")
            found = ChosenPolicy(policy_id, *compiled_from_text(row[8], row[7]))
            self.compiled[policy_id] = found
        return found


# Keyed by the active policy rows as read (ids, conditions and both definitions as
# text, in one JSON text): any edit, in this process or another, changes the key of the
# next read.
_active_sets: dict[str, _ActivePolicies] = {}
_ACTIVE_SET_LIMIT: Final = 64


@per_dialect
def active_policies_column(session: Session) -> ColumnElement[str]:
    """The active policies, each as :data:`_ACTIVE_POLICIES` reads it, as one JSON text
    (rows in id order): for a statement to read beside its own row, so that choosing a
    new order's policy (``choose_compiled_policy(..., active=...)``) needs no query of
    its own."""
    dialect = session.get_bind().dialect.name
    rows: ScalarSelect[Any]
    if dialect == "sqlite":  # an aggregate keeps an ordered subquery's order
        inner = _ACTIVE_POLICIES.subquery()
        rows = select(func.json_group_array(func.json_array(*inner.c))).scalar_subquery()
    else:
        row = func.json_build_array(*_ACTIVE_POLICIES.selected_columns)
        rows = (
            _ACTIVE_POLICIES.with_only_columns(
                cast(func.json_agg(aggregate_order_by(row, SlaPolicyRow.id)), Text)
            )
            .order_by(None)
            .scalar_subquery()
        )
    return func.coalesce(rows, inline_constant("[]")).label("active_policies")


def _active_policies(text: str) -> _ActivePolicies:
    """The active policies as :func:`active_policies_column` read them."""
    active = _active_sets.get(text)
    if active is None:
        active = _ActivePolicies([tuple(r) for r in json.loads(text)])
        if len(_active_sets) >= _ACTIVE_SET_LIMIT:
            _active_sets.clear()
        _active_sets[text] = active
    return active


def choose_compiled_policy(
    active: str,
    *,
    type: WorkOrderType,
    priority: Priority,
    customer_class: CustomerClass,
    channel: Channel,
) -> ChosenPolicy | None:
    """The active policy whose conditions match first (rank, specificity, id), parsed,
    with its calendar; None when none matches.

    ``active`` is the active policies as a statement of the caller read them
    (:func:`active_policies_column`, beside its own row: no query of its own); their
    parsed rules and definitions are cached by that content, so edits count from the
    next read on.
    """
    active_set = _active_policies(active)
    policy_id = select_policy(
        active_set.rules,
        type=type,
        priority=priority,
        customer_class=customer_class,
        channel=channel,
    )
    return None if policy_id is None else active_set.compile(policy_id)


def inline_constant(value: Any) -> ColumnElement[Any]:
    """A constant written into the SQL text rather than bound.

    In the bulk reads below SQLite evaluates a bound value again on every row, where it
    folds a literal once: a bound ``group_concat`` separator doubled the aggregate's
    cost; for ``CASE`` labels and factors the gain is a few percent.

    Only integers and strings (the code's own constants, never user input). They are
    part of the statement's text when it is compiled, so a cached statement is not
    rendered again on each execution (``literal_execute`` would: about 8% of an order
    update went into re-rendering the timeline query's thirty constants).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"inline_constant: {value!r} is not an integer or a string")
    if isinstance(value, int):
        return literal_column(str(value), BigInteger)
    return literal_column("'" + value.replace("'", "''") + "'", String)


@functools.cache
def _sqlite_rounds_up() -> bool:
    """Whether this SQLite reads '…:00.9995' as the next second (see epoch_seconds);
    asked once, when a SQLite statement is first built, not at import."""
    with closing(sqlite3.connect(":memory:")) as conn:
        (seconds,) = conn.execute("SELECT strftime('%s', '2000-01-01 00:00:00.9995')").fetchone()
    return int(seconds) == to_epoch_seconds(datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC))


def epoch_seconds(session: Session, column: Any) -> ColumnElement[int]:
    """``column`` (an instant) as whole UTC epoch seconds computed by the database, rounded
    down like ``to_epoch_seconds``; null reads as :data:`NULL_EPOCH`.

    Reading integers instead of datetimes spares a Python object per value, which is
    what makes loading millions of events affordable.
    """
    if session.get_bind().dialect.name == "sqlite":
        # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'. Its date functions round
        # that to the millisecond first up to 3.45 (later ones cap the fraction at .999),
        # so from .9995 on they read the next second; there one is taken off (the
        # fraction is compared as text), and the database rounds down exactly as the
        # domain does: an order's stored and new events make one timeline. unixepoch
        # (SQLite 3.38) is about 4x cheaper than strftime('%s'); the correction costs
        # ~0.05 us a row, half of reading the text without its fraction.
        value: ColumnElement[int]
        if sqlite3.sqlite_version_info >= (3, 38):
            value = func.unixepoch(column, type_=BigInteger)
        else:
            value = cast(func.strftime("%s", column), BigInteger)
        if _sqlite_rounds_up():
            rounded_up = func.substr(column, inline_constant(21)) >= inline_constant("9995")
            value = value - type_coerce(rounded_up, BigInteger)
    else:
        value = cast(func.floor(extract("epoch", column)), BigInteger)
    return func.coalesce(value, inline_constant(NULL_EPOCH))


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TYPE_LIST: Final = tuple(EventType)
_STATUS_LIST: Final = tuple(OrderStatus)
_TYPE_CODES: Final = {t.value: t.code for t in EventType}
_STATUS_CODES: Final = {s.value: s.code for s in OrderStatus}


@per_dialect
def _packed_event(session: Session) -> ColumnElement[int]:
    """An event as one integer, ``(at * 8 + type) * 8 + status + 1`` (see :func:`_unpack`).

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


def _timeline_select(session: Session) -> Select[int, int]:
    """Events as two integers: the order id and the packed event (:func:`_packed_event`),
    in recorded order per order (not yet time order).

    Recorded order (id) rather than (at, id): the work_order_id index yields it with no
    sort; callers put each order's events in time order, stably (see replay_batches).
    """
    return select(WorkOrderEvent.work_order_id, _packed_event(session)).order_by(
        WorkOrderEvent.work_order_id, WorkOrderEvent.id
    )


def _unpack(packed: Int64Array) -> tuple[Int64Array, Int64Array, Int64Array]:
    """``(at, type code, status code)`` of packed events; an unknown type reads as -1.

    Shifts and masks are floor division and modulo by 64 and 8 (two's complement), and
    several times cheaper on large arrays.
    """
    status = (packed & 7) - 1
    kind = (packed >> 3) & 7
    unknown = kind == 7  # type -1 (unknown) borrowed one from the instant; undo that
    kind[unknown] = -1
    at = (packed >> 6) + unknown
    return at, kind, status


def fetch_rows(
    session: Session, stmt: Executable, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """All rows of a Core query as the driver's plain tuples (no per-row ``Row`` objects).

    For bulk reads of integer columns (no type conversion needed) on the session's
    connection, inside its transaction.
    """
    result = session.connection().execute(stmt, params)
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def int_columns(rows: Sequence[Any], width: int) -> Int64Array:
    """Integer result rows as an ``(n, width)`` array, without a Python list per value."""
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows))
    return flat.reshape(len(rows), width)


def fetch_int_columns(session: Session, stmt: Select[*tuple[Any, ...]]) -> Int64Array:
    """A Core query of non-null integer columns as an ``(n, width)`` array, rows in its order.

    On SQLite each column comes back as one ``group_concat`` text parsed by numpy: a
    million rows then cost no Python tuple or int per value (about 3x faster than
    :func:`fetch_rows`). Elsewhere it is :func:`fetch_rows` + :func:`int_columns`.
    """
    width = len(stmt.selected_columns)
    if session.get_bind().dialect.name != "sqlite":
        return int_columns(fetch_rows(session, stmt), width)
    inner = stmt.subquery()
    # The outer query is an aggregate, so SQLite keeps the subquery's ORDER BY (it never
    # flattens an ordered subquery into an aggregate), and group_concat appends in it.
    # Its default separator is the comma; a bound one costs a value read per row.
    texts = fetch_rows(session, select(*(func.group_concat(c) for c in inner.c)))[0]
    columns = [
        np.empty(0, dtype=np.int64)
        if text is None
        else np.fromstring(text, dtype=np.int64, sep=",")  # text mode is not deprecated
        for text in texts
    ]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("fetch_int_columns: a column held nulls")
    return np.stack(columns, axis=1) if columns else np.empty((0, 0), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class PolicyBatch:
    """The orders of one SLA policy replayed together; ``report.order_ids`` are the
    work-order ids, ascending."""

    policy_row: SlaPolicyRow
    calendar: BusinessCalendar
    policy: SlaPolicy
    report: SlaBatchReport


def replay_batches(
    session: Session,
    order_ids: Int64Array,
    policy_ids: Int64Array,
    *,
    now: datetime,
    orders_query: Select[Any] | None = None,
    orders_where: ColumnElement[bool] | None = None,
) -> list[PolicyBatch]:
    """Replay many orders, one ``replay_many`` per policy, loading their timelines in bulk.

    ``order_ids`` (ascending) and ``policy_ids`` describe the orders. Their events are
    read in one query, selected by ``orders_where`` (a condition on ``work_orders``,
    e.g. "open", joined to the events in order-id order), by ``orders_query`` (a query
    of order ids, so that no id list is sent) or else by ``order_ids`` in chunks.
    Orders without any event are left out.
    """
    if len(order_ids) == 0:
        return []
    if orders_where is not None:
        events = fetch_int_columns(
            session,
            select(WorkOrderEvent.work_order_id, _packed_event(session))
            .join_from(WorkOrder, WorkOrderEvent, WorkOrderEvent.work_order_id == WorkOrder.id)
            .where(orders_where)
            .order_by(WorkOrder.id, WorkOrderEvent.id),
        )
    elif orders_query is not None:
        events = fetch_int_columns(
            session,
            _timeline_select(session).where(
                WorkOrderEvent.work_order_id.in_(orders_query.scalar_subquery())
            ),
        )
    else:
        base = _timeline_select(session)
        ids = [int(i) for i in order_ids]
        rows: list[tuple[Any, ...]] = []
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            rows.extend(fetch_rows(session, base.where(WorkOrderEvent.work_order_id.in_(chunk))))
        events = int_columns(rows, 2)
        del rows
    ev_order = events[:, 0]
    at, kind, status = _unpack(events[:, 1])
    del events
    late = (ev_order[1:] == ev_order[:-1]) & (at[1:] < at[:-1])
    if late.any():  # an event recorded with an earlier instant: sort by (order, at, id)
        perm = np.lexsort((at, ev_order))
        ev_order, at, kind, status = ev_order[perm], at[perm], kind[perm], status[perm]
    # Each run of one order's events takes the order's policy (-1: not among order_ids).
    n = len(ev_order)
    if n == 0:
        return []
    run_starts = np.flatnonzero(np.concatenate(([True], ev_order[1:] != ev_order[:-1])))
    run_ids = ev_order[run_starts]
    where = np.minimum(np.searchsorted(order_ids, run_ids), len(order_ids) - 1)
    run_policy = np.where(order_ids[where] == run_ids, policy_ids[where], -1)
    present = _distinct(run_policy[run_policy >= 0])
    if len(present) == 0:
        return []
    if len(present) == 1 and (run_policy >= 0).all():
        groups = [(int(present[0]), slice(0, n))]
    else:
        # Group the events by policy with one stable (radix) sort of small policy codes:
        # the cost does not grow with the number of policies, and each order keeps its
        # events' order. Events of unknown orders get the code past the last policy.
        code = np.where(run_policy >= 0, np.searchsorted(present, run_policy), len(present))
        run_lengths = np.diff(np.append(run_starts, n))
        ev_code = np.repeat(
            code.astype(np.int16 if len(present) < 2**15 else np.int64), run_lengths
        )
        perm = np.argsort(ev_code, kind="stable")
        ev_order, at, kind, status = ev_order[perm], at[perm], kind[perm], status[perm]
        bounds = np.concatenate(([0], np.cumsum(np.bincount(ev_code, minlength=len(present)))))
        groups = [
            (int(pid), slice(int(bounds[i]), int(bounds[i + 1])))
            for i, pid in enumerate(present.tolist())
        ]
    batches: list[PolicyBatch] = []
    for pid, part in groups:
        prow, cal, pol = compiled_policy(session, pid)
        timelines = Timelines.from_columns(ev_order[part], at[part], kind[part], status[part])
        batches.append(PolicyBatch(prow, cal, pol, replay_many(cal, pol, timelines, now)))
    return batches


def _distinct(values: Int64Array) -> Int64Array:
    """Sorted distinct values; a bincount when they are small non-negative ids (policy
    ids), which costs one pass where ``np.unique`` sorts or hashes."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high < 1 << 20:
        return np.flatnonzero(np.bincount(values, minlength=high + 1)).astype(np.int64)
    return np.unique(values)


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


def sla_report(session: Session, order: WorkOrder, *, now: datetime) -> SlaReport | None:
    """Replay the order's stored timeline under its policy; None without a policy."""
    return sla_reports(session, [order], now=now)[order.id]


def sla_reports(
    session: Session, orders: Sequence[WorkOrder], *, now: datetime
) -> dict[int, SlaReport | None]:
    """SLA reports of many orders: timelines in one query, one replay per policy."""
    session.flush()  # events added in this transaction count
    out: dict[int, SlaReport | None] = {o.id: None for o in orders}
    tracked = sorted({(o.id, o.policy_id) for o in orders if o.policy_id is not None})
    if not tracked:
        return out
    ids = np.array([i for i, _ in tracked], dtype=np.int64)
    pids = np.array([p for _, p in tracked], dtype=np.int64)
    for batch in replay_batches(session, ids, pids, now=now):
        for i, oid in enumerate(batch.report.order_ids.tolist()):
            out[oid] = batch.report.report(i)
    return out


def replay_order(
    session: Session,
    policy_id: int | None,
    events: Sequence[TimelineEvent],
    *,
    now: datetime,
) -> SlaReport | None:
    """Replay a timeline held in memory (e.g. a new order's) under a policy; no event query."""
    if policy_id is None:
        return None
    _row, cal, pol = compiled_policy(session, policy_id)
    return replay(cal, pol, events, now=now)


@per_dialect
def timeline_texts(session: Session) -> Subquery:
    """One order's stored events (its id bound as ``order_id``) as a one-row subquery of
    two texts, ``event_ids`` and ``events``: the events' ids and packed values
    (:func:`_packed_event`), comma-separated, in one same order; nulls without events.

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
            joined(_packed_event(session)).label("events"),
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
                type=_TYPE_LIST[kind],
                status=None if status < 0 else _STATUS_LIST[status],
            )
        )
    return out


def stored_timeline(session: Session, order_id: int) -> list[TimelineEvent]:
    """An order's stored events as ``TimelineEvent`` values, in time order: what an order
    write reads beside the order (:func:`timeline_texts`), read on its own."""
    sub = timeline_texts(session)
    row = session.execute(select(sub.c.event_ids, sub.c.events), {"order_id": order_id}).one()
    return timeline_from_texts(row.event_ids, row.events)


def sla_json(report: SlaReport | None) -> dict[str, Any] | None:
    """The report exactly as ``touchpoint sla replay`` prints it."""
    return None if report is None else dict(report.to_json())


def sla_cache_values(report: SlaReport | None) -> dict[str, Any]:
    """The sweep/sort cache columns for a replay's report, as column values."""
    if report is None:
        return {"sla_next_escalation_at": None, "sla_breached": False}
    return {
        "sla_next_escalation_at": report.next_escalation_at,
        "sla_breached": any(
            t is not None and t.breached
            for t in (report.first_response, report.next_update, report.resolution)
        ),
    }


def refresh_sla_cache(order: WorkOrder, report: SlaReport | None) -> None:
    """Keep the sweep/sort cache columns in step with the replay."""
    for key, value in sla_cache_values(report).items():
        setattr(order, key, value)
