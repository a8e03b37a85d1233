"""The KPI board reads its period a chunk of orders at a time: the board is the same
whatever the chunk size, and a board past its request's deadline stops between chunks.
It reads the facts rows in spans of the period side by side: the board is the same
whatever the number of spans, orders at their edges counted once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services import kpi, kpi_tallies
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.services.kpi import GroupBy, kpi_board
from touchpoint.services.kpi_facts import refresh_kpi_facts
from touchpoint.services.work_orders import (
    MessageKind,
    assign_work_order,
    reply,
    transition_work_order,
)
from touchpoint.storage.deadline import DeadlineExceeded, deadline

_POLICY: dict[str, object] = {
    "first_response_minutes": 30,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 240,
}


def test_the_board_is_the_same_in_chunks_of_any_size(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = T0 + timedelta(days=60)
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        teams = [
            create_team(s, Actor.system(), TeamDraft(name=db.unique("kpi ")), now=T0).id
            for _ in range(2)
        ]
        for n in range(7):
            at = start + timedelta(minutes=10 * n)
            team = teams[n % 2] if n != 6 else None
            o = order(s, agent, customer(db, s, agent), policy_id=pid, team_id=team, now=at).order
            if n % 3 == 0:  # a customer writes again: no first-contact resolution
                o = reply(s, agent, o.id, MessageKind.CUSTOMER_MESSAGE, "still dark", now=at).order
            if n % 2 == 0:
                o = assign_work_order(
                    s, sup, o.id, agent.user_id or 0, version=o.version, now=at
                ).order
            if n < 5:
                transition_work_order(
                    s,
                    agent,
                    o.id,
                    WorkOrderStatus.RESOLVED,
                    version=o.version,
                    now=at + timedelta(minutes=40 * n),
                )
        later = start + timedelta(hours=8)

        def board(group_by: GroupBy) -> kpi.KpiBoard:
            return kpi_board(
                s, analyst, start=start, end=start + timedelta(days=1), now=later, group_by=group_by
            )

        whole = {g: board(g) for g in GroupBy}
        monkeypatch.setattr(kpi, "CHUNK_ORDERS", 2)
        for g in GroupBy:
            chunked = board(g)
            assert chunked == whole[g]
        assert whole[GroupBy.TEAM].overall.orders == 7
        assert [r.key for r in whole[GroupBy.TEAM].rows] == [*teams, None]
        with deadline(-1), pytest.raises(DeadlineExceeded):
            board(GroupBy.TEAM)


def test_the_board_is_the_same_read_in_any_number_of_spans(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders at the period's start, on both sides of its middle and of its thirds, and
    just before its end: each counted once, however many spans read the period."""
    start = T0 + timedelta(days=90)
    end = start + timedelta(days=3)
    tick = timedelta(microseconds=1)
    with db.factory() as s:
        _sup, agent, analyst = people(db, s)
        team = create_team(s, Actor.system(), TeamDraft(name=db.unique("spans ")), now=T0).id
        edges = [start, start + timedelta(days=1), start + timedelta(days=1.5), end - tick]
        instants = sorted({at + d for at in edges for d in (-tick, 0 * tick, tick)})
        instants = [at for at in instants if start <= at < end]
        for n, at in enumerate(instants):
            o = order(s, agent, customer(db, s, agent), team_id=team, now=at).order
            if n % 2:
                transition_work_order(
                    s, agent, o.id, WorkOrderStatus.RESOLVED, version=o.version, now=at
                )

        assert refresh_kpi_facts(s) >= len(instants)  # the board reads their facts rows
        s.commit()

        def board() -> kpi.KpiBoard:
            return kpi_board(
                s, analyst, start=start, end=end, now=end + timedelta(hours=1),
                group_by=GroupBy.TEAM,
            )  # fmt: skip

        dialect = db.engine.dialect.name
        boards = []
        for parts in (1, 2, 3, 7):
            monkeypatch.setitem(kpi_tallies.READ_PARTS, dialect, parts)
            boards.append(board())
        assert all(b == boards[0] for b in boards)
        (row,) = [r for r in boards[0].rows if r.key == team]
        assert row.kpis.orders == len(instants) == 10
        assert row.kpis.resolved == len(instants) // 2
