"""The work-order state machine: table checks and Hypothesis invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from touchpoint.domain.errors import DomainError, InvalidTransition, RuleViolation
from touchpoint.domain.work_orders import (
    TRANSITIONS,
    Priority,
    Tier,
    WorkOrderState,
    WorkOrderStatus,
    WorkOrderType,
)

S = WorkOrderStatus


def test_open_is_new_without_assignee_and_assigned_with_one() -> None:
    assert WorkOrderState.open(WorkOrderType.REPAIR, 7).status is S.NEW
    st_ = WorkOrderState.open(WorkOrderType.REPAIR, 7, assignee_id=9)
    assert (st_.status, st_.owner_id, st_.assignee_id) == (S.ASSIGNED, 7, 9)


def test_happy_path_and_reopen() -> None:
    o = WorkOrderState.open(WorkOrderType.SERVICE_REQUEST, 1)
    for to in (S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER, S.IN_PROGRESS, S.RESOLVED, S.CLOSED):
        o = o.transition(to, actor_id=2)
    assert o.status is S.CLOSED and o.owner_id == 1 and o.assignee_id == 2
    o = o.transition(S.IN_PROGRESS, actor_id=3)
    assert o.reopen_count == 1 and o.assignee_id == 2


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (S.NEW, S.CLOSED),
        (S.IN_PROGRESS, S.CLOSED),
        (S.CLOSED, S.RESOLVED),
        (S.RESOLVED, S.WAITING_CUSTOMER),
    ],
)
def test_forbidden_moves_name_both_statuses(frm: WorkOrderStatus, to: WorkOrderStatus) -> None:
    o = WorkOrderState(WorkOrderType.REPAIR, frm, owner_id=1, assignee_id=1)
    with pytest.raises(InvalidTransition, match=f"'{frm.value}' to '{to.value}'"):
        o.transition(to, actor_id=1)


def test_complaint_cannot_close_without_return_visit() -> None:
    o = WorkOrderState(WorkOrderType.COMPLAINT, S.RESOLVED, owner_id=1, assignee_id=1)
    with pytest.raises(RuleViolation, match="return visit"):
        o.transition(S.CLOSED, actor_id=1)
    assert o.with_return_visit().transition(S.CLOSED, actor_id=1).status is S.CLOSED


def test_return_visit_follows_resolution() -> None:
    o = WorkOrderState(WorkOrderType.COMPLAINT, S.IN_PROGRESS, owner_id=1, assignee_id=1)
    with pytest.raises(RuleViolation):
        o.with_return_visit()


def test_tiers_and_priorities_have_predicates() -> None:
    assert Tier.L1.next_up is Tier.L2 and Tier.L2.next_up is Tier.EXPERT
    assert Tier.EXPERT.next_up is None and Tier.EXPERT.is_top
    assert Priority.URGENT.rank > Priority.LOW.rank and Priority.HIGH.is_urgent
    assert S.WAITING_CUSTOMER.is_paused and S.CLOSED.is_paused and not S.IN_PROGRESS.is_paused
    with pytest.raises(DomainError):
        WorkOrderState(WorkOrderType.REPAIR, S.NEW, 1, None, Tier.EXPERT).escalate_tier()


@pytest.mark.parametrize(
    ("current", "requested", "expected"),
    [
        (Tier.L1, None, Tier.L1),
        (Tier.L1, Tier.L1, Tier.L1),
        (Tier.L1, Tier.L2, Tier.L2),
        (Tier.L1, Tier.EXPERT, Tier.EXPERT),
        (Tier.L2, None, Tier.L2),
        (Tier.L2, Tier.L2, Tier.L2),
        (Tier.L2, Tier.EXPERT, Tier.EXPERT),
        (Tier.L2, Tier.L1, None),
        (Tier.EXPERT, None, Tier.EXPERT),
        (Tier.EXPERT, Tier.EXPERT, Tier.EXPERT),
        (Tier.EXPERT, Tier.L2, None),
        (Tier.EXPERT, Tier.L1, None),
    ],
)
def test_a_transfer_keeps_or_raises_the_tier_never_lowers_it(
    current: Tier, requested: Tier | None, expected: Tier | None
) -> None:
    o = WorkOrderState(WorkOrderType.REPAIR, S.IN_PROGRESS, owner_id=1, assignee_id=1, tier=current)
    if expected is None:
        assert requested is not None
        with pytest.raises(
            RuleViolation, match=f"at '{current.value}' and cannot move down to '{requested.value}'"
        ):
            o.assign(2, tier=requested)
        return
    moved = o.assign(2, tier=requested)
    assert (moved.tier, moved.assignee_id, moved.owner_id) == (expected, 2, 1)


def test_tier_rank_follows_the_escalation_ladder() -> None:
    assert [t.rank for t in Tier] == [0, 1, 2]
    assert all(t.next_up is None or t.next_up.rank == t.rank + 1 for t in Tier)


class WorkOrderMachine(RuleBasedStateMachine):
    """Random walks through transitions, transfers, escalations and return visits."""

    def __init__(self) -> None:
        super().__init__()
        self.order: WorkOrderState | None = None
        self.owner = 0
        self.highest_tier = Tier.L1

    @precondition(lambda self: self.order is None)
    @rule(
        type=st.sampled_from(WorkOrderType),
        owner=st.integers(1, 5),
        assignee=st.none() | st.integers(1, 5),
    )
    def open(self, type: WorkOrderType, owner: int, assignee: int | None) -> None:
        self.order = WorkOrderState.open(type, owner, assignee_id=assignee)
        self.owner = owner

    @precondition(lambda self: self.order is not None)
    @rule(to=st.sampled_from(WorkOrderStatus), actor=st.integers(1, 5))
    def move(self, to: WorkOrderStatus, actor: int) -> None:
        assert self.order is not None
        try:
            new = self.order.transition(to, actor_id=actor)
        except (InvalidTransition, RuleViolation):
            return
        assert to in TRANSITIONS[self.order.status]
        self.order = new

    @precondition(lambda self: self.order is not None)
    @rule(assignee=st.integers(1, 5), tier=st.none() | st.sampled_from(Tier))
    def transfer(self, assignee: int, tier: Tier | None) -> None:
        assert self.order is not None
        try:
            self.order = self.order.assign(assignee, tier=tier)
        except InvalidTransition:
            assert self.order.status is S.CLOSED
        except RuleViolation:
            assert tier is not None and tier.rank < self.order.tier.rank

    @precondition(lambda self: self.order is not None)
    @rule()
    def escalate(self) -> None:
        assert self.order is not None
        try:
            self.order = self.order.escalate_tier()
        except DomainError:
            assert self.order.tier.is_top

    @precondition(lambda self: self.order is not None)
    @rule()
    def return_visit(self) -> None:
        assert self.order is not None
        try:
            self.order = self.order.with_return_visit()
        except RuleViolation:
            assert not self.order.status.is_done

    @invariant()
    def tier_never_goes_down(self) -> None:
        if self.order is not None:
            assert self.order.tier.rank >= self.highest_tier.rank
            self.highest_tier = self.order.tier

    @invariant()
    def owner_is_never_lost(self) -> None:
        if self.order is not None:
            assert self.order.owner_id == self.owner

    @invariant()
    def closed_complaints_have_a_return_visit(self) -> None:
        o = self.order
        if o is not None and o.status is S.CLOSED and o.type.is_complaint:
            assert o.has_return_visit

    @invariant()
    def working_statuses_have_an_assignee(self) -> None:
        o = self.order
        if o is not None and o.status.needs_assignee:
            assert o.assignee_id is not None


TestWorkOrderMachine = WorkOrderMachine.TestCase
TestWorkOrderMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


@given(st.lists(st.sampled_from(WorkOrderStatus), max_size=40))
def test_reopen_count_counts_leaving_done(path: list[WorkOrderStatus]) -> None:
    o = WorkOrderState.open(WorkOrderType.REPAIR, 1, assignee_id=1)
    reopens = 0
    for to in path:
        try:
            new = o.transition(to, actor_id=1)
        except (InvalidTransition, RuleViolation):
            continue
        reopens += o.status.is_done and not to.is_done
        o = new
    assert o.reopen_count == reopens
