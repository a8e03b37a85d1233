"""Edited SLA policies and calendars count from the very next write.

The service layer caches parsed policies, selection rules and calendar indexes per
process; these tests prove that no edit is missed, whether made through the services in
this process or written to the database by another one (here a second engine issuing a
plain ``UPDATE``, which no in-process cache could hear about).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.services.support import CALENDAR_24X7, customer, order, people
from tests.storage.support import T0, Database
from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import WorkOrderType
from touchpoint.services.base import Actor
from touchpoint.services.sla_admin import (
    PolicyDraft,
    create_calendar,
    create_policy,
    update_calendar,
    update_policy,
)
from touchpoint.services.work_orders import WorkOrderChanges, WorkOrderDetail, update_work_order
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow

# T0 is Monday 09:00 in Asia/Shanghai: 20 minutes on Monday, the rest from Tuesday 09:00.
SHORT_MONDAY = {
    "timezone": "Asia/Shanghai",
    "hours": {"mon": [["09:00", "09:20"]], "tue": [["09:00", "18:00"]]},
}


def _targets(minutes: int) -> dict[str, object]:
    return {"first_response_minutes": minutes, "resolution_minutes": 10 * minutes}


def _first_response_due(detail: WorkOrderDetail) -> object:
    assert detail.report is not None and detail.report.first_response is not None
    return detail.report.first_response.due_at


def _draft(name: str, calendar_id: int, minutes: int, *, active: bool = True) -> PolicyDraft:
    return PolicyDraft(
        name=name,
        definition=_targets(minutes),
        calendar_id=calendar_id,
        rank=1,
        types=(WorkOrderType.REPAIR,),
        active=active,
    )


def _deactivate_at_30_minutes(s: Session, sup: Actor, pol_id: int, cal_id: int) -> None:
    """Edit the policy to a 30-minute first response and make it inactive."""
    pol = s.get(SlaPolicyRow, pol_id)
    assert pol is not None
    update_policy(
        s, sup, pol_id, _draft(pol.name, cal_id, 30, active=False), version=pol.version, now=T0
    )


def _edit_subject(s: Session, agent: Actor, detail: WorkOrderDetail) -> WorkOrderDetail:
    """An edit that adds no event: the order's next write."""
    return update_work_order(
        s,
        agent,
        detail.order.id,
        WorkOrderChanges(subject="still no power"),
        version=detail.order.version,
        now=T0,
    )


def _setup(db: Database, s: Session) -> tuple[Actor, Actor, int, int, int]:
    sup, agent, _ = people(db, s)
    cal = create_calendar(s, sup, db.unique("cache cal "), CALENDAR_24X7, now=T0)
    pol = create_policy(s, sup, _draft(db.unique("cache policy "), cal.id, 60), now=T0)
    return sup, agent, customer(db, s, agent), cal.id, pol.id


def test_edits_through_the_services_count_from_the_next_order(db: Database) -> None:
    with db.factory() as s:
        sup, agent, cust, cal_id, pol_id = _setup(db, s)
        first = order(s, agent, cust)
        assert first.order.policy_id == pol_id
        assert _first_response_due(first) == T0 + timedelta(minutes=60)
        assert _first_response_due(order(s, agent, cust)) == T0 + timedelta(minutes=60)

        pol = s.get(SlaPolicyRow, pol_id)
        assert pol is not None
        update_policy(s, sup, pol_id, _draft(pol.name, cal_id, 30), version=pol.version, now=T0)
        assert _first_response_due(order(s, agent, cust)) == T0 + timedelta(minutes=30)

        cal = s.get(SlaCalendarRow, cal_id)
        assert cal is not None
        update_calendar(s, sup, cal_id, version=cal.version, now=T0, definition=SHORT_MONDAY)
        # 20 minutes on Monday, 10 on Tuesday from 09:00 local (01:00Z).
        tuesday_0910 = T0 + timedelta(days=1, minutes=10)
        assert _first_response_due(order(s, agent, cust)) == tuesday_0910
        # An existing order is replayed on the edited policy and calendar at its next write.
        edited = _edit_subject(s, agent, first)
        assert edited.report is not None and edited.report.first_response is not None
        assert edited.report.first_response.due_at == tuesday_0910

        _deactivate_at_30_minutes(s, sup, pol_id, cal_id)
        none = order(s, agent, cust)
        assert none.order.policy_id is None and none.report is None


def test_edits_written_by_another_process_count_from_the_next_order(db: Database) -> None:
    other = make_engine(db.url)  # another process: its own connections, no shared memory
    try:
        with db.factory() as s:
            _sup, agent, cust, cal_id, pol_id = _setup(db, s)
            existing = order(s, agent, cust)
            assert _first_response_due(existing) == T0 + timedelta(minutes=60)

            with make_session_factory(other)() as o, o.begin():
                o.execute(
                    update(SlaPolicyRow)
                    .where(SlaPolicyRow.id == pol_id)
                    .values(definition=_targets(45), version=SlaPolicyRow.version + 1)
                )
            assert _first_response_due(order(s, agent, cust)) == T0 + timedelta(minutes=45)

            with make_session_factory(other)() as o, o.begin():
                o.execute(
                    update(SlaCalendarRow)
                    .where(SlaCalendarRow.id == cal_id)
                    .values(definition=SHORT_MONDAY, version=SlaCalendarRow.version + 1)
                )
            # 20 minutes on Monday, 25 on Tuesday from 09:00 local.
            due = T0 + timedelta(days=1, minutes=25)
            assert _first_response_due(order(s, agent, cust)) == due
            # An existing order's next write replays it on the definitions read with it.
            edited = _edit_subject(s, agent, existing)
            assert _first_response_due(edited) == due

            with make_session_factory(other)() as o, o.begin():
                o.execute(
                    update(SlaPolicyRow)
                    .where(SlaPolicyRow.id == pol_id)
                    .values(types=["complaint"], version=SlaPolicyRow.version + 1)
                )
            assert order(s, agent, cust).order.policy_id is None
            assert order(s, agent, cust, type=WorkOrderType.COMPLAINT).order.policy_id == pol_id
    finally:
        other.dispose()


def test_a_given_policy_is_read_as_stored_and_an_unknown_one_is_refused(db: Database) -> None:
    with db.factory() as s:
        sup, agent, cust, cal_id, pol_id = _setup(db, s)
        # Inactive policies are not chosen, but one given explicitly still governs.
        _deactivate_at_30_minutes(s, sup, pol_id, cal_id)
        given = order(s, agent, cust, policy_id=pol_id)
        assert given.order.policy_id == pol_id
        assert _first_response_due(given) == T0 + timedelta(minutes=30)
        with pytest.raises(DomainError, match=r"policy_id: SLA policy 2147483000 does not exist"):
            order(s, agent, cust, policy_id=2_147_483_000)
