"""Compiled policies: calendars and policies parsed once per content, and the choice of a
new order's policy among the active ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, Text, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.sla import SlaPolicy
from touchpoint.domain.sla.vocabulary import Int64Array
from touchpoint.domain.sla_selection import SlaRule, select_policy
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.services.sla_clock.bulk import inline_constant
from touchpoint.storage.db import per_dialect
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow

__all__ = [
    "ChosenPolicy",
    "active_policies_column",
    "choose_compiled_policy",
    "compiled_from_text",
    "compiled_policy",
]

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
