"""Work-order use cases: open, update, assign, transition, reply, return visit, queue.

Every write appends the matching timeline event (issue 6's types), replays the SLA
clock to refresh the order's cached escalation time, and records one audit row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    Update,
    bindparam,
    cast,
    false,
    insert,
    inspect,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError, RuleViolation
from touchpoint.domain.recovery import JusticeScores
from touchpoint.domain.sla import EventType, OrderStatus, SlaReport, TimelineEvent, replay
from touchpoint.domain.work_orders import (
    Priority,
    Tier,
    WorkOrderState,
    WorkOrderStatus,
    WorkOrderType,
)
from touchpoint.services.base import (
    Actor,
    AfterCommit,
    WriteUnit,
    check_version,
    require,
    snapshot,
    snapshot_values,
    webhooks_column,
    write,
    writing,
)
from touchpoint.services.errors import NotFoundError
from touchpoint.services.sla_clock import (
    ChosenPolicy,
    active_policies_column,
    choose_compiled_policy,
    compiled_from_text,
    load_timeline,
    refresh_sla_cache,
    replay_order,
    sla_cache_values,
    sla_json,
    sla_report,
    sla_reports,
    timeline_from_texts,
    timeline_texts,
)
from touchpoint.storage.db import per_dialect
from touchpoint.storage.direct import as_loaded, execute_write, fetch_first, model_columns
from touchpoint.storage.models import (
    Contact,
    Customer,
    ReturnVisit,
    SlaCalendarRow,
    SlaPolicyRow,
    Team,
    User,
    WorkOrder,
    WorkOrderEvent,
)

__all__ = [
    "MessageKind",
    "OpeningContact",
    "WorkOrderChanges",
    "WorkOrderDetail",
    "WorkOrderDraft",
    "add_event",
    "assign_work_order",
    "get_work_order",
    "list_work_orders",
    "open_work_order",
    "queue",
    "record_return_visit",
    "reply",
    "state_of",
    "transition_work_order",
    "update_work_order",
    "visible_orders",
]


class MessageKind(StrEnum):
    """What a reply on an order is, in the clock's vocabulary."""

    AGENT_REPLY = "agent_reply"
    CUSTOMER_MESSAGE = "customer_message"
    INTERNAL_NOTE = "internal_note"

    @property
    def customer_sees(self) -> bool:
        """Internal notes are hidden from the customer."""
        return self is not MessageKind.INTERNAL_NOTE


@dataclass(frozen=True, slots=True)
class WorkOrderDraft:
    """Fields of a new work order; ``owner_id`` defaults to the acting agent."""

    customer_id: int
    type: WorkOrderType
    channel: Channel
    subject: str
    priority: Priority = Priority.NORMAL
    description: str = ""
    tier: Tier = Tier.L1
    team_id: int | None = None
    assignee_id: int | None = None
    owner_id: int | None = None
    policy_id: int | None = None
    incident_id: int | None = None
    hostile: bool = False


@dataclass(frozen=True, slots=True)
class OpeningContact:
    """The contact that opens an order, for the customer's contact card (DOMAIN §1).

    It is stored as a contact linked to the order, on the order's channel, with the
    outcome ``order_opened``, and *without* a timeline event: the order's creation is
    that contact, so a ``customer_message`` here would count as a follow-up and spoil
    first-contact resolution.
    """

    touchpoint: str = ""
    summary: str = ""
    direction: ContactDirection = ContactDirection.INBOUND


@dataclass(frozen=True, slots=True)
class WorkOrderChanges:
    """Editable fields; None leaves a field unchanged."""

    subject: str | None = None
    description: str | None = None
    priority: Priority | None = None
    team_id: int | None = None
    policy_id: int | None = None
    hostile: bool | None = None


@dataclass(frozen=True, slots=True)
class WorkOrderDetail:
    """An order with its SLA report and, on demand, timeline."""

    order: WorkOrder
    report: SlaReport | None
    events: list[WorkOrderEvent] = field(default_factory=list)

    @property
    def sla(self) -> dict[str, Any] | None:
        """The SLA report as ``sla replay`` prints it (None without a policy)."""
        return sla_json(self.report)


def state_of(order: WorkOrder) -> WorkOrderState:
    """The domain state of a stored order."""
    return WorkOrderState(
        type=WorkOrderType(order.type),
        status=WorkOrderStatus(order.status),
        owner_id=order.owner_id,
        assignee_id=order.assignee_id,
        tier=Tier(order.tier),
        has_return_visit=order.has_return_visit,
        reopen_count=order.reopen_count,
    )


def _apply_state(order: WorkOrder, state: WorkOrderState) -> None:
    if state.owner_id != order.owner_id:
        raise RuntimeError("first-contact owner must never change")
    order.status = state.status.value
    order.assignee_id = state.assignee_id
    order.tier = state.tier.value
    order.has_return_visit = state.has_return_visit
    order.reopen_count = state.reopen_count


def visible_orders(actor: Actor) -> Select[WorkOrder]:
    """Orders the actor may see: agents see their teams' queues and their own orders."""
    stmt = select(WorkOrder)
    if not actor.role.sees_all_queues:
        conds = [WorkOrder.owner_id == actor.user_id, WorkOrder.assignee_id == actor.user_id]
        if actor.team_ids:
            conds.append(WorkOrder.team_id.in_(sorted(actor.team_ids)))
        stmt = stmt.where(or_(*conds)) if actor.user_id is not None else stmt.where(false())
    return stmt


# An order, and a policy, each with the policy's and calendar's definitions as stored
# text, in one query (parsed by ``compiled_from_text``, cached by that text: no ORM
# objects for them, and no further query before the replay).
_CALENDAR_TEXT = cast(SlaCalendarRow.definition, Text).label("calendar_definition")
_POLICY_TEXT = cast(SlaPolicyRow.definition, Text).label("policy_definition")
_ORDER = select(WorkOrder).where(WorkOrder.id == bindparam("order_id"))
_POLICY_TEXTS = (
    select(_CALENDAR_TEXT, _POLICY_TEXT)
    .select_from(SlaPolicyRow)
    .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
    .where(SlaPolicyRow.id == bindparam("policy_id"))
)
# What opening an order reads first, in one round trip: the customer, whether the team
# exists (``team_id`` null when it does not, or when none is given), the active webhooks
# and the active SLA policies (to choose one); one statement per dialect.
_OpeningRead = Select[int, int | None, str, int | None, str, str]


@per_dialect
def _opening_read(session: Session) -> _OpeningRead:
    team = select(Team.id).where(Team.id == bindparam("team_id")).scalar_subquery()
    return select(
        Customer.id,
        Customer.merged_into_id,
        Customer.customer_class,
        team.label("team_id"),
        webhooks_column(session),
        active_policies_column(session),
    ).where(Customer.id == bindparam("customer_id"))


_INSERT_ORDER = insert(WorkOrder)
_INSERT_EVENT = insert(WorkOrderEvent).inline()  # no RETURNING: the id is not read


@dataclass(frozen=True, slots=True)
class _Loaded:
    """An order as a write loads it: its policy's and calendar's definitions as stored
    (None without a policy or calendar) and its stored timeline, for the write's replay
    (``_refresh``)."""

    order: WorkOrder
    policy_id: int | None
    definitions: tuple[str, str] | None  # calendar, policy
    timeline: list[TimelineEvent]


# What a write reads of its order, in one query and one row per dialect: the order's
# columns (``model_columns``), its policy's and calendar's definitions, its events as
# two texts (``timeline_texts``) and the active webhooks (``webhooks_column``). A query
# each for the events and the webhooks would cost two round trips more per write. Core
# columns, not the ``WorkOrder`` entity: the row goes to the driver directly
# (``fetch_first``) and the object is built from it (``as_loaded``), ~60 µs less than
# the ORM's query.
_ORDER_KEYS, _ORDER_COLUMNS = model_columns(WorkOrder)
_WriteLoad = Select[*tuple[Any, ...]]


@per_dialect
def _write_load(session: Session) -> _WriteLoad:
    timeline = timeline_texts(session)
    return (
        select(
            *_ORDER_COLUMNS,
            _CALENDAR_TEXT,
            _POLICY_TEXT,
            timeline.c.event_ids,
            timeline.c.events,
            webhooks_column(session),
        )
        .select_from(WorkOrder)
        .outerjoin(SlaPolicyRow, SlaPolicyRow.id == WorkOrder.policy_id)
        .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
        .join(timeline, true())  # one row, always (an aggregate)
        .where(WorkOrder.id == bindparam("order_id"))
    )


def _load(session: Session, actor: Actor, order_id: int, unit: WriteUnit) -> _Loaded:
    """The order ``unit`` changes (NotFoundError unless the actor may see it), with what
    its replay needs, and the active webhooks for the unit. Events this write adds
    (``add_event``) are counted from here."""
    row = fetch_first(unit.connection, _write_load(session), {"order_id": order_id})
    if row is None:
        raise NotFoundError("work_order", order_id)
    columns = len(_ORDER_KEYS)
    order = as_loaded(session, WorkOrder, dict(zip(_ORDER_KEYS, row[:columns], strict=True)))
    if not _can_see(actor, order):
        raise NotFoundError("work_order", order_id)
    calendar_text, policy_text, event_ids, events, webhooks = row[columns:]
    unit.use_webhooks(webhooks)
    texts = None if calendar_text is None or policy_text is None else (calendar_text, policy_text)
    _unsaved_events(session).clear()  # an earlier write's, committed or rolled back
    return _Loaded(order, order.policy_id, texts, timeline_from_texts(event_ids, events))


@contextmanager
def _order_write(
    session: Session,
    actor: Actor,
    action: str,
    order_id: int,
    *,
    version: int | None,
    now: datetime,
    after_commit: AfterCommit | None,
) -> Iterator[tuple[WriteUnit, _Loaded]]:
    """The write unit of a change to one order: the order loaded (``_load``, with the
    webhooks for the unit), its ``version`` checked (None: not checked).

    Given a version, the unit takes SQLite's writer lock at its first write, not before
    its reads (``write``'s ``lock_at_first_write``): that first write is the order's
    UPDATE, which checks that the version is still the one read (``_save_order``)."""
    with write(
        session,
        actor,
        action,
        now=now,
        after_commit=after_commit,
        read_webhooks=False,
        lock_at_first_write=version is not None,
    ) as unit:
        loaded = _load(session, actor, order_id, unit)
        check_version("work_order", order_id, loaded.order.version, version)
        yield unit, loaded


def _load_visible(session: Session, actor: Actor, order_id: int) -> WorkOrder:
    """The order if the actor may see it (NotFoundError otherwise)."""
    row = session.execute(_ORDER, {"order_id": order_id}).first()
    if row is None or not _can_see(actor, row[0]):
        raise NotFoundError("work_order", order_id)
    return row[0]


# The sweep's memory of the steps it took (migration 0002): kept in audit snapshots,
# left out of webhook payloads, which carry the order as subscribers know it.
_SWEEP_MEMORY = frozenset(
    {
        "sla_step_due_first_response",
        "sla_step_due_next_update",
        "sla_step_due_resolution",
        "sla_steps_taken",
    }
)


def _published(order: dict[str, Any]) -> dict[str, Any]:
    """An order's snapshot as webhook payloads carry it."""
    return {key: value for key, value in order.items() if key not in _SWEEP_MEMORY}


def _can_see(actor: Actor, order: WorkOrder) -> bool:
    if actor.role.sees_all_queues:
        return True
    return (
        order.owner_id == actor.user_id
        or order.assignee_id == actor.user_id
        or (order.team_id is not None and order.team_id in actor.team_ids)
    )


def add_event(
    session: Session,
    order: WorkOrder,
    type: str,
    *,
    at: datetime,
    actor_id: int | None,
    status: str | None = None,
    body: str = "",
    channel: str | None = None,
    tag: str = "",
    timeline: Sequence[TimelineEvent] | None = None,
) -> WorkOrderEvent:
    """Append one timeline event; events never go back in time.

    ``timeline``: the order's stored events as its write loaded them (``_load``);
    without it the last one is queried. Either way the order is not flushed for it: its
    write saves it in one UPDATE (``_save_order``), which an autoflush here would have
    made two (each bumping the version). Events added but not yet flushed count too.
    """
    pending = [
        e.at for e in _unsaved_events(session) if e.work_order_id == order.id and inspect(e).pending
    ]
    stored: datetime | None
    if timeline is not None:
        stored = max((e.at for e in timeline), default=None)
    else:
        with session.no_autoflush:
            stored = session.scalar(
                select(WorkOrderEvent.at)
                .where(WorkOrderEvent.work_order_id == order.id)
                .order_by(WorkOrderEvent.at.desc(), WorkOrderEvent.id.desc())
                .limit(1)
            )
    last = max((t for t in (stored, *pending) if t is not None), default=None)
    if last is not None and at < last:
        raise DomainError(
            f"at: {at.isoformat()} is before the order's last event ({last.isoformat()})"
        )
    ev = WorkOrderEvent(
        work_order_id=order.id,
        at=at,
        type=type,
        status=status,
        actor_id=actor_id,
        body=body,
        channel=channel,
        tag=tag,
    )
    session.add(ev)
    _unsaved_events(session).append(ev)
    return ev


_UNSAVED = "touchpoint.unsaved_events"


def _unsaved_events(session: Session) -> list[WorkOrderEvent]:
    """Events added since a write last loaded an order (``_load``), in the order they were
    added (``session.new`` is a set, which would lose the order of events at the same
    instant, and forgets them once flushed)."""
    events: list[WorkOrderEvent] = session.info.setdefault(_UNSAVED, [])
    return events


def _refresh(unit: WriteUnit, loaded: _Loaded) -> SlaReport | None:
    """Replay the order (its events as loaded plus those this write added) and set its
    SLA cache.

    Replaying before the flush sends the order's changes and its cache in one UPDATE.
    """
    session, now, order = unit.session, unit.now, loaded.order
    timeline = loaded.timeline + [
        TimelineEvent(
            at=e.at,
            type=EventType(e.type),
            status=OrderStatus(e.status) if e.status is not None else None,
        )
        for e in _unsaved_events(session)
        if e.work_order_id == order.id
    ]
    if loaded.definitions is not None and loaded.policy_id == order.policy_id:
        # The policy read with the order (unless this write changed it).
        calendar, policy = compiled_from_text(*loaded.definitions)
        report: SlaReport | None = replay(calendar, policy, timeline, now=now)
    else:
        with session.no_autoflush:  # loading the policy must not flush the order half-done
            report = replay_order(session, order.policy_id, timeline, now=now)
    refresh_sla_cache(order, report)
    order.updated_at = now
    _save_order(unit, order)  # audits see the new version
    return report


def _close_order_write(
    unit: WriteUnit,
    loaded: _Loaded,
    before: dict[str, Any],
    event: str,
    *,
    audited: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> SlaReport | None:
    """The end of a change to one order: replay and save it (``_refresh``), its audit row
    (``before``, and after with ``audited`` beside the order) and ``event`` with the order
    as subscribers know it (and ``payload``); the report."""
    order = loaded.order
    report = _refresh(unit, loaded)
    after = snapshot(order)
    unit.audit(
        "work_order", order.id, before=before, after=after if audited is None else after | audited
    )
    unit.notify(event, {"work_order": _published(after), **(payload or {})})
    return report


# One UPDATE per set of changed columns (a write changes a few: the cache, updated_at
# and its own), keyed by their names.
_ORDER_UPDATES: dict[tuple[str, ...], Update] = {}


def _save_order(unit: WriteUnit, order: WorkOrder) -> None:
    """Send the order's changed columns in one Core UPDATE that checks and bumps its
    version, and mark them saved: what the ORM's flush does for it (``StaleDataError``
    when another write moved the version first), for ~90 µs less per write. Only changed
    columns are written, as by the ORM: the sweep updates its memory columns without
    a version bump, and a write must not put back what it loaded of them. With nothing
    changed, the version is still checked (an UPDATE that sets nothing new): a unit that
    read before taking the writer lock (``_order_write``) must not write on a stale read.
    """
    state = inspect(order)
    touched = state.committed_state
    changed = tuple(sorted(k for k, old in touched.items() if getattr(order, k) != old))
    version = order.version
    stmt = _ORDER_UPDATES.get(changed)
    if stmt is None:
        stmt = (
            update(WorkOrder)
            .where(WorkOrder.id == bindparam("_id"), WorkOrder.version == bindparam("_version"))
            .values({**{key: bindparam(key) for key in changed}, "version": bindparam("_next")})
        )
        _ORDER_UPDATES[changed] = stmt
    params = {key: getattr(order, key) for key in changed}
    following = version + 1 if changed else version
    params.update(_id=order.id, _version=version, _next=following)
    connection = unit.connection
    writing(connection)  # the unit's first write, if it read before taking the writer lock
    if execute_write(connection, stmt, params).rowcount != 1:
        raise StaleDataError(f"work_order {order.id}: version {version} is no longer current")
    # Saved (or set to what they were), with its new version: mark the order clean, as
    # the ORM does after its own UPDATE, so that no flush goes over it again (SQLAlchemy
    # has no public call for this; set_committed_value per column would leave it
    # flagged as modified).
    state.dict["version"] = following
    state._commit_all(state.dict, unit.session.identity_map)


def _check_team(session: Session, team_id: int) -> None:
    if session.get(Team, team_id) is None:
        raise DomainError(f"team_id: team {team_id} does not exist")


def _check_user(session: Session, user_id: int | None, field_name: str) -> None:
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise DomainError(f"{field_name}: user {user_id} does not exist or is inactive")


def open_work_order(
    session: Session,
    actor: Actor,
    draft: WorkOrderDraft,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
    opening_contact: OpeningContact | None = None,
) -> WorkOrderDetail:
    """Open an order; the acting agent becomes its first-contact owner.

    With ``opening_contact`` the call (or visit, chat…) that opened the order is also
    put on the customer's contact card, in the same transaction and audit row.
    """
    require(actor, actor.role.can_handle_orders, "open work orders")
    owner_id = draft.owner_id if draft.owner_id is not None else actor.user_id
    if owner_id is None:
        raise DomainError("owner_id: the system must name the first-contact owner")
    subject = draft.subject.strip()
    if not subject:
        raise DomainError("subject: must not be empty")
    with write(
        session, actor, "work_order.open", now=now, after_commit=after_commit, read_webhooks=False
    ) as unit:
        # On the connection: plain columns, no ORM objects to load, nothing to autoflush.
        opening = fetch_first(
            unit.connection,
            _opening_read(session),
            {"customer_id": draft.customer_id, "team_id": draft.team_id},
        )
        if opening is None:
            raise DomainError(f"customer_id: customer {draft.customer_id} does not exist")
        customer_id, merged_into_id, customer_class, team_id, webhooks, policies = opening
        unit.use_webhooks(webhooks)
        if merged_into_id is not None:
            raise DomainError(
                f"customer_id: customer {customer_id} was merged into {merged_into_id}"
            )
        if owner_id != actor.user_id:  # the acting user was checked when authenticated
            _check_user(session, owner_id, "owner_id")
        _check_user(session, draft.assignee_id, "assignee_id")
        if draft.team_id is not None and team_id is None:
            raise DomainError(f"team_id: team {draft.team_id} does not exist")
        policy_id = draft.policy_id
        chosen: ChosenPolicy | None = None
        if policy_id is not None:
            query = {"policy_id": policy_id}
            texts = unit.connection.execute(_POLICY_TEXTS, query).first()
            if texts is None:
                raise DomainError(f"policy_id: SLA policy {policy_id} does not exist")
            calendar_text, policy_text = texts
            if calendar_text is not None and policy_text is not None:
                chosen = ChosenPolicy(policy_id, *compiled_from_text(calendar_text, policy_text))
        else:
            chosen = choose_compiled_policy(
                policies,
                type=draft.type,
                priority=draft.priority,
                customer_class=CustomerClass(customer_class),
                channel=draft.channel,
            )
            policy_id = None if chosen is None else chosen.policy_id
        state = WorkOrderState.open(
            draft.type, owner_id, assignee_id=draft.assignee_id, tier=draft.tier
        )
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "type": draft.type.value,
            "channel": draft.channel.value,
            "priority": draft.priority.value,
            "tier": state.tier.value,
            "status": state.status.value,
            "subject": subject,
            "description": draft.description,
            "owner_id": owner_id,
            "assignee_id": state.assignee_id,
            "team_id": draft.team_id,
            "policy_id": policy_id,
            "incident_id": draft.incident_id,
            "hostile": draft.hostile,
            "reopen_count": 0,
            "has_return_visit": False,
            "created_at": now,
            "updated_at": now,
            "resolved_at": None,
            "closed_at": None,
            "sla_step_due_first_response": None,
            "sla_step_due_next_update": None,
            "sla_step_due_resolution": None,
            "sla_steps_taken": 0,
            "version": 1,
        }
        # A new order's timeline is its creation: replay it in memory, so the order is
        # inserted once with its SLA cache (no event query, no second UPDATE).
        created = TimelineEvent(at=now, type=EventType.CREATED, status=state.status)
        if chosen is not None:  # parsed as read above, no policy row needed
            report: SlaReport | None = replay(chosen.calendar, chosen.policy, [created], now=now)
        else:  # no policy (or, for a given one, no calendar: replay_order says so)
            report = replay_order(session, policy_id, [created], now=now)
        values.update(sla_cache_values(report))
        # Core, not the ORM's unit of work (which would track, flush and refresh it): the
        # row is inserted once; its object is built after the commit (below). Its audit
        # snapshot is taken from the values before the INSERT: on SQLite the file's one
        # write lock is held from the first write to the commit, and another process's
        # writer waits for it, so as little as possible runs in between.
        after = snapshot_values(WorkOrder, {"id": None, **values})
        conn = unit.connection
        order_id = execute_write(conn, _INSERT_ORDER, values).lastrowid
        if order_id is None:  # pragma: no cover - both dialects report it
            raise RuntimeError("work_orders: the database returned no id")
        values["id"] = after["id"] = order_id
        execute_write(
            conn,
            _INSERT_EVENT,
            {
                "work_order_id": order_id,
                "at": now,
                "type": EventType.CREATED.value,
                "status": values["status"],
                "actor_id": actor.user_id,
                "body": "",
                "channel": None,
                "tag": "",
            },
        )
        audited = after
        if opening_contact is not None:
            contact = Contact(
                customer_id=customer_id,
                channel=draft.channel.value,
                direction=opening_contact.direction.value,
                touchpoint=opening_contact.touchpoint,
                agent_id=actor.user_id,
                outcome=ContactOutcome.ORDER_OPENED.value,
                summary=(opening_contact.summary or subject)[:2000],
                hostile=draft.hostile,
                work_order_id=order_id,
                incident_id=draft.incident_id,
                at=now,
            )
            session.add(contact)
            session.flush()
            audited = {**after, "opening_contact": snapshot(contact)}
        unit.audit("work_order", order_id, before=None, after=audited)
        unit.notify("work_order.opened", {"work_order": _published(after)})
    # The committed row's object, in the session as if just loaded (no query).
    return WorkOrderDetail(as_loaded(session, WorkOrder, values), report)


def update_work_order(
    session: Session,
    actor: Actor,
    order_id: int,
    changes: WorkOrderChanges,
    *,
    version: int,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> WorkOrderDetail:
    """Edit subject, description, priority, team, policy or the hostile flag."""
    require(actor, actor.role.can_handle_orders, "edit work orders")
    with _order_write(
        session,
        actor,
        "work_order.update",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (unit, loaded):
        order = loaded.order
        before = snapshot(order)
        # Checked before the order changes: a lookup of a changed order would autoflush
        # it (an UPDATE of its own before the write's, and a second version).
        if changes.subject is not None and not changes.subject.strip():
            raise DomainError("subject: must not be empty")
        if changes.team_id is not None:
            _check_team(session, changes.team_id)
        if changes.policy_id is not None and session.get(SlaPolicyRow, changes.policy_id) is None:
            raise DomainError(f"policy_id: SLA policy {changes.policy_id} does not exist")
        if changes.subject is not None:
            order.subject = changes.subject.strip()
        if changes.description is not None:
            order.description = changes.description
        if changes.priority is not None:
            order.priority = changes.priority.value
        if changes.team_id is not None:
            order.team_id = changes.team_id
        if changes.policy_id is not None:
            order.policy_id = changes.policy_id
        if changes.hostile is not None:
            order.hostile = changes.hostile
        report = _close_order_write(unit, loaded, before, "work_order.updated")
    return WorkOrderDetail(order, report)


def assign_work_order(
    session: Session,
    actor: Actor,
    order_id: int,
    assignee_id: int,
    *,
    version: int,
    now: datetime,
    tier: Tier | None = None,
    team_id: int | None = None,
    after_commit: AfterCommit | None = None,
) -> WorkOrderDetail:
    """Transfer the order (电子工单流转); the first-contact owner stays accountable.

    The tier only goes up (L1 → L2 → expert): a lower ``tier`` raises ``RuleViolation``.
    """
    require(actor, actor.role.can_handle_orders, "assign work orders")
    with _order_write(
        session,
        actor,
        "work_order.assign",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (unit, loaded):
        order = loaded.order
        _check_user(session, assignee_id, "assignee_id")
        before = snapshot(order)  # before the team changes, so the audit shows the move
        old = state_of(order)
        new = old.assign(assignee_id, tier=tier)  # the domain refuses a lower tier
        if team_id is not None:
            _check_team(session, team_id)
            order.team_id = team_id
        _apply_state(order, new)
        if new.status != old.status:
            add_event(
                session,
                order,
                "status",
                at=now,
                actor_id=actor.user_id,
                status=new.status.value,
                timeline=loaded.timeline,
            )
        report = _close_order_write(unit, loaded, before, "work_order.assigned")
    return WorkOrderDetail(order, report)


def _transition(
    session: Session,
    actor: Actor,
    order: WorkOrder,
    to: WorkOrderStatus,
    now: datetime,
    note: str,
    *,
    timeline: Sequence[TimelineEvent] | None = None,
) -> None:
    actor_id = actor.user_id if actor.user_id is not None else order.owner_id
    new = state_of(order).transition(to, actor_id=actor_id)
    _apply_state(order, new)
    if to is WorkOrderStatus.RESOLVED:
        order.resolved_at = now
    if to is WorkOrderStatus.CLOSED:
        order.closed_at = now
    if not to.is_done:
        order.resolved_at = None
        order.closed_at = None
    add_event(
        session,
        order,
        "status",
        at=now,
        actor_id=actor.user_id,
        status=to.value,
        body=note,
        timeline=timeline,
    )


def transition_work_order(
    session: Session,
    actor: Actor,
    order_id: int,
    to: WorkOrderStatus,
    *,
    version: int,
    now: datetime,
    note: str = "",
    after_commit: AfterCommit | None = None,
) -> WorkOrderDetail:
    """Move the order to ``to`` under the state machine's rules (reopen included)."""
    require(actor, actor.role.can_handle_orders, "change work-order status")
    with _order_write(
        session,
        actor,
        "work_order.transition",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (u, loaded):
        order = loaded.order
        before = snapshot(order)
        reopen = state_of(order).is_reopen(to)
        _transition(session, actor, order, to, now, note, timeline=loaded.timeline)
        event = "work_order.reopened" if reopen else f"work_order.{to.value}"
        report = _close_order_write(u, loaded, before, event, payload={"from": before["status"]})
    return WorkOrderDetail(order, report)


def reply(
    session: Session,
    actor: Actor,
    order_id: int,
    kind: MessageKind,
    body: str,
    *,
    now: datetime,
    channel: Channel | None = None,
    version: int | None = None,
    hostile: bool = False,
    after_commit: AfterCommit | None = None,
) -> WorkOrderDetail:
    """Add an agent reply, a customer message or an internal note to the timeline.

    Replies and customer messages are contacts: they also go on the customer's
    contact card, on ``channel`` (default: the order's channel).
    """
    require(actor, actor.role.can_handle_orders, "write on work orders")
    if not body.strip():
        raise DomainError("body: must not be empty")
    with _order_write(
        session,
        actor,
        f"work_order.{kind.value}",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (u, loaded):
        order = loaded.order
        ch = (channel or Channel(order.channel)).value
        ev = add_event(
            session,
            order,
            kind.value,
            at=now,
            actor_id=actor.user_id,
            body=body,
            channel=ch,
            timeline=loaded.timeline,
        )
        if kind.customer_sees:
            inbound = kind is MessageKind.CUSTOMER_MESSAGE
            session.add(
                Contact(
                    customer_id=order.customer_id,
                    channel=ch,
                    direction=(
                        ContactDirection.INBOUND if inbound else ContactDirection.OUTBOUND
                    ).value,
                    touchpoint="work_order",
                    agent_id=actor.user_id,
                    outcome=ContactOutcome.ORDER_UPDATED.value,
                    summary=body[:2000],
                    hostile=hostile,
                    work_order_id=order.id,
                    at=now,
                )
            )
        if hostile:
            order.hostile = True
        report = _refresh(u, loaded)
        session.flush()
        u.audit(
            "work_order",
            order.id,
            before=None,
            after={"event_id": ev.id, "type": kind.value, "channel": ch, "body": body},
        )
        if kind.customer_sees:
            u.notify(f"work_order.{kind.value}", {"work_order_id": order.id, "body": body})
    return WorkOrderDetail(order, report)


def record_return_visit(
    session: Session,
    actor: Actor,
    order_id: int,
    *,
    satisfied: bool,
    now: datetime,
    justice: JusticeScores | None = None,
    note: str = "",
    close: bool = False,
    version: int | None = None,
    after_commit: AfterCommit | None = None,
) -> WorkOrderDetail:
    """Record the return visit (回访) of a resolved order, optionally closing it.

    Complaints need the perceived-justice scores (outcome, process, treatment).
    """
    require(actor, actor.role.can_handle_orders, "record return visits")
    if actor.user_id is None:
        raise DomainError("agent: a return visit is made by a user")
    with _order_write(
        session,
        actor,
        "work_order.return_visit",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (u, loaded):
        order = loaded.order
        before = snapshot(order)
        if WorkOrderType(order.type).is_complaint and justice is None:
            raise RuleViolation(
                "justice: a complaint's return visit records outcome, process and treatment justice"
            )
        _apply_state(order, state_of(order).with_return_visit())
        visit = ReturnVisit(
            work_order_id=order.id,
            agent_id=actor.user_id,
            at=now,
            satisfied=satisfied,
            outcome_justice=justice.outcome if justice else None,
            process_justice=justice.process if justice else None,
            treatment_justice=justice.treatment if justice else None,
            note=note,
        )
        session.add(visit)
        session.add(
            Contact(
                customer_id=order.customer_id,
                channel=Channel.HOTLINE.value,
                direction=ContactDirection.OUTBOUND.value,
                touchpoint="return_visit",
                agent_id=actor.user_id,
                outcome=ContactOutcome.ANSWERED.value,
                summary=note[:2000],
                work_order_id=order.id,
                at=now,
            )
        )
        add_event(
            session,
            order,
            "internal_note",
            at=now,
            actor_id=actor.user_id,
            body=note,
            tag="return_visit",
            timeline=loaded.timeline,
        )
        if close:
            _transition(
                session,
                actor,
                order,
                WorkOrderStatus.CLOSED,
                now,
                "closed after return visit",
                timeline=loaded.timeline,
            )
        report = _close_order_write(
            u, loaded, before, "work_order.return_visit", audited={"return_visit": snapshot(visit)}
        )
    return WorkOrderDetail(order, report)


def get_work_order(
    session: Session, actor: Actor, order_id: int, *, now: datetime, with_events: bool = True
) -> WorkOrderDetail:
    """One order with its live SLA report and timeline."""
    order = _load_visible(session, actor, order_id)
    events = load_timeline(session, order.id) if with_events else []
    report = sla_report(session, order, now=now)
    return WorkOrderDetail(order, report, events)


def list_work_orders(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    status: WorkOrderStatus | None = None,
    open_only: bool = False,
    customer_id: int | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    incident_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[WorkOrderDetail]:
    """Visible orders, newest first, each with its live SLA report."""
    if not 1 <= limit <= 1000:
        raise DomainError(f"limit: {limit} must lie between 1 and 1000")
    if offset < 0:
        raise DomainError(f"offset: {offset} must not be negative")
    stmt = visible_orders(actor)
    if status is not None:
        stmt = stmt.where(WorkOrder.status == status.value)
    if open_only:
        done = [WorkOrderStatus.RESOLVED.value, WorkOrderStatus.CLOSED.value]
        stmt = stmt.where(WorkOrder.status.not_in(done))
    if customer_id is not None:
        stmt = stmt.where(WorkOrder.customer_id == customer_id)
    if team_id is not None:
        stmt = stmt.where(WorkOrder.team_id == team_id)
    if assignee_id is not None:
        stmt = stmt.where(WorkOrder.assignee_id == assignee_id)
    if incident_id is not None:
        stmt = stmt.where(WorkOrder.incident_id == incident_id)
    orders = list(
        session.scalars(
            stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    reports = sla_reports(session, orders, now=now)
    return [WorkOrderDetail(o, reports[o.id]) for o in orders]


def queue(
    session: Session, actor: Actor, *, now: datetime, limit: int = 200
) -> list[WorkOrderDetail]:
    """The actor's queue: open orders of its teams (all teams for supervisors), most
    urgent first: earliest next escalation, then priority, then age."""
    details = list_work_orders(session, actor, now=now, open_only=True, limit=min(limit, 1000))
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def key(d: WorkOrderDetail) -> tuple[datetime, int, datetime]:
        esc = d.report.next_escalation_at if d.report is not None else None
        return (esc or far, -Priority(d.order.priority).rank, d.order.created_at)

    return sorted(details, key=key)
