"""Whether an order was transferred, from its explicit assignments (first-contact resolution)."""

from __future__ import annotations

from touchpoint.domain.kpi import Assignment, was_transferred
from touchpoint.domain.work_orders import Tier

OWNER, OTHER, THIRD = 1, 2, 3
L1, L2 = Tier.L1, Tier.L2


def _to(
    who: int,
    before: int | None,
    *,
    team: tuple[int | None, int | None] = (None, None),
    tier: tuple[Tier, Tier] = (L1, L1),
) -> Assignment:
    return Assignment(before, who, team[0], team[1], tier[0], tier[1])


def test_no_assignment_is_no_transfer() -> None:
    # e.g. a supervisor resolving a mass incident became the assignee by a status change
    assert not was_transferred(OWNER, [])


def test_the_owner_taking_their_order_is_no_transfer() -> None:
    assert not was_transferred(OWNER, [_to(OWNER, None)])
    assert not was_transferred(OWNER, [_to(OWNER, OWNER)])
    assert not was_transferred(OWNER, [_to(OWNER, None, team=(None, 7))])  # routed into a team


def test_giving_the_order_to_someone_else_is_a_transfer_even_when_it_comes_back() -> None:
    assert was_transferred(OWNER, [_to(OTHER, None)])
    assert was_transferred(OWNER, [_to(OTHER, OWNER), _to(OWNER, OTHER)])


def test_whoever_held_it_before_the_first_assignment_started_with_it() -> None:
    # opened with OTHER as assignee (or OTHER took it by working it): back to the owner
    # and on to OTHER again are no transfers; on to a third agent is
    assert not was_transferred(OWNER, [_to(OWNER, OTHER), _to(OTHER, OWNER)])
    assert was_transferred(OWNER, [_to(OWNER, OTHER), _to(THIRD, OWNER)])


def test_another_team_or_a_higher_tier_is_a_transfer() -> None:
    assert was_transferred(OWNER, [_to(OWNER, OWNER, team=(7, 8))])
    assert not was_transferred(OWNER, [_to(OWNER, OWNER, team=(7, 7))])
    assert was_transferred(OWNER, [_to(OWNER, OWNER, tier=(L1, L2))])
    assert not was_transferred(OWNER, [_to(OWNER, OWNER, tier=(L2, L2))])
