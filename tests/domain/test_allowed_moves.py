"""``WorkOrderState.allowed_moves``: the moves a page offers are exactly those
``transition`` accepts, the return-visit rule included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import (
    TRANSITIONS,
    WorkOrderState,
    WorkOrderStatus,
    WorkOrderType,
)

S = WorkOrderStatus


def _state(type: WorkOrderType, status: WorkOrderStatus, visited: bool) -> WorkOrderState:
    return WorkOrderState(
        type=type, status=status, owner_id=1, assignee_id=2, has_return_visit=visited
    )


def test_a_resolved_complaint_without_return_visit_cannot_be_closed() -> None:
    moves = _state(WorkOrderType.COMPLAINT, S.RESOLVED, visited=False).allowed_moves()
    assert moves == (S.ASSIGNED, S.IN_PROGRESS)


def test_a_resolved_complaint_with_its_return_visit_may_close() -> None:
    moves = _state(WorkOrderType.COMPLAINT, S.RESOLVED, visited=True).allowed_moves()
    assert moves == (S.ASSIGNED, S.IN_PROGRESS, S.CLOSED)


def test_other_types_close_without_return_visit() -> None:
    moves = _state(WorkOrderType.REPAIR, S.RESOLVED, visited=False).allowed_moves()
    assert S.CLOSED in moves


def test_moves_follow_the_status_enum_order() -> None:
    for status in WorkOrderStatus:
        moves = _state(WorkOrderType.CONSULTATION, status, visited=False).allowed_moves()
        assert list(moves) == [s for s in WorkOrderStatus if s in TRANSITIONS[status]]


@given(
    type=st.sampled_from(WorkOrderType),
    status=st.sampled_from(WorkOrderStatus),
    visited=st.booleans(),
    to=st.sampled_from(WorkOrderStatus),
)
def test_allowed_moves_are_exactly_the_accepted_transitions(
    type: WorkOrderType, status: WorkOrderStatus, visited: bool, to: WorkOrderStatus
) -> None:
    state = _state(type, status, visited)
    try:
        state.transition(to, actor_id=3)
    except DomainError:
        accepted = False
    else:
        accepted = True
    assert (to in state.allowed_moves()) is accepted
