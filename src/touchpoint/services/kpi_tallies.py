"""A period's KPI tallies by team or agent from the stored order facts
(``services.kpi_facts``), exact whatever the facts sweep has reached.

The facts rows of the period are counted without reading the orders: each row carries
its order's team, assignee and owner at the version it was computed for, and its facts
packed in ``tally_code``, so the one large read is two integer columns from one index,
sent as one text each (``sla_clock.fetch_int_columns``; on PostgreSQL the period's
halves side by side, :data:`READ_PARTS`) and counted by group in numpy:
sums by ``bincount``, the minutes as histograms, from which means and medians are exact
(a ``GROUP BY`` over a year of orders would sort a million rows on SQLite, once per
histogram; PostgreSQL's hash aggregates over three grouping sets took 1.7 times as long
as sending the text). Rule 9's breaches at the board's instant are added from the few
rows with a pending breach instant (a partial index).

Tallies of disjoint sets of orders add up and a subset's can be taken back: the rows of
orders listed as changed since their facts were written, or computed under an outdated
SLA digest, are read again (few, by their own indexes) and taken off, and those orders
(with the listed orders that have no row yet) are replayed ``chunk`` at a time, the
request's deadline checked before each chunk, and added.

The count (a statement per span) and the read of the stale rows are statements apart:
a facts sweep that commits between them (it writes only the rows of changed orders,
once a minute) can leave the orders it wrote counted by their former facts in that one
board; an order written between them is counted as it is after the write.
"""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.kpi import KpiTally
from touchpoint.domain.sla.vocabulary import Int64Array
from touchpoint.services.base import Actor
from touchpoint.services.kpi_facts import (
    FACTS_CHUNK,
    TallyCode,
    load_orders,
    outdated_sla,
    sla_stamps,
    with_standing_facts,
)
from touchpoint.services.order_reads import visible_to
from touchpoint.services.sla_clock import fetch_int_columns, inline_constant
from touchpoint.storage.deadline import check_deadline
from touchpoint.storage.kpi_facts import planned_for_bulk_read
from touchpoint.storage.models import OrderKpiChange, OrderKpiFacts, WorkOrder

__all__ = ["READ_PARTS", "period_tallies"]

_F = OrderKpiFacts
_C = OrderKpiChange
_T = TallyCode
_NO_GROUP: Final = -1  # an order of no team / no assignee
# Constants are written into the SQL: SQLite reads a bound value again on every row.
_ONE, _ZERO = inline_constant(1), inline_constant(0)
_BREACH_COLUMNS: Final = (
    _F.first_response_breach_at,
    _F.next_update_breach_at,
    _F.resolution_breach_at,
)
# Largest dense (group, minutes) table counted with one bincount; beyond it, np.unique.
_DENSE_CELLS: Final = 1 << 22
#: In how many spans of the period the facts rows are read side by side, per database.
#: PostgreSQL 15 runs the read's aggregate (``string_agg``) in one process whatever its
#: parallel workers; two spans on two connections use two of its cores. SQLite reads the
#: period whole (a request's statements run on the server's event loop).
READ_PARTS: Final[dict[str, int]] = {"postgresql": 2}


def period_tallies(
    session: Session,
    actor: Actor,
    group_by: str,
    *,
    created: tuple[datetime, datetime],
    at: datetime,
    chunk: int = FACTS_CHUNK,
) -> dict[int | None, KpiTally]:
    """The KPI tally of each group of the orders the actor sees created in
    ``[created[0], created[1])``, their facts as they stand at ``at``; ``group_by``
    names the order's column that groups them (``team_id``, ``assignee_id``)."""
    check_deadline()
    at_s = to_epoch_seconds(at, "at")
    group = func.coalesce(getattr(_F, group_by), inline_constant(_NO_GROUP))
    rows = _seen_in_period(actor, created, _F)
    parts = READ_PARTS.get(session.get_bind().dialect.name, 1)
    columns = _read_side_by_side(
        session,
        [
            select(group, _F.tally_code).where(*_seen_in_period(actor, part, _F))
            for part in _parts_of(created, parts)
        ],
    )
    tallies = _tallies(columns[:, 0], columns[:, 1])
    late = select(group, func.sum(_late(at_s))).where(*rows, _BREACH_COLUMNS[0] < at_s)
    for key, n in session.execute(late.group_by(group)):
        tallies.setdefault(_key(key), KpiTally()).sla_breaches += int(n)
    stale, replayed = _stale(session, _seen_in_period(actor, created, WorkOrder), group, rows, at_s)
    if stale:
        keys, codes, lates = np.array(stale, dtype=np.int64).T
        for key, tally in _tallies(keys, codes, lates).items():
            tallies.setdefault(key, KpiTally()).remove_tally(tally)
    for start in range(0, len(replayed), chunk):
        check_deadline()
        orders = load_orders(session, replayed[start : start + chunk])
        for order, standing in with_standing_facts(session, orders):
            tallies.setdefault(getattr(order, group_by), KpiTally()).add(standing.at(at_s))
    return {k: t for k, t in tallies.items() if t.orders > 0}


def _parts_of(period: tuple[datetime, datetime], n: int) -> list[tuple[datetime, datetime]]:
    """``period`` cut into ``n`` consecutive spans of equal length (together, the same
    instants: each ends where the next starts)."""
    start, end = period
    cuts = [start + (end - start) * i / n for i in range(1, n)]
    bounds = [start, *cuts, end]
    return list(itertools.pairwise(bounds))


def _read_side_by_side(session: Session, statements: list[Select[Any]]) -> Int64Array:
    """The rows of every statement (two integer columns; in any order), each read at
    the same time as the others: the first on the session's connection, every other on
    a connection of its own in a thread of its own, under the request's deadline (the
    thread runs in a copy of the request's context). Each read is planned as a bulk read
    (``storage.kpi_facts``)."""
    engine = session.get_bind().engine

    def apart(statement: Select[Any]) -> Int64Array:
        with Session(engine) as other, planned_for_bulk_read(other):
            return fetch_int_columns(other, statement, in_order=False)

    with ThreadPoolExecutor(max_workers=max(1, len(statements) - 1)) as pool:
        others = [pool.submit(copy_context().run, apart, st) for st in statements[1:]]
        with planned_for_bulk_read(session):
            first = fetch_int_columns(session, statements[0], in_order=False)
        return np.concatenate([first, *(other.result() for other in others)])


def _seen_in_period(
    actor: Actor, created: tuple[datetime, datetime], table: type[OrderKpiFacts | WorkOrder]
) -> list[ColumnElement[bool]]:
    """The conditions on an order's row or on its facts row (``table``) of the orders
    the actor sees created in ``[created[0], created[1])``."""
    visible = visible_to(actor, table.owner_id, table.assignee_id, table.team_id)
    return [
        table.created_at >= created[0],
        table.created_at < created[1],
        *([] if visible is None else [visible]),
    ]


def _late(at_s: int) -> ColumnElement[int]:
    """How many of a row's stored breach instants lie before ``at_s`` (rule 9)."""
    before = inline_constant(at_s)
    return sum(
        (case((column < before, _ONE), else_=_ZERO) for column in _BREACH_COLUMNS[1:]),
        start=case((_BREACH_COLUMNS[0] < before, _ONE), else_=_ZERO),
    )


def _key(key: int) -> int | None:
    """A group's id as the board keys it (None: no team / no assignee)."""
    return None if key == _NO_GROUP else int(key)


def _stale(
    session: Session,
    period: list[ColumnElement[bool]],
    group: ColumnElement[int],
    rows: list[ColumnElement[bool]],
    at_s: int,
) -> tuple[list[tuple[int, int, int]], list[int]]:
    """The period's facts rows that are not current, as (group, tally code, breaches
    after the history), to take back; and the ids of the orders to replay, ascending
    (``period``: the conditions on an order of being in the period and seen). A row is
    not current when its order is listed as changed or its digest is outdated; a listed
    order is replayed if it is in the period now, with or without a row. Read in one
    statement, so that both lists agree."""
    stamps = sla_stamps(session)
    in_rows, in_period = and_(*rows), and_(*period)
    has_row = _F.work_order_id.is_not(None)
    fields = (group, _F.tally_code, _late(at_s))
    listed = (
        select(
            WorkOrder.id,
            _ONE.label("listed"),
            case((in_period, _ONE), else_=_ZERO),
            case((has_row, _ONE), else_=_ZERO),
            *fields,
        )
        .select_from(WorkOrder)
        .outerjoin(_F, and_(_F.work_order_id == WorkOrder.id, in_rows))
        .where(WorkOrder.id.in_(select(_C.work_order_id)), or_(has_row, in_period))
    )
    outdated = select(_F.work_order_id, _ZERO, _ONE, _ONE, *fields).where(
        outdated_sla(stamps), in_rows
    )
    taken: list[tuple[int, int, int]] = []
    replayed: set[int] = set()
    seen: set[int] = set()
    for oid, _, replay, counted, key, code, late in session.execute(
        union_all(listed, outdated).order_by(literal_column("listed").desc())
    ):
        if oid in seen:
            continue  # listed and outdated: the listed order's own row decides
        seen.add(oid)
        if counted:
            taken.append((int(key), int(code), int(late)))
        if replay:
            replayed.add(int(oid))
    return taken, sorted(replayed)


def _tallies(
    keys: Int64Array, codes: Int64Array, late: Int64Array | None = None
) -> dict[int | None, KpiTally]:
    """The tallies by group (``keys``) of orders given by their tally codes and, when
    given, their breaches besides those of their history."""
    groups, index = _numbered(keys)
    n = len(groups)

    def per_group(values: Int64Array) -> list[int]:
        return [int(v) for v in np.bincount(index, weights=values, minlength=n)]

    resolved = (codes & _T.RESOLVED) != 0
    breached = (codes >> _T.BREACHED_SHIFT) & _T.COUNT_MASK
    counts = {
        "orders": [int(v) for v in np.bincount(index, minlength=n)],
        "resolved": per_group(resolved.astype(np.int64)),
        "first_contact_resolutions": per_group((codes & _T.FIRST_CONTACT) != 0),
        "reopened": per_group((codes & _T.REOPENED) != 0),
        "complaints": per_group((codes & _T.COMPLAINT) != 0),
        "sla_opportunities": per_group((codes >> _T.TRACKED_SHIFT) & _T.COUNT_MASK),
        "sla_breaches": per_group(breached if late is None else breached + late),
    }
    first_response = ((codes >> _T.FIRST_RESPONSE_SHIFT) & _T.FIRST_RESPONSE_MASK) - 1
    resolution = (codes >> _T.RESOLUTION_SHIFT) - 1
    fr_counts = _histograms(index, first_response, first_response >= 0, n)
    rs_counts = _histograms(index, resolution, resolved & (resolution >= 0), n)
    return {
        _key(key): KpiTally(
            **{name: values[g] for name, values in counts.items()},
            first_response_minutes=fr_counts[g],
            resolution_minutes=rs_counts[g],
        )
        for g, key in enumerate(groups.tolist())
    }


def _numbered(keys: Int64Array) -> tuple[Int64Array, Int64Array]:
    """The distinct keys, ascending, and each key's number among them: by counting when
    the keys are small ids (no sort of a million keys), else by ``np.unique``."""
    if len(keys) and keys.min() >= _NO_GROUP and keys.max() < _DENSE_CELLS:
        present = np.flatnonzero(np.bincount(keys - _NO_GROUP))
        number = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        number[present] = np.arange(len(present))
        return present + _NO_GROUP, number[keys - _NO_GROUP]
    return np.unique(keys, return_inverse=True)


def _histograms(
    index: Int64Array, minutes: Int64Array, counted: np.ndarray[Any, Any], n: int
) -> list[Counter[int]]:
    """Per group (``index``: each order's group number, of ``n``), how many of the
    ``counted`` orders took each number of ``minutes``."""
    out: list[Counter[int]] = [Counter() for _ in range(n)]
    if not counted.any():
        return out
    g, m = index[counted], minutes[counted]
    width = int(m.max()) + 1
    cells = g * width + m
    if n * width <= _DENSE_CELLS:
        table = np.bincount(cells, minlength=n * width)
        found = np.flatnonzero(table)
        tallied = table[found]
    else:
        found, tallied = np.unique(cells, return_counts=True)
    for cell, count in zip(found.tolist(), tallied.tolist(), strict=True):
        out[cell // width][cell % width] = count
    return out
