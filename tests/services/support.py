"""Small builders for service tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from tests.storage.support import T0, Database, actor_of, make_user
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services.base import Actor
from touchpoint.services.customers import CustomerDraft, create_customer
from touchpoint.services.sla_admin import PolicyDraft, create_calendar, create_policy
from touchpoint.services.work_orders import (
    WorkOrderDetail,
    WorkOrderDraft,
    open_work_order,
    transition_work_order,
)

CALENDAR_24X7 = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def people(db: Database, s: Session) -> tuple[Actor, Actor, Actor]:
    """(supervisor, agent, analyst) actors."""
    return (
        actor_of(make_user(db, s, Role.SUPERVISOR)),
        actor_of(make_user(db, s, Role.AGENT)),
        actor_of(make_user(db, s, Role.ANALYST)),
    )


def customer(
    db: Database, s: Session, agent: Actor, *, email: str | None = None, name: str | None = None
) -> int:
    idents: tuple[tuple[IdentityKind, str], ...] = ()
    if email:
        idents = ((IdentityKind.EMAIL, email),)
    view = create_customer(
        s, agent, CustomerDraft(name=name or db.unique("Customer "), identities=idents), now=T0
    )
    return view.customer.id


def policy(db: Database, s: Session, sup: Actor, definition: Mapping[str, object]) -> int:
    cal = create_calendar(s, sup, db.unique("cal "), CALENDAR_24X7, now=T0)
    return create_policy(
        s,
        sup,
        PolicyDraft(
            name=db.unique("pol "), definition=dict(definition), calendar_id=cal.id, rank=1
        ),
        now=T0,
    ).id


def order(
    s: Session,
    agent: Actor,
    customer_id: int,
    *,
    type: WorkOrderType = WorkOrderType.REPAIR,
    policy_id: int | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    subject: str = "Outage",
    now: datetime = T0,
) -> WorkOrderDetail:
    return open_work_order(
        s,
        agent,
        WorkOrderDraft(
            customer_id=customer_id,
            type=type,
            channel=Channel.HOTLINE,
            subject=subject,
            policy_id=policy_id,
            team_id=team_id,
            assignee_id=assignee_id,
        ),
        now=now,
    )


def moved(
    s: Session, actor: Actor, detail: WorkOrderDetail, to: WorkOrderStatus, now: datetime
) -> WorkOrderDetail:
    """``detail``'s order moved to ``to`` at ``now``, with the version ``detail`` carries."""
    return transition_work_order(
        s, actor, detail.order.id, to, version=detail.order.version, now=now
    )
