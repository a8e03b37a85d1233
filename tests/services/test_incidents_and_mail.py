"""Mass incidents resolve their orders and notify each customer by SMTP after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.services.conftest import Inbox
from tests.services.support import customer, order, people
from tests.storage.support import T0, Database
from touchpoint.domain.contacts import Channel
from touchpoint.domain.roles import Role
from touchpoint.services.base import Actor
from touchpoint.services.customers import ContactDraft, log_contact
from touchpoint.services.incidents import link_to_incident, open_incident, resolve_incident
from touchpoint.services.notify import MailConfig, create_webhook, deliver_pending
from touchpoint.storage.models import OutboxMessage, WorkOrder


def test_resolving_an_incident_resolves_orders_and_mails_customers(
    db: Database, smtp: tuple[Inbox, MailConfig]
) -> None:
    inbox, mail = smtp
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        admin = Actor(user_id=sup.user_id, username="a", role=Role.ADMIN)
        seen: list[dict[str, Any]] = []
        hook = create_webhook(
            s,
            admin,
            url="http://hooks.test/desk",
            events=["incident.resolved"],
            secret="k",  # noqa: S106 (test signing key)
            now=T0,
        )
        assert hook.id
        addresses = [f"{db.unique('c')}@example.com" for _ in range(3)]
        cids = [customer(db, s, agent, email=a) for a in addresses]
        inc = open_incident(
            s,
            sup,
            title="Outage Xinhua Rd",
            area="Xinhua Rd 1-99",
            announcement="Power is out in Xinhua Rd; crews expected 14:00.",
            now=T0,
        )
        orders = [order(s, agent, cid).order.id for cid in cids[:2]]
        contact = log_contact(
            s,
            agent,
            ContactDraft(
                customer_id=cids[2], channel=Channel.HOTLINE, summary="heard the announcement"
            ),
            now=T0,
        )
        link_to_incident(
            s, agent, inc.incident.id, work_order_ids=orders, contact_ids=[contact.id], now=T0
        )
        view = resolve_incident(
            s, sup, inc.incident.id, note="Power restored at 13:40.", now=T0 + timedelta(hours=2)
        )
        assert (view.orders, view.contacts) == (2, 1)
        statuses = s.scalars(select(WorkOrder.status).where(WorkOrder.id.in_(orders))).all()
        assert set(statuses) == {"resolved"}
        pending = s.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
        assert sorted(m.target for m in pending if m.channel == "email") == sorted(addresses)

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append({"headers": dict(request.headers), "body": request.content})
            return httpx.Response(200)

        with httpx.Client(transport=httpx.MockTransport(handler)) as http:
            sent = deliver_pending(db.factory, clock=lambda: T0, mail=mail, http=http)
        assert sent >= 4
    got = sorted(r for rcpts, _m in inbox.messages for r in rcpts)
    assert got == sorted(addresses)
    assert all("Power restored" in m.get_payload() for _r, m in inbox.messages)
    assert any(h["headers"].get("x-touchpoint-event") == "incident.resolved" for h in seen)
    assert all("x-touchpoint-signature" in h["headers"] for h in seen)


def test_mail_waiting_for_an_smtp_host_never_holds_up_webhooks(db: Database) -> None:
    # Without an SMTP host e-mail waits; a backlog of it larger than one delivery round
    # (limit) used to fill every round, so the webhooks queued after it never went.
    with db.factory() as s:
        first = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())) or 0
        for n in range(5):
            s.add(OutboxMessage(created_at=T0, channel="email", target=f"c{n}@example.com",
                                event="mail", payload={"subject": "s", "body": "b"}))  # fmt: skip
        s.add(OutboxMessage(created_at=T0, channel="webhook", target="http://hooks.test/x",
                            event="work_order.opened", payload={"id": 1}))  # fmt: skip
        s.commit()
    posted: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(str(request.url))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        for _ in range(3):
            deliver_pending(db.factory, clock=lambda: T0, mail=None, http=http, limit=2)
    assert "http://hooks.test/x" in posted
    with db.factory() as s:
        waiting = s.scalars(
            select(OutboxMessage.channel).where(
                OutboxMessage.id > first, OutboxMessage.sent_at.is_(None)
            )
        ).all()
        assert sorted(waiting) == ["email"] * 5  # still waiting, none counted as failed
        failed = s.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id > first).limit(1))
        assert failed == 0
