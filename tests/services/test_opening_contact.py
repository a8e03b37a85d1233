"""The contact that opens a work order lands on the contact card without spoiling FCR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.services.support import customer, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.contacts import Channel, ContactOutcome
from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services.customers import customer_360
from touchpoint.services.kpi import kpi_board
from touchpoint.services.work_orders import (
    OpeningContact,
    WorkOrderDraft,
    open_work_order,
    transition_work_order,
)
from touchpoint.storage.models import AuditEntry, Contact, WorkOrderEvent

_POLICY = {
    "first_response_minutes": 30,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 120,
}


def _draft(cid: int, pid: int, channel: Channel = Channel.COUNTER) -> WorkOrderDraft:
    return WorkOrderDraft(
        customer_id=cid,
        type=WorkOrderType.SERVICE_REQUEST,
        channel=channel,
        subject="Meter reading disputed",
        policy_id=pid,
        hostile=True,
    )


def test_opening_contact_is_on_the_card_in_one_transaction_and_audit_row(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        cid = customer(db, s, agent)
        start = T0 + timedelta(days=60)
        opened = open_work_order(
            s,
            agent,
            _draft(cid, pid),
            now=start,
            opening_contact=OpeningContact(touchpoint="counter 3", summary="Came to the counter"),
        ).order
        contacts = s.scalars(select(Contact).where(Contact.work_order_id == opened.id)).all()
        assert len(contacts) == 1
        ct = contacts[0]
        assert (ct.customer_id, ct.agent_id, ct.channel, ct.outcome, ct.touchpoint) == (
            cid,
            agent.user_id,
            Channel.COUNTER.value,
            ContactOutcome.ORDER_OPENED.value,
            "counter 3",
        )
        assert ct.hostile and ct.summary == "Came to the counter" and ct.at == start
        events = s.scalars(
            select(WorkOrderEvent.type).where(WorkOrderEvent.work_order_id == opened.id)
        ).all()
        assert events == ["created"]  # no customer_message: FCR stays intact
        audits = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "work_order.open", AuditEntry.entity_id == str(opened.id)
            )
        ).all()
        assert len(audits) == 1 and audits[0].after is not None
        assert audits[0].after["opening_contact"]["id"] == ct.id
        card = customer_360(s, agent, cid, now=start)
        assert [c.id for c in card.contacts] == [ct.id]

        transition_work_order(
            s,
            agent,
            opened.id,
            WorkOrderStatus.RESOLVED,
            version=opened.version,
            now=start + timedelta(minutes=20),
        )
        board = kpi_board(
            s, analyst, start=start, end=start + timedelta(days=1), now=start + timedelta(hours=1)
        )
        assert board.overall.orders == 1
        assert board.overall.first_contact_resolution_rate == pytest.approx(1.0)


def test_without_an_opening_contact_nothing_changes(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        cid = customer(db, s, agent)
        opened = open_work_order(s, agent, _draft(cid, pid, Channel.HOTLINE), now=T0).order
        assert s.scalars(select(Contact).where(Contact.work_order_id == opened.id)).all() == []


def test_a_refused_order_leaves_no_contact(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _analyst = people(db, s)
        pid = policy(db, s, sup, _POLICY)
        cid = customer(db, s, agent)
        before = len(s.scalars(select(Contact).where(Contact.customer_id == cid)).all())
        bad = WorkOrderDraft(
            customer_id=cid,
            type=WorkOrderType.REPAIR,
            channel=Channel.HOTLINE,
            subject="x",
            policy_id=pid,
            team_id=999_999,
        )
        with pytest.raises(DomainError, match="team_id"):
            open_work_order(s, agent, bad, now=T0, opening_contact=OpeningContact(summary="x"))
        after = len(s.scalars(select(Contact).where(Contact.customer_id == cid)).all())
        assert after == before
