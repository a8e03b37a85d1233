"""The KPI board from stored order facts (``services.kpi_facts``) is the replay's board:
with every order's facts current, after orders change, after their SLA calendar or
policy changes (through the services or by a plain UPDATE), and with facts missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services import kpi_facts
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.services.desk_clock import escalate_as_desk
from touchpoint.services.kpi import GroupBy, KpiBoard, kpi_board
from touchpoint.services.kpi_facts import refresh_kpi_facts
from touchpoint.services.sla_admin import update_calendar
from touchpoint.services.work_orders import (
    MessageKind,
    assign_work_order,
    reply,
    transition_work_order,
)
from touchpoint.storage.kpi_facts import BULK_READ_WORK_MEM, planned_for_bulk_read
from touchpoint.storage.models import OrderKpiFacts, SlaCalendarRow, SlaPolicyRow, WorkOrder

_POLICY: dict[str, object] = {
    "first_response_minutes": 30,
    "next_update_minutes": 60,
    "next_update_from": "customer_message",
    "resolution_minutes": 240,
}


@dataclass(frozen=True)
class _Desk:
    sup: Actor
    agent: Actor
    analyst: Actor
    policy_id: int
    teams: list[int]
    orders: list[int]
    start: datetime


def _desk(db: Database, s: Session, day: int) -> _Desk:
    """A day of orders in every state the board tells apart: answered and resolved,
    never answered (rule 9 breaches them as the day goes on), waiting on the customer,
    written to again and transferred, reopened, a complaint, one without a policy."""
    sup, agent, analyst = people(db, s)
    pid = policy(db, s, sup, _POLICY)
    teams = [create_team(s, Actor.system(), TeamDraft(name=db.unique("kf ")), now=T0).id]
    teams.append(create_team(s, Actor.system(), TeamDraft(name=db.unique("kf ")), now=T0).id)
    start = T0 + timedelta(days=day)
    ids = []
    for n in range(8):
        at = start + timedelta(minutes=7 * n)
        kind = WorkOrderType.COMPLAINT if n == 5 else WorkOrderType.REPAIR
        o = order(
            s,
            agent,
            customer(db, s, agent),
            type=kind,
            policy_id=None if n == 6 else pid,
            team_id=teams[n % 2] if n != 7 else None,
            assignee_id=agent.user_id if n % 3 == 0 else None,
            now=at,
        ).order
        ids.append(o.id)
        if n in (0, 3, 4, 5):
            o = reply(
                s, agent, o.id, MessageKind.AGENT_REPLY, "on it", now=at + timedelta(minutes=n)
            ).order
        if n == 2:
            o = transition_work_order(
                s,
                agent,
                o.id,
                WorkOrderStatus.IN_PROGRESS,
                version=o.version,
                now=at + timedelta(minutes=1),
            ).order
            o = transition_work_order(
                s,
                agent,
                o.id,
                WorkOrderStatus.WAITING_CUSTOMER,
                version=o.version,
                now=at + timedelta(minutes=2),
            ).order
        if n == 3:
            o = reply(
                s,
                agent,
                o.id,
                MessageKind.CUSTOMER_MESSAGE,
                "still dark",
                now=at + timedelta(minutes=9),
            ).order
            o = assign_work_order(
                s,
                sup,
                o.id,
                sup.user_id or 0,
                version=o.version,
                now=at + timedelta(minutes=10),
                team_id=teams[0],
            ).order
        if n in (0, 3, 4, 5, 6):
            o = transition_work_order(
                s,
                agent,
                o.id,
                WorkOrderStatus.RESOLVED,
                version=o.version,
                now=at + timedelta(minutes=50 * n + 20),
            ).order
        if n == 4:
            o = transition_work_order(
                s,
                agent,
                o.id,
                WorkOrderStatus.IN_PROGRESS,
                version=o.version,
                now=at + timedelta(hours=5),
            ).order
    return _Desk(sup, agent, analyst, pid, teams, ids, start)


# Board instants: before any due time, past first-response dues, past resolution dues,
# after the period (the board then replays at its end).
_LATER = (timedelta(minutes=20), timedelta(minutes=50), timedelta(hours=5), timedelta(days=3))


def _boards(s: Session, desk: _Desk) -> list[KpiBoard]:
    return [
        kpi_board(
            s,
            desk.analyst,
            start=desk.start,
            end=desk.start + timedelta(days=1),
            now=desk.start + later,
            group_by=g,
        )
        for later in _LATER
        for g in GroupBy
    ]


def _replayed(s: Session, desk: _Desk) -> list[KpiBoard]:
    """The boards with no stored facts at all: every order replayed."""
    s.execute(delete(OrderKpiFacts))
    s.commit()
    return _boards(s, desk)


def _no_replay(*_args: object) -> NoReturn:
    raise AssertionError("the board replayed an order whose facts were current")


def _stored(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(OrderKpiFacts)) or 0)


def test_stored_facts_give_the_replays_board(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.factory() as s:
        desk = _desk(db, s, 70)
        expected = _replayed(s, desk)
        assert refresh_kpi_facts(s) == s.scalar(select(func.count()).select_from(WorkOrder))
        assert refresh_kpi_facts(s) == 0  # all current: nothing to do
        with monkeypatch.context() as m:
            m.setattr(kpi_facts, "order_standing_facts", _no_replay)
            assert _boards(s, desk) == expected
        overall = expected[0].overall
        assert overall.orders == 8 and overall.resolved == 4 and overall.reopen_rate == 1 / 8
        breaches = [b.overall.sla_breaches for b in expected[::2]]
        assert breaches == sorted(breaches) and breaches[0] < breaches[-1]  # rule 9 counts


def test_a_changed_order_gives_the_replays_board(db: Database) -> None:
    with db.factory() as s:
        desk = _desk(db, s, 71)
        refresh_kpi_facts(s)
        later = desk.start + timedelta(hours=6)
        o = s.get(WorkOrder, desk.orders[1])
        assert o is not None
        o = transition_work_order(
            s, desk.agent, o.id, WorkOrderStatus.RESOLVED, version=o.version, now=later
        ).order
        reply(s, desk.agent, desk.orders[2], MessageKind.CUSTOMER_MESSAGE, "any news?", now=later)
        o7 = s.get(WorkOrder, desk.orders[7])
        assert o7 is not None
        assign_work_order(
            s,
            desk.sup,
            o7.id,
            desk.agent.user_id or 0,
            version=o7.version,
            now=later,
            team_id=desk.teams[1],
        )
        with_stale = _boards(s, desk)
        assert with_stale == _replayed(s, desk)
        refresh_kpi_facts(s)
        assert _boards(s, desk) == with_stale


def test_an_order_written_by_a_plain_update_gives_the_replays_board(db: Database) -> None:
    """Another process or a hand edit moves a team and a version without the services:
    the database lists the orders, and the board replays them before any sweep."""
    with db.factory() as s:
        desk = _desk(db, s, 75)
        refresh_kpi_facts(s)
        moved, reopened = desk.orders[0], desk.orders[4]
        s.execute(update(WorkOrder).where(WorkOrder.id == moved).values(team_id=desk.teams[1]))
        s.execute(
            update(WorkOrder)
            .where(WorkOrder.id == reopened)
            .values(reopen_count=WorkOrder.reopen_count + 1, version=WorkOrder.version + 1)
        )
        s.commit()
        by_hand = _boards(s, desk)
        assert by_hand == _replayed(s, desk)
        refresh_kpi_facts(s)
        assert _boards(s, desk) == by_hand


def test_a_calendar_or_policy_change_gives_the_replays_board(db: Database) -> None:
    with db.factory() as s:
        desk = _desk(db, s, 72)
        refresh_kpi_facts(s)
        row = s.get(SlaPolicyRow, desk.policy_id)
        assert row is not None
        cal = s.get(SlaCalendarRow, row.calendar_id)
        assert cal is not None
        short_days = {
            "timezone": "Asia/Shanghai",
            "hours": {d: [["09:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        }
        update_calendar(
            s, desk.sup, cal.id, version=cal.version, now=desk.start, definition=short_days
        )
        after_calendar = _boards(s, desk)
        assert after_calendar == _replayed(s, desk)
        refresh_kpi_facts(s)
        assert _boards(s, desk) == after_calendar
        # A plain UPDATE (another process, a hand edit) moves no version: the digest sees it.
        tighter = {**_POLICY, "first_response_minutes": 5}
        s.execute(
            update(SlaPolicyRow).where(SlaPolicyRow.id == desk.policy_id).values(definition=tighter)
        )
        s.commit()
        after_policy = _boards(s, desk)
        assert after_policy != after_calendar
        assert after_policy == _replayed(s, desk)


def test_missing_facts_give_the_replays_board(db: Database) -> None:
    with db.factory() as s:
        desk = _desk(db, s, 73)
        expected = _replayed(s, desk)
        assert refresh_kpi_facts(s, limit=3) == 3
        assert _boards(s, desk) == expected
        refresh_kpi_facts(s)
        s.execute(delete(OrderKpiFacts).where(OrderKpiFacts.work_order_id.in_(desk.orders[::3])))
        s.commit()
        assert _boards(s, desk) == expected


def test_the_desk_clock_brings_the_facts_up_to_date(db: Database) -> None:
    with db.factory() as s:
        desk = _desk(db, s, 74)
        s.execute(delete(OrderKpiFacts))
        s.commit()
        escalate_as_desk(None)(s, desk.start + timedelta(days=2))
        assert _stored(s) == s.scalar(select(func.count()).select_from(WorkOrder))


def test_the_bulk_read_settings_last_only_for_the_read(db: Database) -> None:
    with db.factory() as s:
        if db.engine.dialect.name != "postgresql":
            with planned_for_bulk_read(s):
                assert s.scalar(select(1)) == 1
            return
        setting = text("SELECT current_setting('jit') || ' ' || current_setting('work_mem')")
        before = s.scalar(setting)
        with planned_for_bulk_read(s):
            assert s.scalar(setting) == f"off {BULK_READ_WORK_MEM}"
        assert s.scalar(setting) == before
