"""Work orders (工单): types, priorities, tiers and the status state machine (DOMAIN.md §2).

The first-contact owner (首问负责人) is set when the order is opened and never changes;
the current assignee moves with transfers. Complaints cannot close without a return visit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from touchpoint.domain.errors import DomainError, InvalidTransition, RuleViolation
from touchpoint.domain.sla import OrderStatus

__all__ = [
    "TRANSITIONS",
    "Priority",
    "Tier",
    "WorkOrderState",
    "WorkOrderStatus",
    "WorkOrderType",
]


class WorkOrderType(StrEnum):
    """What the customer asks for."""

    CONSULTATION = "consultation"
    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"
    REPAIR = "repair"
    PRAISE = "praise"
    SUGGESTION = "suggestion"

    @property
    def is_complaint(self) -> bool:
        """Complaints need service recovery and a return visit before closing."""
        return self is WorkOrderType.COMPLAINT

    @property
    def needs_return_visit(self) -> bool:
        """Whether closing requires a return-visit record."""
        return self is WorkOrderType.COMPLAINT


class Priority(StrEnum):
    """Urgency of an order."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 (low) … 3 (urgent), for sorting queues."""
        return list(Priority).index(self)

    @property
    def is_urgent(self) -> bool:
        """High and urgent orders go to the top of the queue."""
        return self in (Priority.HIGH, Priority.URGENT)


class Tier(StrEnum):
    """Support tiers: front line, technical support, expert team (多层次技术支持)."""

    L1 = "L1"
    L2 = "L2"
    EXPERT = "expert"

    @property
    def next_up(self) -> Tier | None:
        """The tier an escalation moves to, or None at the top."""
        order = list(Tier)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None

    @property
    def is_top(self) -> bool:
        """Whether no higher tier exists."""
        return self is Tier.EXPERT

    @property
    def rank(self) -> int:
        """0 (L1), 1 (L2), 2 (expert): a transfer may only keep or raise it."""
        return list(Tier).index(self)


#: The desk's statuses are the SLA clock's (issue 6): one enum, one set of predicates.
WorkOrderStatus = OrderStatus


_S = WorkOrderStatus
_WORKING = frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.WAITING_THIRD_PARTY})

#: Allowed moves. Leaving ``resolved`` or ``closed`` for a working status is a reopen.
TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    _S.NEW: frozenset(
        {_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.WAITING_THIRD_PARTY, _S.RESOLVED}
    ),
    _S.ASSIGNED: frozenset(
        {_S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.WAITING_THIRD_PARTY, _S.RESOLVED}
    ),
    _S.IN_PROGRESS: frozenset(
        {_S.ASSIGNED, _S.WAITING_CUSTOMER, _S.WAITING_THIRD_PARTY, _S.RESOLVED}
    ),
    _S.WAITING_CUSTOMER: frozenset(
        {_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_THIRD_PARTY, _S.RESOLVED}
    ),
    _S.WAITING_THIRD_PARTY: frozenset(
        {_S.ASSIGNED, _S.IN_PROGRESS, _S.WAITING_CUSTOMER, _S.RESOLVED}
    ),
    _S.RESOLVED: frozenset({_S.CLOSED, _S.ASSIGNED, _S.IN_PROGRESS}),
    _S.CLOSED: frozenset({_S.ASSIGNED, _S.IN_PROGRESS}),
}


@dataclass(frozen=True, slots=True)
class WorkOrderState:
    """The rule-relevant state of one work order.

    ``owner_id`` is the first-contact owner and is copied unchanged by every method.
    """

    type: WorkOrderType
    status: WorkOrderStatus
    owner_id: int
    assignee_id: int | None
    tier: Tier = Tier.L1
    has_return_visit: bool = False
    reopen_count: int = 0

    @classmethod
    def open(
        cls,
        type: WorkOrderType,
        owner_id: int,
        *,
        assignee_id: int | None = None,
        tier: Tier = Tier.L1,
    ) -> WorkOrderState:
        """A new order: ``assigned`` when someone takes it at once, else ``new``."""
        status = WorkOrderStatus.ASSIGNED if assignee_id is not None else WorkOrderStatus.NEW
        return cls(type=type, status=status, owner_id=owner_id, assignee_id=assignee_id, tier=tier)

    def can_move_to(self, to: WorkOrderStatus) -> bool:
        """Whether ``to`` is reachable in one step (ignoring the return-visit rule)."""
        return to in TRANSITIONS[self.status]

    def closes_without_return_visit(self, to: WorkOrderStatus) -> bool:
        """Whether moving to ``to`` would close an order that needs a return visit (a
        complaint) before it has one: the rule behind ``transition``'s refusal and the
        move ``allowed_moves`` leaves out."""
        return (
            to is WorkOrderStatus.CLOSED
            and self.type.needs_return_visit
            and not self.has_return_visit
        )

    def allowed_moves(self) -> tuple[WorkOrderStatus, ...]:
        """The statuses ``transition`` accepts from this state, in the enum's order: the
        machine's moves (``TRANSITIONS``) less closing without a needed return visit."""
        return tuple(
            s
            for s in WorkOrderStatus
            if self.can_move_to(s) and not self.closes_without_return_visit(s)
        )

    def is_reopen(self, to: WorkOrderStatus) -> bool:
        """Whether moving to ``to`` reopens a resolved or closed order."""
        return self.status.is_done and not to.is_done

    def transition(self, to: WorkOrderStatus, *, actor_id: int) -> WorkOrderState:
        """Move to ``to``; the actor becomes assignee when the new status needs one.

        Raises ``InvalidTransition`` for a move the machine does not allow and
        ``RuleViolation`` when a complaint would close without a return visit.
        """
        if to == self.status:
            raise InvalidTransition(
                f"status: order is already {self.status.value!r}",
                code="already_in_status",
                params={"status": self.status.value},
            )
        if not self.can_move_to(to):
            allowed = sorted(s.value for s in TRANSITIONS[self.status])
            raise InvalidTransition(
                f"status: cannot move from {self.status.value!r} to {to.value!r}; "
                f"allowed: {allowed}",
                code="invalid_transition",
                params={"from_status": self.status.value, "to_status": to.value},
            )
        if self.closes_without_return_visit(to):
            raise RuleViolation(
                f"status: a {self.type.value!r} order cannot close without a return visit (回访)",
                code="close_needs_return_visit",
                params={"type": self.type.value},
            )
        assignee = self.assignee_id
        if to.needs_assignee and assignee is None:
            assignee = actor_id
        return replace(
            self,
            status=to,
            assignee_id=assignee,
            reopen_count=self.reopen_count + (1 if self.is_reopen(to) else 0),
        )

    def assign(self, assignee_id: int, *, tier: Tier | None = None) -> WorkOrderState:
        """Transfer to ``assignee_id`` (and ``tier``); a ``new`` order becomes ``assigned``.

        The owner stays: first-contact responsibility survives every transfer. A transfer
        keeps the tier or moves it up (L1 → L2 → expert); asking for a lower tier raises
        ``RuleViolation``.
        """
        if self.status is WorkOrderStatus.CLOSED:
            raise InvalidTransition(
                "assignee_id: a closed order cannot be reassigned; reopen it",
                code="closed_not_reassignable",
            )
        if tier is not None and tier.rank < self.tier.rank:
            raise RuleViolation(
                f"tier: the order is at {self.tier.value!r} and cannot move down to "
                f"{tier.value!r}; a transfer keeps the tier or moves it up (L1 → L2 → expert)",
                code="tier_down",
                params={"from_tier": self.tier.value, "to_tier": tier.value},
            )
        status = WorkOrderStatus.ASSIGNED if self.status is WorkOrderStatus.NEW else self.status
        return replace(self, assignee_id=assignee_id, status=status, tier=tier or self.tier)

    def escalate_tier(self) -> WorkOrderState:
        """Move one tier up (L1 → L2 → expert); raises at the top tier."""
        up = self.tier.next_up
        if up is None:
            raise DomainError(
                f"tier: {self.tier.value!r} is the top tier",
                code="top_tier",
                params={"tier": self.tier.value},
            )
        return replace(self, tier=up)

    def with_return_visit(self) -> WorkOrderState:
        """The order now has a return-visit record."""
        if not self.status.is_done:
            raise RuleViolation(
                f"status: a return visit follows resolution; order is {self.status.value!r}",
                code="return_visit_before_resolution",
                params={"status": self.status.value},
            )
        return replace(self, has_return_visit=True)
