"""Order writes read the active webhooks with their first statement (the order, or the
customer when opening one), not in a query of their own: each event still reaches the
subscriptions active at the write, by name or ``*``, and no one else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people
from tests.storage.support import T0, Database
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Priority, WorkOrderStatus
from touchpoint.services.base import Actor
from touchpoint.services.notify import create_webhook, delete_webhook
from touchpoint.services.work_orders import (
    MessageKind,
    WorkOrderChanges,
    reply,
    transition_work_order,
    update_work_order,
)
from touchpoint.storage.models import OutboxMessage


def _queued(session: Session, since: int) -> list[tuple[str, str, int]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id > since, OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id)
    )
    out = []
    for m in rows:
        payload = m.payload
        oid = payload["work_order"]["id"] if "work_order" in payload else payload["work_order_id"]
        out.append((m.target, m.event, oid))
    return out


def _last(session: Session) -> int:
    ids = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    return next(iter(ids), 0)


def test_order_writes_reach_the_webhooks_active_when_they_run(
    db: Database, session: Session
) -> None:
    sup, agent, _ = people(db, session)
    admin = Actor(user_id=sup.user_id, username=sup.username, role=Role.ADMIN)
    cid = customer(db, session, agent)
    mark = _last(session)
    o = order(session, agent, cid)
    assert _queued(session, mark) == []  # none subscribed yet
    opened = f"http://hooks.test/{db.unique('opened')}"
    every = f"http://hooks.test/{db.unique('all')}"
    create_webhook(session, admin, url=opened, events=["work_order.opened"], now=T0)
    hook = create_webhook(session, admin, url=every, events=["*"], now=T0)
    mark = _last(session)
    o2 = order(session, agent, cid)
    assert _queued(session, mark) == [
        (opened, "work_order.opened", o2.order.id),
        (every, "work_order.opened", o2.order.id),
    ]
    # The order as subscribers know it: not the sweep's memory of its steps.
    payload = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.id > mark)).first()
    assert payload is not None
    assert {"id", "status", "sla_next_escalation_at", "version"} <= payload["work_order"].keys()
    assert not any(key.startswith("sla_step") for key in payload["work_order"])
    mark = _last(session)
    at = T0 + timedelta(minutes=5)
    d = update_work_order(
        session,
        agent,
        o.order.id,
        WorkOrderChanges(priority=Priority.HIGH),
        version=o.order.version,
        now=at,
    )
    d = reply(session, agent, d.order.id, MessageKind.AGENT_REPLY, "on our way", now=at)
    d = transition_work_order(
        session, agent, d.order.id, WorkOrderStatus.RESOLVED, version=d.order.version, now=at
    )
    assert _queued(session, mark) == [
        (every, "work_order.updated", o.order.id),
        (every, "work_order.agent_reply", o.order.id),
        (every, "work_order.resolved", o.order.id),
    ]
    delete_webhook(session, admin, hook.id, now=at)
    mark = _last(session)
    transition_work_order(
        session, agent, d.order.id, WorkOrderStatus.IN_PROGRESS, version=d.order.version, now=at
    )
    assert _queued(session, mark) == []
