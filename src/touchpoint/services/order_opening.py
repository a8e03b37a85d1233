"""Opening a work order: the draft, its checks, its SLA policy and its first event.

The acting agent becomes the order's first-contact owner (首问负责); the order's policy
is the one given or the first active policy whose conditions match the order, and its
SLA cache comes from the replay of its creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Text, bindparam, cast, select
from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError, empty_field, unknown_reference
from touchpoint.domain.sla import EventType, OrderStatus, SlaReport, TimelineEvent, replay
from touchpoint.domain.work_orders import (
    Priority,
    Tier,
    WorkOrderState,
    WorkOrderStatus,
    WorkOrderType,
)
from touchpoint.services.base import Actor, AfterCommit, require, snapshot, write
from touchpoint.services.order_reads import WorkOrderDetail
from touchpoint.services.order_write import check_user, published
from touchpoint.services.sla_clock import (
    ChosenPolicy,
    active_policies_column,
    choose_compiled_policy,
    compiled_from_text,
    replay_order,
    sla_cache_values,
)
from touchpoint.storage.db import per_dialect
from touchpoint.storage.models import (
    Contact,
    Customer,
    SlaCalendarRow,
    SlaPolicyRow,
    Team,
    WorkOrder,
)
from touchpoint.storage.order_store import add_order

__all__ = ["OpeningContact", "WorkOrderDraft", "add_new_order", "open_work_order"]


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
    # A service-recovery order opened by a detractor's answer: the surveyed order (if
    # any) and the response (``services.recovery_loop``).
    recovery_of: int | None = None
    origin_response_id: int | None = None


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


# What opening an order reads first, in one round trip: the customer, whether the team
# exists (``team_id`` null when it does not, or when none is given) and the active SLA
# policies (to choose one); one statement per dialect.
_OpeningRead = Select[int, int | None, str, int | None, str]


@per_dialect
def _opening_read(session: Session) -> _OpeningRead:
    team = select(Team.id).where(Team.id == bindparam("team_id")).scalar_subquery()
    return select(
        Customer.id,
        Customer.merged_into_id,
        Customer.customer_class,
        team.label("team_id"),
        active_policies_column(session),
    ).where(Customer.id == bindparam("customer_id"))


_POLICY_TEXTS = (
    select(
        cast(SlaCalendarRow.definition, Text).label("calendar_definition"),
        cast(SlaPolicyRow.definition, Text).label("policy_definition"),
    )
    .select_from(SlaPolicyRow)
    .outerjoin(SlaCalendarRow, SlaCalendarRow.id == SlaPolicyRow.calendar_id)
)


def _chosen_policy(
    session: Session, draft: WorkOrderDraft, customer_class: str, active: str
) -> ChosenPolicy | None:
    """The draft's policy (given, or the first active one whose conditions match),
    parsed with its calendar; None without one (or, for a given one, a calendar)."""
    if draft.policy_id is None:
        return choose_compiled_policy(
            active,
            type=draft.type,
            priority=draft.priority,
            customer_class=CustomerClass(customer_class),
            channel=draft.channel,
        )
    texts = session.execute(_POLICY_TEXTS.where(SlaPolicyRow.id == draft.policy_id)).first()
    if texts is None:
        raise unknown_reference("policy_id", "sla_policy", draft.policy_id, "SLA policy")
    calendar_text, policy_text = texts
    if calendar_text is None or policy_text is None:
        return None
    return ChosenPolicy(draft.policy_id, *compiled_from_text(calendar_text, policy_text))


@dataclass(frozen=True, slots=True)
class _Opening:
    """What opening an order checked: the customer, and the SLA policy chosen."""

    customer_id: int
    policy_id: int | None
    chosen: ChosenPolicy | None


def _check_opening(
    session: Session, actor: Actor, draft: WorkOrderDraft, owner_id: int
) -> _Opening:
    row = session.execute(
        _opening_read(session), {"customer_id": draft.customer_id, "team_id": draft.team_id}
    ).first()
    if row is None:
        raise unknown_reference("customer_id", "customer", draft.customer_id)
    customer_id, merged_into_id, customer_class, team_id, active = row
    if merged_into_id is not None:
        raise DomainError(
            f"customer_id: customer {customer_id} was merged into {merged_into_id}",
            code="customer_merged",
            params={"id": customer_id, "into": merged_into_id},
        )
    if owner_id != actor.user_id:  # the acting user was checked when authenticated
        check_user(session, owner_id, "owner_id")
    check_user(session, draft.assignee_id, "assignee_id")
    if draft.team_id is not None and team_id is None:
        raise unknown_reference("team_id", "team", draft.team_id)
    chosen = _chosen_policy(session, draft, customer_class, active)
    policy_id = chosen.policy_id if chosen is not None else draft.policy_id
    return _Opening(customer_id, policy_id, chosen)


def _opening_report(
    session: Session, opening: _Opening, status: WorkOrderStatus, now: datetime
) -> SlaReport | None:
    """The SLA report of a new order, whose timeline is its creation (None without a
    policy; a given policy without a calendar is refused by ``replay_order``)."""
    created = TimelineEvent(at=now, type=EventType.CREATED, status=OrderStatus(status.value))
    if opening.chosen is not None:
        return replay(opening.chosen.calendar, opening.chosen.policy, [created], now=now)
    return replay_order(session, opening.policy_id, [created], now=now)


def _new_order(
    session: Session,
    draft: WorkOrderDraft,
    opening: _Opening,
    owner_id: int,
    subject: str,
    now: datetime,
) -> tuple[WorkOrder, SlaReport | None]:
    """The new order, with its SLA cache from the replay of its creation."""
    state = WorkOrderState.open(
        draft.type, owner_id, assignee_id=draft.assignee_id, tier=draft.tier
    )
    report = _opening_report(session, opening, state.status, now)
    order = WorkOrder(
        customer_id=opening.customer_id,
        type=draft.type.value,
        channel=draft.channel.value,
        priority=draft.priority.value,
        tier=state.tier.value,
        status=state.status.value,
        subject=subject,
        description=draft.description,
        owner_id=owner_id,
        assignee_id=state.assignee_id,
        team_id=draft.team_id,
        policy_id=opening.policy_id,
        incident_id=draft.incident_id,
        hostile=draft.hostile,
        reopen_count=0,
        has_return_visit=False,
        created_at=now,
        updated_at=now,
        resolved_at=None,
        closed_at=None,
        sla_step_due_first_response=None,
        sla_step_due_next_update=None,
        sla_step_due_resolution=None,
        sla_steps_taken=0,
        recovery_of=draft.recovery_of,
        origin_response_id=draft.origin_response_id,
        **sla_cache_values(report),
    )
    return order, report


def add_new_order(
    session: Session, actor: Actor, draft: WorkOrderDraft, *, owner_id: int, now: datetime
) -> tuple[WorkOrder, SlaReport | None]:
    """Check and insert a new order with its first event inside the caller's write unit
    (which records the audit row): what :func:`open_work_order` does, for writes that open
    an order as a consequence of something else (a detractor's answer)."""
    subject = draft.subject.strip()
    if not subject:
        raise empty_field("subject")
    opening = _check_opening(session, actor, draft, owner_id)
    order, report = _new_order(session, draft, opening, owner_id, subject, now)
    add_order(session, order, EventType.CREATED.value, actor_id=actor.user_id)
    return order, report


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
        raise empty_field("subject")
    with write(session, actor, "work_order.open", now=now, after_commit=after_commit) as unit:
        order, report = add_new_order(session, actor, draft, owner_id=owner_id, now=now)
        order_id = order.id
        after = snapshot(order)
        audited = after
        if opening_contact is not None:
            contact = _opening_contact(actor, draft, opening_contact, order, subject, now)
            session.add(contact)
            session.flush()
            audited = {**after, "opening_contact": snapshot(contact)}
        unit.audit("work_order", order_id, before=None, after=audited)
        unit.notify("work_order.opened", {"work_order": published(after)})
    return WorkOrderDetail(order, report)


def _opening_contact(
    actor: Actor,
    draft: WorkOrderDraft,
    opening: OpeningContact,
    order: WorkOrder,
    subject: str,
    now: datetime,
) -> Contact:
    return Contact(
        customer_id=order.customer_id,
        channel=draft.channel.value,
        direction=opening.direction.value,
        touchpoint=opening.touchpoint,
        agent_id=actor.user_id,
        outcome=ContactOutcome.ORDER_OPENED.value,
        summary=(opening.summary or subject)[:2000],
        hostile=draft.hostile,
        work_order_id=order.id,
        incident_id=draft.incident_id,
        at=now,
    )
