"""First-contact resolution on the KPI board: "never transferred" is read from the
order's assignments, not from its current assignee (README "KPI definitions")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database, actor_of, make_user
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Tier, WorkOrderStatus
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.services.incidents import link_to_incident, open_incident, resolve_incident
from touchpoint.services.kpi import GroupBy, kpi_board
from touchpoint.services.work_orders import (
    assign_work_order,
    transition_work_order,
)
from touchpoint.storage.models import WorkOrder

_POLICY: dict[str, object] = {
    "first_response_minutes": 30,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 240,
}


def _open(
    s: Session,
    agent: Actor,
    cid: int,
    pid: int,
    at: datetime,
    *,
    take: bool = False,
    team_id: int | None = None,
) -> WorkOrder:
    """An order the agent opens (and takes at once with ``take``, the /call box)."""
    return order(
        s,
        agent,
        cid,
        policy_id=pid,
        team_id=team_id,
        assignee_id=agent.user_id if take else None,
        subject="No power",
        now=at,
    ).order


def _assign(
    s: Session,
    actor: Actor,
    o: WorkOrder,
    to: int | None,
    at: datetime,
    *,
    tier: Tier | None = None,
    team_id: int | None = None,
) -> WorkOrder:
    return assign_work_order(
        s, actor, o.id, to or 0, version=o.version, now=at, tier=tier, team_id=team_id
    ).order


def _resolve(s: Session, actor: Actor, o: WorkOrder, at: datetime) -> WorkOrder:
    return transition_work_order(
        s, actor, o.id, WorkOrderStatus.RESOLVED, version=o.version, now=at
    ).order


def _fcr(s: Session, analyst: Actor, start: datetime) -> tuple[int, object]:
    """(orders, FCR rate) of the day from ``start``."""
    board = kpi_board(
        s, analyst, start=start, end=start + timedelta(days=1), now=start + timedelta(hours=6)
    )
    return board.overall.orders, board.overall.first_contact_resolution_rate


def _team(s: Session, db: Database) -> int:
    return create_team(s, Actor.system(), TeamDraft(name=db.unique("team ")), now=T0).id


def test_unassigned_orders_resolved_with_an_incident_keep_fcr(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        start = T0 + timedelta(days=40)
        cids = [customer(db, s, agent) for _ in range(2)]
        inc = open_incident(
            s, sup, title="Outage", announcement="Power is out; crews on site.", now=start
        )
        loose = _open(s, agent, cids[0], pid, start)  # nobody took it
        taken = _open(s, agent, cids[1], pid, start, take=True)
        link_to_incident(
            s,
            agent,
            inc.incident.id,
            work_order_ids=[loose.id, taken.id],
            contact_ids=[],
            now=start,
        )
        resolve_incident(
            s, sup, inc.incident.id, note="Power restored.", now=start + timedelta(hours=1)
        )
        s.refresh(loose)
        s.refresh(taken)
        # the status change made the resolving supervisor the unassigned order's assignee …
        assert (loose.status, loose.assignee_id) == ("resolved", sup.user_id)
        assert (taken.status, taken.assignee_id) == ("resolved", agent.user_id)
        # … which is no transfer: both orders were resolved at first contact
        assert _fcr(s, analyst, start) == (2, pytest.approx(1.0))


def test_an_order_sent_to_another_agent_and_back_was_transferred(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        other = actor_of(make_user(db, s, Role.AGENT))
        pid = policy(db, s, sup, _POLICY)
        start = T0 + timedelta(days=41)
        cid = customer(db, s, agent)
        o = _open(s, agent, cid, pid, start, take=True)
        o = _assign(s, agent, o, other.user_id, start + timedelta(minutes=5))
        o = _assign(s, agent, o, agent.user_id, start + timedelta(minutes=10))
        o = _resolve(s, agent, o, start + timedelta(minutes=20))
        assert (o.status, o.assignee_id, o.owner_id) == ("resolved", agent.user_id, agent.user_id)
        assert _fcr(s, analyst, start) == (1, pytest.approx(0.0))


def test_a_transfer_up_a_tier_or_to_another_team_is_a_transfer(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        first, second = _team(s, db), _team(s, db)
        start = T0 + timedelta(days=42)
        cid = customer(db, s, agent)
        # the same agent keeps both orders: only the tier, or only the team, moves
        up = _open(s, agent, cid, pid, start, take=True)
        up = _assign(s, agent, up, agent.user_id, start + timedelta(minutes=5), tier=Tier.L2)
        up = _resolve(s, agent, up, start + timedelta(minutes=20))
        moved = _open(s, agent, cid, pid, start, take=True, team_id=first)
        moved = _assign(
            s, agent, moved, agent.user_id, start + timedelta(minutes=5), team_id=second
        )
        moved = _resolve(s, agent, moved, start + timedelta(minutes=20))
        assert (up.tier, up.assignee_id) == ("L2", agent.user_id)
        assert (moved.team_id, moved.assignee_id) == (second, agent.user_id)
        assert _fcr(s, analyst, start) == (2, pytest.approx(0.0))


def test_taking_your_own_order_is_no_transfer(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        team = _team(s, db)
        start = T0 + timedelta(days=43)
        cid = customer(db, s, agent)
        boxed = _open(s, agent, cid, pid, start, take=True)  # "I take it" on /call
        boxed = _resolve(s, agent, boxed, start + timedelta(minutes=20))
        later = _open(s, agent, cid, pid, start)  # opened unassigned, taken afterwards
        later = _assign(s, agent, later, agent.user_id, start + timedelta(minutes=5))
        later = _resolve(s, agent, later, start + timedelta(minutes=20))
        routed = _open(s, agent, cid, pid, start)  # taken into a team from no team
        routed = _assign(
            s, agent, routed, agent.user_id, start + timedelta(minutes=5), team_id=team
        )
        routed = _resolve(s, agent, routed, start + timedelta(minutes=20))
        assert _fcr(s, analyst, start) == (3, pytest.approx(1.0))


def test_the_board_reads_all_assignments_of_the_period_in_one_query(db: Database) -> None:
    """Transfers are known for every order at once; the rows follow the current assignee."""
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        other = actor_of(make_user(db, s, Role.AGENT))
        pid = policy(db, s, sup, _POLICY)
        start = T0 + timedelta(days=44)
        cid = customer(db, s, agent)
        kept = [_open(s, agent, cid, pid, start, take=True) for _ in range(3)]
        kept = [_resolve(s, agent, o, start + timedelta(minutes=20)) for o in kept]
        sent = [_open(s, agent, cid, pid, start, take=True) for _ in range(2)]
        sent = [_assign(s, agent, o, other.user_id, start + timedelta(minutes=5)) for o in sent]
        sent = [_resolve(s, other, o, start + timedelta(minutes=20)) for o in sent]
        statements: list[str] = []

        def seen(_conn: object, _cur: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            board = kpi_board(
                s,
                analyst,
                start=start,
                end=start + timedelta(days=1),
                now=start + timedelta(hours=6),
                group_by=GroupBy.AGENT,
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert sum("audit_log" in q for q in statements) == 1
        rates = {r.key: r.kpis.first_contact_resolution_rate for r in board.rows}
        assert board.overall.first_contact_resolution_rate == pytest.approx(3 / 5)
        assert rates == {agent.user_id: pytest.approx(1.0), other.user_id: pytest.approx(0.0)}
