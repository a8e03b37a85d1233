"""The KPI board reads its period a chunk of orders at a time: the board is the same
whatever the chunk size, and a board past its request's deadline stops between chunks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services import kpi
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.services.kpi import GroupBy, kpi_board
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
