"""The KPI board's stored order facts (``work_order_kpi_facts``): how they are computed,
when a stored row may be trusted, and the desk clock's sweep that keeps them current.

A row holds an order's standing facts (``domain.kpi.StandingFacts``) for one version of
the order and for one digest of its SLA policy's and calendar's definitions. A write of
an order that changes anything moves its version (``storage.order_store.save_order``),
and the events, assignments and status changes the facts are made of are written with
such a save (``services.order_write.refresh_order`` stamps ``updated_at``), so a row at
the order's version describes the order as it is. Triggers on ``work_orders`` (revision
0016) list every order created or written since its row was (``work_order_kpi_changes``,
with the version written), whatever writes it; the sweep removes an order from the list
once it stored facts for that very version. An edit of a policy or calendar, through
the services or by a plain ``UPDATE``, changes the digest and so leaves every row of its
orders behind at once without touching them (a definition put back makes them current
again). Facts move with time only through rule 9, which the stored breach instants
answer for any instant.

Rows are written only by :func:`refresh_kpi_facts`, which the desk clock runs after each
escalation sweep, never by an order's write (which only lists the order, in the
database). The board (``services.kpi_tallies``) counts the rows of its period from one
index without reading the orders, takes back the rows of listed orders or outdated
digests, and replays those orders in chunks, so it is exact whatever the sweep has
caught up with; the sweep only makes it quick.

One limit: a write at the very instant of the order's last save that adds an event and
changes no column leaves the version where it was (``save_order`` has nothing to save),
so a row computed between the two writes would miss that event until the order's next
save. Servers read a clock that moves; tests with a frozen clock should move it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.kpi import (
    Assignment,
    OrderFacts,
    StandingFacts,
    standing_facts,
    was_transferred,
)
from touchpoint.domain.work_orders import Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.sla_clock import inline_constant, sla_reports
from touchpoint.storage.models import (
    AuditEntry,
    OrderKpiChange,
    OrderKpiFacts,
    SlaCalendarRow,
    SlaPolicyRow,
    WorkOrder,
    WorkOrderEvent,
)
from touchpoint.storage.writer_lock import writer_lock

__all__ = [
    "FACTS_CHUNK",
    "TallyCode",
    "current_facts",
    "load_orders",
    "order_standing_facts",
    "outdated_sla",
    "refresh_kpi_facts",
    "sla_stamps",
    "tally_code",
    "with_standing_facts",
]

#: Orders replayed and written per transaction by the sweep, and per query by the board.
FACTS_CHUNK: Final = 5000

#: A replay at the epoch: no due instant lies before it, so the reports carry only the
#: breaches of the orders' histories; rule 9's come from the stored breach instants.
_BEFORE_ANY_DUE: Final = datetime(1970, 1, 1, tzinfo=UTC)

_F = OrderKpiFacts
_C = OrderKpiChange


class TallyCode:
    """The layout of ``tally_code``: an order's facts in one integer, so that the board
    reads two columns per order. Bits 0-3 hold the yes/no facts, 4-6 the targets
    tracked and 7-9 those its history breached (three targets at most), then the
    minutes to first response plus one from bit 10 and to resolution plus one from
    bit 36 (0: none); the whole stays a positive signed 64-bit integer."""

    RESOLVED: Final = 1
    FIRST_CONTACT: Final = 2
    REOPENED: Final = 4
    COMPLAINT: Final = 8
    TRACKED_SHIFT: Final = 4
    BREACHED_SHIFT: Final = 7
    COUNT_MASK: Final = 0b111
    FIRST_RESPONSE_SHIFT: Final = 10
    RESOLUTION_SHIFT: Final = 36
    FIRST_RESPONSE_MASK: Final = (1 << (RESOLUTION_SHIFT - FIRST_RESPONSE_SHIFT)) - 1
    RESOLUTION_MASK: Final = (1 << (63 - RESOLUTION_SHIFT)) - 1


def tally_code(facts: OrderFacts) -> int:
    """The order's facts packed as :class:`TallyCode` lays them out."""
    t = TallyCode
    first_response = 0 if facts.first_response_minutes is None else facts.first_response_minutes + 1
    resolution = 0 if facts.resolution_minutes is None else facts.resolution_minutes + 1
    if not (
        0 <= first_response <= t.FIRST_RESPONSE_MASK
        and 0 <= resolution <= t.RESOLUTION_MASK
        and 0 <= facts.targets_breached <= facts.targets_tracked <= t.COUNT_MASK
    ):
        raise ValueError(f"order {facts.order_id}: facts out of the tally code's range: {facts}")
    return (
        t.RESOLVED * facts.resolved
        + t.FIRST_CONTACT * facts.first_contact_resolution
        + t.REOPENED * facts.reopened
        + t.COMPLAINT * facts.is_complaint
        + (facts.targets_tracked << t.TRACKED_SHIFT)
        + (facts.targets_breached << t.BREACHED_SHIFT)
        + (first_response << t.FIRST_RESPONSE_SHIFT)
        + (resolution << t.RESOLUTION_SHIFT)
    )


def _stamp(calendar: dict[str, Any], policy: dict[str, Any]) -> int:
    """A signed 64-bit digest of a calendar's and a policy's definitions."""
    text = json.dumps([calendar, policy], sort_keys=True, separators=(",", ":"))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def sla_stamps(session: Session) -> dict[int, int]:
    """Each SLA policy's digest of its own and its calendar's definitions, by policy id,
    as the session sees the rows (the replays of this session use the same rows)."""
    stamps: dict[int, int] = {}
    for pid, calendar_id in session.execute(select(SlaPolicyRow.id, SlaPolicyRow.calendar_id)):
        policy = session.get(SlaPolicyRow, pid)
        calendar = session.get(SlaCalendarRow, calendar_id)
        if policy is not None and calendar is not None:
            stamps[pid] = _stamp(calendar.definition, policy.definition)
    return stamps


def current_facts(stamps: dict[int, int]) -> ColumnElement[bool]:
    """Whether the joined facts row (``work_order_kpi_facts`` outer-joined to
    ``work_orders``) is current: there, computed for the order's version and for its
    policy's definitions as they stand (``stamps``: ``sla_stamps``). Null (not true)
    where the row is missing. Policy ids and digests are written into the SQL (bulk
    reads on SQLite would read bound values again on every row)."""
    same_sla = or_(
        WorkOrder.policy_id.is_(None),
        *(
            and_(WorkOrder.policy_id == inline_constant(pid), _F.sla_stamp == inline_constant(s))
            for pid, s in stamps.items()
        ),
    )
    return and_(_F.work_order_id.is_not(None), _F.order_version == WorkOrder.version, same_sla)


def outdated_sla(stamps: dict[int, int]) -> ColumnElement[bool]:
    """Whether a facts row was computed under other definitions of its policy and
    calendar than they have now (``stamps``: ``sla_stamps``), or under a policy that is
    gone. Its order is looked up among the ids a subquery of its own finds as a union of
    ranges of the index on (policy, digest), so that the few such rows are found without
    reading the others (no other condition on the rows can make the database read them
    by another index). The ranges are a ``UNION ALL`` of one statement each, not one
    ``OR``: with statistics (``ANALYZE``) SQLite reckons each range of an ``OR`` a share of
    its policy's rows, and their sum more than the index, which it then reads whole."""
    f = aliased(OrderKpiFacts)
    ranges: list[ColumnElement[bool]] = []
    below: int | None = None
    for pid in sorted(stamps):
        policy, stamp = f.policy_id == inline_constant(pid), inline_constant(stamps[pid])
        ranges += [
            and_(policy, f.sla_stamp < stamp),
            and_(policy, f.sla_stamp > stamp),
            and_(policy, f.sla_stamp.is_(None)),
            f.policy_id < pid if below is None else and_(f.policy_id > below, f.policy_id < pid),
        ]
        below = pid
    ranges.append(f.policy_id.is_not(None) if below is None else f.policy_id > below)
    return _F.work_order_id.in_(union_all(*(select(f.work_order_id).where(r) for r in ranges)))


def order_standing_facts(session: Session, orders: Sequence[WorkOrder]) -> dict[int, StandingFacts]:
    """The standing facts of each order by id: its SLA report replayed without rule 9,
    its customer's follow-up messages and whether it was transferred, each read for all
    of ``orders`` in one query."""
    reports = sla_reports(session, orders, now=_BEFORE_ANY_DUE)
    ids = [o.id for o in orders]
    follow = _customer_messages(session, ids)
    moves = _assignments(session, ids)
    return {
        o.id: standing_facts(
            o.id,
            is_complaint=WorkOrderType(o.type).is_complaint,
            resolved=WorkOrderStatus(o.status).is_done,
            reopen_count=o.reopen_count,
            transferred=was_transferred(o.owner_id, moves.get(o.id, [])),
            follow_ups=follow.get(o.id, 0),
            report=reports[o.id],
        )
        for o in orders
    }


def _customer_messages(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """How many customer messages each of the orders holds (orders without one are
    absent): a customer who has to write again was not helped at first contact."""
    if not ids:
        return {}
    rows = session.execute(
        select(WorkOrderEvent.work_order_id, func.count())
        .where(
            WorkOrderEvent.work_order_id.in_(ids),
            WorkOrderEvent.type == "customer_message",
        )
        .group_by(WorkOrderEvent.work_order_id)
    )
    return {int(oid): int(n) for oid, n in rows}


def _assignments(session: Session, ids: Sequence[int]) -> dict[int, list[Assignment]]:
    """The explicit assignments of each of the orders, oldest first, in one query.

    ``assign_work_order`` writes a timeline event only when a ``new`` order becomes
    ``assigned``, and that event names no assignee, so the assignments are read from the
    write's audit row (before/after snapshots of the order), fields picked out in SQL.
    """
    if not ids:
        return {}
    before, after = AuditEntry.before, AuditEntry.after
    rows = session.execute(
        select(
            AuditEntry.entity_id,
            before["assignee_id"].as_integer(),
            after["assignee_id"].as_integer(),
            before["team_id"].as_integer(),
            after["team_id"].as_integer(),
            before["tier"].as_string(),
            after["tier"].as_string(),
        )
        .where(
            AuditEntry.action == "work_order.assign",
            AuditEntry.entity == "work_order",
            AuditEntry.entity_id.in_([str(i) for i in ids]),
        )
        .order_by(AuditEntry.id)  # writes are serialised: ids follow the order's history
    )
    out: dict[int, list[Assignment]] = {}
    for oid, who_b, who_a, team_b, team_a, tier_b, tier_a in rows:
        out.setdefault(int(oid), []).append(
            Assignment(who_b, who_a, team_b, team_a, Tier(tier_b), Tier(tier_a))
        )
    return out


def _stale_ids(session: Session, stamps: dict[int, int], after: int, limit: int) -> list[int]:
    """Ids above ``after`` of the orders without current facts, ascending, at most
    ``limit``: those listed as changed and those of rows with an outdated digest."""
    listed = select(_C.work_order_id.label("id")).where(_C.work_order_id > after)
    outdated = select(_F.work_order_id).where(outdated_sla(stamps), _F.work_order_id > after)
    stmt = union(listed, outdated).order_by("id").limit(limit)
    return [int(i) for i in session.scalars(stmt)]


def load_orders(session: Session, ids: Sequence[int]) -> list[WorkOrder]:
    """The orders of ``ids`` as entities, by id."""
    return list(
        session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.id))
    )


def refresh_kpi_facts(session: Session, *, limit: int | None = None) -> int:
    """Compute and store the facts of every order without current ones (at most
    ``limit`` orders; None: all), :data:`FACTS_CHUNK` orders per transaction; returns
    how many were written.

    Each chunk is read and replayed in one transaction and written in a short one of its
    own, so the database's writer is held only for the writes (on SQLite under the
    writer lock that order writes queue on). The versions and digests
    a row is stamped with are read before the inputs it is computed from: a change in
    between leaves the row behind (replayed again), never ahead.
    """
    written, after = 0, 0
    while limit is None or written < limit:
        stamps = sla_stamps(session)
        take = FACTS_CHUNK if limit is None else min(FACTS_CHUNK, limit - written)
        ids = _stale_ids(session, stamps, after, take)
        if not ids:
            break
        orders = load_orders(session, ids)
        rows = [_row(o, f, stamps) for o, f in with_standing_facts(session, orders)]
        session.commit()  # ends the read; the write below is short
        _store(session, ids, rows)
        written += len(ids)
        after = ids[-1]
    return written


def _store(session: Session, ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
    """Replace the facts rows of ``ids`` by ``rows`` (the orders of ``ids`` without a
    row are gone) and take off the list of changes each order whose listed version is
    the one its new row was computed for; commit, queued with the order writes for the
    database's writer (``storage.writer_lock``) as a write unit is. An order written
    since it was read stays listed with its newer version."""
    lock = writer_lock(session.get_bind().engine)
    lock.acquire()
    try:
        session.execute(delete(_F).where(_F.work_order_id.in_(ids)))
        if rows:
            session.execute(insert(_F), rows)
        computed_for = (
            select(_F.order_version).where(_F.work_order_id == _C.work_order_id).scalar_subquery()
        )
        session.execute(delete(_C).where(_C.work_order_id.in_(ids), _C.version == computed_for))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        lock.release()


def with_standing_facts(
    session: Session, orders: Sequence[WorkOrder]
) -> Iterable[tuple[WorkOrder, StandingFacts]]:
    """Each order with its standing facts (:func:`order_standing_facts`)."""
    facts = order_standing_facts(session, orders)
    return ((o, facts[o.id]) for o in orders)


def _row(order: WorkOrder, standing: StandingFacts, stamps: dict[int, int]) -> dict[str, Any]:
    """The facts row of an order (breach instants by target are not needed: only how
    many have passed, so they are stored ascending in the three columns)."""
    f = standing.facts
    breach = [*standing.breach_at, None, None, None][:3]
    return {
        "work_order_id": order.id,
        "order_version": order.version,
        "sla_stamp": None if order.policy_id is None else stamps.get(order.policy_id),
        "created_at": order.created_at,
        "policy_id": order.policy_id,
        "team_id": order.team_id,
        "assignee_id": order.assignee_id,
        "owner_id": order.owner_id,
        "tally_code": tally_code(f),
        "is_complaint": f.is_complaint,
        "resolved": f.resolved,
        "reopened": f.reopened,
        "first_contact_resolution": f.first_contact_resolution,
        "first_response_minutes": f.first_response_minutes,
        "resolution_minutes": f.resolution_minutes,
        "targets_tracked": f.targets_tracked,
        "targets_breached": f.targets_breached,
        "first_response_breach_at": breach[0],
        "next_update_breach_at": breach[1],
        "resolution_breach_at": breach[2],
    }
