"""Work-order use cases: update, assign, transition, reply, return visit (and open).

Every write appends the matching timeline event, replays the SLA clock to refresh the
order's cached escalation time, and records one audit row (``services.order_write``).
Opening an order is in ``services.order_opening``, reads (one order, lists, queues)
in ``services.order_reads``; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome
from touchpoint.domain.errors import DomainError, RuleViolation, empty_field, unknown_reference
from touchpoint.domain.recovery import JusticeScores
from touchpoint.domain.sla import TimelineEvent
from touchpoint.domain.work_orders import (
    Priority,
    Tier,
    WorkOrderState,
    WorkOrderStatus,
    WorkOrderType,
)
from touchpoint.services import return_visits
from touchpoint.services.base import Actor, AfterCommit, WriteUnit, require, snapshot
from touchpoint.services.order_opening import OpeningContact, WorkOrderDraft, open_work_order
from touchpoint.services.order_reads import (
    WorkOrderDetail,
    get_work_order,
    list_work_orders,
    load_visible,
    queue,
    visible_orders,
)
from touchpoint.services.order_write import (
    add_event,
    check_team,
    check_user,
    close_order_write,
    order_write,
    refresh_order,
)
from touchpoint.services.survey_links import DESK_TIME_ZONE, SurveyLinks
from touchpoint.storage.models import (
    Contact,
    ReturnVisit,
    SlaPolicyRow,
    WorkOrder,
)

__all__ = [
    "MessageKind",
    "OpeningContact",
    "WorkOrderChanges",
    "WorkOrderDetail",
    "WorkOrderDraft",
    "add_event",
    "apply_transition",
    "assign_work_order",
    "get_work_order",
    "list_work_orders",
    "load_visible",
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
class WorkOrderChanges:
    """Editable fields; None leaves a field unchanged."""

    subject: str | None = None
    description: str | None = None
    priority: Priority | None = None
    team_id: int | None = None
    policy_id: int | None = None
    hostile: bool | None = None


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
    with order_write(
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
            raise empty_field("subject")
        if changes.team_id is not None:
            check_team(session, changes.team_id)
        if changes.policy_id is not None and session.get(SlaPolicyRow, changes.policy_id) is None:
            raise unknown_reference("policy_id", "sla_policy", changes.policy_id, "SLA policy")
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
        report = close_order_write(unit, loaded, before, "work_order.updated")
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
    with order_write(
        session,
        actor,
        "work_order.assign",
        order_id,
        version=version,
        now=now,
        after_commit=after_commit,
    ) as (unit, loaded):
        order = loaded.order
        check_user(session, assignee_id, "assignee_id")
        before = snapshot(order)  # before the team changes, so the audit shows the move
        old = state_of(order)
        new = old.assign(assignee_id, tier=tier)  # the domain refuses a lower tier
        if team_id is not None:
            check_team(session, team_id)
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
        report = close_order_write(unit, loaded, before, "work_order.assigned")
    return WorkOrderDetail(order, report)


def apply_transition(
    session: Session,
    actor: Actor,
    order: WorkOrder,
    to: WorkOrderStatus,
    now: datetime,
    note: str,
    *,
    timeline: Sequence[TimelineEvent] | None = None,
    unit: WriteUnit | None = None,
    links: SurveyLinks | None = None,
) -> None:
    """Move ``order`` to ``to`` and record the status event. A resolution schedules the
    order's return visit (issued in this commit with ``links`` and ``unit`` when the
    delay is 0); a reopening cancels the one not yet answered (``services.return_visits``)."""
    actor_id = actor.user_id if actor.user_id is not None else order.owner_id
    old = state_of(order)
    reopen = old.is_reopen(to)
    new = old.transition(to, actor_id=actor_id)
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
    if to is WorkOrderStatus.RESOLVED:
        return_visits.schedule_return_visit(session, order, now, unit=unit, links=links)
    elif reopen:
        return_visits.cancel_return_visits(session, order.id)


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
    links: SurveyLinks | None = None,
) -> WorkOrderDetail:
    """Move the order to ``to`` under the state machine's rules (reopen included);
    ``links`` (the desk's survey settings) lets a resolution issue its return visit at
    once when the desk's delay is 0."""
    require(actor, actor.role.can_handle_orders, "change work-order status")
    with order_write(
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
        apply_transition(
            session, actor, order, to, now, note, timeline=loaded.timeline, unit=u, links=links
        )
        event = "work_order.reopened" if reopen else f"work_order.{to.value}"
        report = close_order_write(u, loaded, before, event, payload={"from": before["status"]})
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

    An append never conflicts: ``version`` (what the caller last read) is not checked,
    as two agents may add messages to one order at once; only edits of the order's
    fields are refused on a stale version.
    """
    require(actor, actor.role.can_handle_orders, "write on work orders")
    if not body.strip():
        raise empty_field("body")
    del version  # accepted from older callers, never a reason to refuse an append
    with order_write(
        session,
        actor,
        f"work_order.{kind.value}",
        order_id,
        version=None,
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
        report = refresh_order(u, loaded)
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
    csat: int | None = None,
    nps: int | None = None,
    zone: str = DESK_TIME_ZONE,
) -> WorkOrderDetail:
    """Record the return visit (回访) of a resolved order, optionally closing it.

    Complaints need the perceived-justice scores (outcome, process, treatment). The visit
    is also stored as a phone answer of the return-visit survey (``csat`` 1–5 and ``nps``
    0–10 where the customer gave them, the justice scores, the note), so that the board
    counts called and mailed return visits alike and a detractor's call opens its
    recovery order (``services.return_visits.record_phone_answer``), in the return-visit
    wave of the month on the desk's clock (``zone``).
    """
    require(actor, actor.role.can_handle_orders, "record return visits")
    if actor.user_id is None:
        raise DomainError("agent: a return visit is made by a user")
    with order_write(
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
                "justice: a complaint's return visit records outcome, process and treatment "
                "justice",
                code="complaint_visit_needs_justice",
            )
        _apply_state(order, state_of(order).with_return_visit())
        visit = _return_visit(session, actor.user_id, order, satisfied, justice, note, now)
        phone = {"CSAT": csat, "NPS": nps, "COMMENT": note}
        if justice is not None:
            phone.update(J_DIST=justice.outcome, J_PROC=justice.process, J_INTER=justice.treatment)
        return_visits.record_phone_answer(session, u, order, phone, now, zone)
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
            apply_transition(
                session,
                actor,
                order,
                WorkOrderStatus.CLOSED,
                now,
                "closed after return visit",
                timeline=loaded.timeline,
            )
        report = close_order_write(
            u, loaded, before, "work_order.return_visit", audited={"return_visit": snapshot(visit)}
        )
    return WorkOrderDetail(order, report)


def _return_visit(
    session: Session,
    agent_id: int,
    order: WorkOrder,
    satisfied: bool,
    justice: JusticeScores | None,
    note: str,
    now: datetime,
) -> ReturnVisit:
    """The return visit, and its outbound call on the customer's contact card."""
    visit = ReturnVisit(
        work_order_id=order.id,
        agent_id=agent_id,
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
            agent_id=agent_id,
            outcome=ContactOutcome.ANSWERED.value,
            summary=note[:2000],
            work_order_id=order.id,
            at=now,
        )
    )
    return visit
