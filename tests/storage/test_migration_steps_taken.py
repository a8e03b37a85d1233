"""Revision 0002: work orders remember their SLA steps, filled from existing escalations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, inspect, select

from tests.storage.support import T0, Database, make_user
from touchpoint.domain.calendar import to_epoch_seconds
from touchpoint.domain.roles import Role
from touchpoint.services.base import Actor
from touchpoint.services.customers import CustomerDraft, create_customer
from touchpoint.services.sla_admin import (
    PolicyDraft,
    create_calendar,
    create_policy,
    escalate_due,
)
from touchpoint.storage.migrate import alembic_config, upgrade
from touchpoint.storage.models import Escalation, WorkOrder, WorkOrderEvent
from touchpoint.storage.types import UtcDateTime

MEMORY = (
    "sla_step_due_first_response",
    "sla_step_due_next_update",
    "sla_step_due_resolution",
    "sla_steps_taken",
)
CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
POLICY = {
    "first_response_minutes": 60,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 600,
}
# work_orders as revision 0001 made it (the models now have more columns).
ORDERS_0001 = sa.table(
    "work_orders",
    *(
        sa.column(name, sa.Integer())
        for name in ("id", "customer_id", "owner_id", "policy_id", "reopen_count", "version")
    ),
    *(
        sa.column(name, sa.String())
        for name in ("type", "channel", "priority", "tier", "status", "subject", "description")
    ),
    *(sa.column(name, sa.Boolean()) for name in ("hostile", "has_return_visit", "sla_breached")),
    *(
        sa.column(name, UtcDateTime())
        for name in ("created_at", "updated_at", "sla_next_escalation_at")
    ),
)


def _downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _rows(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(ORDERS_0001).order_by(ORDERS_0001.c.id)))


def _memory(db: Database) -> dict[int, tuple[Any, ...]]:
    orders = sa.table("work_orders", sa.column("id"), *(sa.column(n) for n in MEMORY))
    with db.engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(select(orders).order_by(orders.c.id))}


def _escalation(order_id: int, target: str, level: str, due: datetime) -> dict[str, Any]:
    return {
        "work_order_id": order_id,
        "target": target,
        "level": level,
        "due_at": due,
        "at": due,
        "action": level,
    }


def test_upgrade_fills_the_memory_from_escalations_and_downgrade_drops_it(db: Database) -> None:
    # Users, policy and customer through the services while the schema is the models'
    # (later revisions' columns and tables are theirs); their rows outlive the downgrade.
    with db.factory() as s:
        sup = make_user(db, s, Role.SUPERVISOR)
        agent = make_user(db, s, Role.AGENT)
        actor = Actor(sup.id, sup.username, Role.SUPERVISOR)
        cal = create_calendar(s, actor, "24x7", CALENDAR, now=T0)
        pid = create_policy(
            s, actor, PolicyDraft(name="p", definition=POLICY, calendar_id=cal.id), now=T0
        ).id
        cid = create_customer(s, actor, CustomerDraft(name="Ms Li"), now=T0).customer.id
    _downgrade(db, "0001")
    assert not set(MEMORY) & {c["name"] for c in inspect(db.engine).get_columns("work_orders")}
    created = {1: T0, 2: T0 + timedelta(minutes=1), 3: T0}
    with db.engine.begin() as conn:
        conn.execute(
            insert(ORDERS_0001),
            [
                {
                    "id": oid,
                    "customer_id": cid,
                    "owner_id": agent.id,
                    "policy_id": pid,
                    "reopen_count": 0,
                    "version": 3,
                    "type": "repair",
                    "channel": "hotline",
                    "priority": "normal",
                    "tier": "L2" if oid == 1 else "L1",
                    "status": "new",
                    "subject": f"order {oid}",
                    "description": "",
                    "hostile": False,
                    "has_return_visit": False,
                    "sla_breached": oid == 1,
                    "created_at": at,
                    "updated_at": at,
                    "sla_next_escalation_at": at + timedelta(minutes=60),
                }
                for oid, at in created.items()
            ],
        )
        conn.execute(
            insert(WorkOrderEvent),
            [
                {
                    "work_order_id": oid,
                    "at": at,
                    "type": "created",
                    "status": "new",
                    "tag": "",
                    "body": "",
                }
                for oid, at in created.items()
            ],
        )
        # Order 1: first response warned and breached; resolution warned for an older
        # due instant and then for a later one. Order 3: a breach only.
        conn.execute(
            insert(Escalation),
            [
                _escalation(1, "first_response", "warning", T0 + timedelta(minutes=60)),
                _escalation(1, "first_response", "breach", T0 + timedelta(minutes=60)),
                _escalation(1, "resolution", "warning", T0 + timedelta(minutes=500)),
                _escalation(1, "resolution", "breach", T0 + timedelta(minutes=500)),
                _escalation(1, "resolution", "warning", T0 + timedelta(minutes=600)),
                _escalation(3, "first_response", "breach", T0 + timedelta(minutes=60)),
            ],
        )
    before = _rows(db)

    upgrade(db.engine)
    assert _rows(db) == before  # the existing columns keep their values
    epoch = to_epoch_seconds
    assert _memory(db) == {
        1: (
            epoch(T0 + timedelta(minutes=60)),
            None,
            epoch(T0 + timedelta(minutes=600)),
            1 | 2 | 16,
        ),
        2: (None, None, None, 0),
        3: (epoch(T0 + timedelta(minutes=60)), None, None, 2),
    }

    with db.factory() as s:
        # First response was due at 60 (orders 1, 3) and 61 (order 2) minutes: only
        # order 2's breach is new; the others were escalated before the upgrade.
        summary = escalate_due(s, actor, now=T0 + timedelta(minutes=61))
        assert [(st["work_order_id"], st["target"], st["level"]) for st in summary.steps] == [
            (2, "first_response", "breach"),
        ]
        s.expire_all()
        tiers = {o.id: o.tier for o in s.scalars(select(WorkOrder))}
        assert tiers == {1: "L2", 2: "L2", 3: "L1"}
    assert _memory(db)[2] == (epoch(T0 + timedelta(minutes=61)), None, None, 2)
    swept = _rows(db)

    _downgrade(db, "0001")
    assert _rows(db) == swept
    assert not set(MEMORY) & {c["name"] for c in inspect(db.engine).get_columns("work_orders")}
    upgrade(db.engine)
    assert _memory(db)[2] == (epoch(T0 + timedelta(minutes=61)), None, None, 2)
