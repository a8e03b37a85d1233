"""The demo's outage calls open their orders: FCR on the seeded board is not spoiled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.storage.support import Database
from touchpoint.services.auth import actor_for
from touchpoint.services.kpi import kpi_board
from touchpoint.services.seed import seed_demo
from touchpoint.storage.models import Contact, User, WorkOrder, WorkOrderEvent


def test_seeded_outage_calls_are_opening_contacts_and_keep_fcr(db: Database) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with db.factory() as s:
        report = seed_demo(s, now)
        s.commit()
        assert not report.already_seeded
        outage = s.scalars(
            select(WorkOrder)
            .where(WorkOrder.incident_id == report.incident_id, WorkOrder.type == "repair")
            .where(WorkOrder.subject == "停电报修 No power")
            .order_by(WorkOrder.id)
        ).all()
        assert len(outage) == 6
        for order in outage:
            # the call that opened the order is its opening contact, on the contact card …
            contacts = s.scalars(select(Contact).where(Contact.work_order_id == order.id)).all()
            assert [(c.outcome, c.channel, c.at, c.agent_id, c.incident_id) for c in contacts] == [
                ("order_opened", "hotline", order.created_at, order.owner_id, report.incident_id)
            ]
            # … and never a customer message after creation
            kinds = s.scalars(
                select(WorkOrderEvent.type)
                .where(WorkOrderEvent.work_order_id == order.id)
                .order_by(WorkOrderEvent.id)
            ).all()
            assert kinds == ["created", "agent_reply", "status"]
        assert sum(c.hostile for o in outage for c in _contacts(s, o.id)) == 1

        # the board's FCR, recomputed from the README's definition: resolved, never
        # reopened, never transferred, no customer message after creation. The seed's
        # one transfer (the steel plant's order, to agent2 at L2) also changed its
        # assignee, so on this data "never transferred" is "assignee is the owner"
        # (tests/services/test_kpi_fcr.py covers transfers that are not).
        orders = s.scalars(select(WorkOrder)).all()
        messaged = set(
            s.scalars(
                select(WorkOrderEvent.work_order_id).where(
                    WorkOrderEvent.type == "customer_message"
                )
            )
        )
        fcr = {
            o.id
            for o in orders
            if o.status in ("resolved", "closed")
            and o.reopen_count == 0
            and o.assignee_id in (None, o.owner_id)
            and o.id not in messaged
        }
        assert {o.id for o in outage} <= fcr
        assert (len(orders), len(fcr)) == (14, 11)
        analyst = actor_for(s, s.scalars(select(User).where(User.username == "analyst")).one())
        board = kpi_board(
            s, analyst, start=now - timedelta(days=1), end=now + timedelta(minutes=1), now=now
        )
        assert board.overall.orders == 14
        assert board.overall.first_contact_resolution_rate == pytest.approx(11 / 14)


def _contacts(s: Session, order_id: int) -> list[Contact]:
    return list(s.scalars(select(Contact).where(Contact.work_order_id == order_id)))
