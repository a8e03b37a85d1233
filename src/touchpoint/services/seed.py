"""Demo data: a 95598 power-utility hotline day with an outage incident, and a hotel.

Every record is written through the same services as real traffic, stamped with the
instants of a day that ends at ``now``; the demo logins use known passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, ContactDirection, TransactionKind
from touchpoint.domain.customers import CustomerClass, CustomerKind, IdentityKind
from touchpoint.domain.recovery import (
    Cause5W1H,
    Compensation,
    CompensationKind,
    JusticeScores,
    RecoveryStep,
)
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.auth import TeamDraft, UserDraft, actor_for, create_team, create_user
from touchpoint.services.base import Actor
from touchpoint.services.customers import (
    ContactDraft,
    CustomerDraft,
    TransactionDraft,
    add_transaction,
    create_customer,
    log_contact,
)
from touchpoint.services.errors import ConflictError
from touchpoint.services.incidents import link_to_incident, open_incident, resolve_incident
from touchpoint.services.recovery import RecoveryDraft, record_recovery
from touchpoint.services.sla_admin import PolicyDraft, create_calendar, create_policy
from touchpoint.services.work_orders import (
    MessageKind,
    OpeningContact,
    WorkOrderDraft,
    assign_work_order,
    open_work_order,
    record_return_visit,
    reply,
    transition_work_order,
)
from touchpoint.storage.models import User, WorkOrder

__all__ = ["DEMO_LOGINS", "SeedReport", "seed_demo"]

#: username → (password, role) of the demo logins.
DEMO_LOGINS: dict[str, tuple[str, Role]] = {
    "admin": ("admin-demo-1", Role.ADMIN),
    "supervisor": ("supervisor-demo-1", Role.SUPERVISOR),
    "agent": ("agent-demo-1", Role.AGENT),
    "agent2": ("agent2-demo-1", Role.AGENT),
    "hotel": ("hotel-demo-1", Role.AGENT),
    "analyst": ("analyst-demo-1", Role.ANALYST),
}

WORKDAY = {
    "timezone": "Asia/Shanghai",
    "hours": {
        d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2027-01-01"],
    "special_days": {"2026-10-11": [["08:30", "17:30"]]},
}
ROUND_THE_CLOCK = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What the demo contains."""

    users: dict[str, int]
    customers: int
    work_orders: int
    incident_id: int
    already_seeded: bool = False


def seed_demo(session: Session, now: datetime) -> SeedReport:
    """Seed the demo once (a second call changes nothing and reports ``already_seeded``)."""
    existing = session.scalar(select(User).where(User.username == "admin"))
    if existing is not None:
        ids = {u.username: u.id for u in session.scalars(select(User))}
        count = len(session.scalars(select(WorkOrder.id)).all())
        return SeedReport(ids, 0, count, 0, already_seeded=True)
    system = Actor.system()
    day = now - timedelta(hours=9)
    t = [day]

    def at(minutes: float) -> datetime:
        t[0] = t[0] + timedelta(minutes=minutes)
        return min(t[0], now)

    users: dict[str, User] = {}
    for name, (password, role) in DEMO_LOGINS.items():
        try:
            users[name] = create_user(
                session,
                system,
                UserDraft(
                    username=name,
                    password=password,
                    role=role,
                    display_name=name.capitalize(),
                    email=f"{name}@desk.example",
                ),
                now=day,
            )
        except ConflictError:
            users[name] = session.scalars(select(User).where(User.username == name)).one()
    hotline = create_team(
        session,
        system,
        TeamDraft(
            name="95598 hotline L1",
            tier=Tier.L1,
            supervisor_id=users["supervisor"].id,
            member_ids=(users["agent"].id, users["agent2"].id),
        ),
        now=day,
    )
    repair = create_team(
        session,
        system,
        TeamDraft(
            name="Repair L2",
            tier=Tier.L2,
            supervisor_id=users["supervisor"].id,
            member_ids=(users["agent2"].id,),
        ),
        now=day,
    )
    front = create_team(
        session,
        system,
        TeamDraft(
            name="Hotel front desk",
            tier=Tier.L1,
            supervisor_id=users["supervisor"].id,
            member_ids=(users["hotel"].id,),
        ),
        now=day,
    )
    sup = actor_for(session, users["supervisor"])
    agent = actor_for(session, users["agent"])
    agent2 = actor_for(session, users["agent2"])
    hotel = actor_for(session, users["hotel"])

    office = create_calendar(session, sup, "Office hours (Asia/Shanghai)", WORKDAY, now=day)
    always = create_calendar(session, sup, "24×7 (Asia/Shanghai)", ROUND_THE_CLOCK, now=day)
    create_policy(
        session,
        sup,
        PolicyDraft(
            name="Repair 24×7: respond 30 min, restore 4 h",
            calendar_id=always.id,
            rank=10,
            types=(WorkOrderType.REPAIR,),
            definition={
                "first_response_minutes": 30,
                "next_update_minutes": 60,
                "next_update_from": "agent_reply",
                "resolution_minutes": 240,
            },
        ),
        now=day,
    )
    create_policy(
        session,
        sup,
        PolicyDraft(
            name="Complaints: respond 60 min, resolve 2 days",
            calendar_id=office.id,
            rank=20,
            types=(WorkOrderType.COMPLAINT,),
            warn_share=0.75,
            definition={
                "first_response_minutes": 60,
                "next_update_minutes": 240,
                "next_update_from": "customer_message",
                "resolution_minutes": 960,
            },
        ),
        now=day,
    )
    create_policy(
        session,
        sup,
        PolicyDraft(
            name="Key accounts: respond 15 min",
            calendar_id=always.id,
            rank=5,
            customer_classes=(CustomerClass.KEY_ACCOUNT, CustomerClass.VIP),
            definition={
                "first_response_minutes": 15,
                "next_update_minutes": 60,
                "next_update_from": "customer_message",
                "resolution_minutes": 480,
            },
        ),
        now=day,
    )
    create_policy(
        session,
        sup,
        PolicyDraft(
            name="Standard: respond 2 h, resolve 3 days",
            calendar_id=office.id,
            rank=100,
            definition={
                "first_response_minutes": 120,
                "next_update_minutes": None,
                "next_update_from": "customer_message",
                "resolution_minutes": 1440,
            },
        ),
        now=day,
    )

    people = [
        ("张伟", "13800138001", "zhang.wei@example.com", "3100000001", CustomerClass.NORMAL),
        ("王芳", "13800138002", "wang.fang@example.com", "3100000002", CustomerClass.NORMAL),
        ("李娜", "13800138003", None, "3100000003", CustomerClass.NORMAL),
        ("刘洋", "13800138004", "liu.yang@example.com", "3100000004", CustomerClass.NORMAL),
        ("陈静", "13800138005", "chen.jing@example.com", "3100000005", CustomerClass.NORMAL),
        ("杨磊", "13800138006", None, "3100000006", CustomerClass.NORMAL),
        ("赵敏", "13800138007", "zhao.min@example.com", "3100000007", CustomerClass.VIP),
        ("黄强", "13800138008", None, "3100000008", CustomerClass.NORMAL),
        ("周杰", "13800138009", "zhou.jie@example.com", "3100000009", CustomerClass.NORMAL),
        ("吴霞", "13800138010", None, "3100000010", CustomerClass.NORMAL),
    ]
    cids: list[int] = []
    for name, phone, email, account, klass in people:
        idents = [(IdentityKind.PHONE, phone), (IdentityKind.ACCOUNT, account)]
        if email:
            idents.append((IdentityKind.EMAIL, email))
        v = create_customer(
            session,
            agent,
            CustomerDraft(
                name=name,
                customer_class=klass,
                identities=tuple(idents),
                preferences={"channel": "SMS", "language": "zh-CN"},
            ),
            now=at(1),
        )
        cids.append(v.customer.id)
        add_transaction(
            session,
            agent,
            TransactionDraft(
                customer_id=v.customer.id,
                kind=TransactionKind.BILL,
                at=day - timedelta(days=20),
                amount_minor=18650,
                reference=f"BILL-{account}-2610",
                description="Electricity bill, October",
            ),
            now=at(0),
        )
    plant = create_customer(
        session,
        agent,
        CustomerDraft(
            name="新华钢铁有限公司",
            kind=CustomerKind.ORGANISATION,
            customer_class=CustomerClass.KEY_ACCOUNT,
            organisation="新华钢铁",
            identities=(
                (IdentityKind.ACCOUNT, "3199000001"),
                (IdentityKind.PHONE, "02195598001"),
                (IdentityKind.EMAIL, "energy@xinhua-steel.example"),
            ),
        ),
        now=at(2),
    )
    # a duplicate record of 张伟 created at the counter: a merge candidate
    create_customer(
        session,
        agent2,
        CustomerDraft(name="张伟", identities=((IdentityKind.PHONE, "+86 138-0013-8001"),)),
        now=at(3),
    )

    # --- the outage -------------------------------------------------------------------
    incident = open_incident(
        session,
        sup,
        title="新华路片区停电 Outage Xinhua Rd",
        area="Xinhua Rd 1–199",
        announcement="您好，新华路片区因电缆故障停电，抢修人员已到场，预计14:00前恢复供电。"
        " Power is out in the Xinhua Rd area; crews are on site.",
        now=at(20),
    )
    outage_orders: list[int] = []
    for i, cid in enumerate(cids[:6]):
        who = agent if i % 2 == 0 else agent2
        # The call opens the order: it is the order's opening contact (on the contact
        # card, no timeline event), not a customer message after creation, which would
        # spoil first-contact resolution. The agent takes the order, as on /call.
        d = open_work_order(
            session,
            who,
            WorkOrderDraft(
                customer_id=cid,
                type=WorkOrderType.REPAIR,
                channel=Channel.HOTLINE,
                subject="停电报修 No power",
                priority=Priority.HIGH,
                team_id=hotline.id,
                assignee_id=who.user_id,
                incident_id=incident.incident.id,
                hostile=(i == 3),
            ),
            now=at(5),
            opening_contact=OpeningContact(
                touchpoint="95598 hotline",
                summary="Heard the outage announcement; reported no power",
            ),
        )
        outage_orders.append(d.order.id)
    link_to_incident(
        session,
        agent,
        incident.incident.id,
        work_order_ids=outage_orders,
        contact_ids=[],
        now=at(1),
    )
    steel = open_work_order(
        session,
        agent,
        WorkOrderDraft(
            customer_id=plant.customer.id,
            type=WorkOrderType.REPAIR,
            channel=Channel.HOTLINE,
            subject="Production line down: feeder trip",
            priority=Priority.URGENT,
            team_id=repair.id,
            incident_id=incident.incident.id,
        ),
        now=at(3),
    )
    steel = assign_work_order(
        session,
        agent,
        steel.order.id,
        agent2.user_id or 0,
        version=steel.order.version,
        tier=Tier.L2,
        now=at(5),
    )
    steel = reply(
        session,
        agent2,
        steel.order.id,
        MessageKind.AGENT_REPLY,
        "Crew dispatched to your substation",
        now=at(8),
    )
    resolve_incident(
        session,
        sup,
        incident.incident.id,
        note="供电已恢复 Power restored. Thank you for your patience.",
        now=at(150),
    )

    # --- a billing complaint with recovery and return visit ------------------------------
    c = open_work_order(
        session,
        agent,
        WorkOrderDraft(
            customer_id=cids[6],
            type=WorkOrderType.COMPLAINT,
            channel=Channel.APP,
            subject="电费异常 Bill doubled",
            priority=Priority.HIGH,
            team_id=hotline.id,
        ),
        now=at(10),
    )
    record_recovery(
        session,
        agent,
        c.order.id,
        RecoveryDraft(
            step=RecoveryStep.COOL_DOWN,
            apology="非常抱歉给您带来困扰。We are sorry.",
            notice="We have received your complaint and are checking the meter reading.",
        ),
        now=at(15),
    )
    record_recovery(
        session,
        agent,
        c.order.id,
        RecoveryDraft(
            step=RecoveryStep.RESOLVE,
            cause=Cause5W1H(
                what="Bill doubled",
                why="Estimated reading, meter not read",
                who="Meter reader",
                where="Block 7",
                when="October",
                how="Reading estimated from last year",
            ),
            remedy="Corrected bill issued",
            compensation=Compensation(CompensationKind.CREDIT, 2000),
            notice="The bill has been corrected and a 20 yuan credit applied.",
        ),
        now=at(40),
    )
    cur = transition_work_order(
        session,
        agent,
        c.order.id,
        WorkOrderStatus.RESOLVED,
        version=session.get(WorkOrder, c.order.id).version,  # type: ignore[union-attr]
        now=at(5),
    )
    record_return_visit(
        session,
        agent,
        cur.order.id,
        satisfied=True,
        justice=JusticeScores(outcome=4, process=4, treatment=5),
        note="Customer satisfied with the correction",
        close=True,
        now=at(30),
    )

    # --- everyday consultations, one still waiting on the customer -----------------------
    for cid in cids[7:]:
        d = open_work_order(
            session,
            agent2,
            WorkOrderDraft(
                customer_id=cid,
                type=WorkOrderType.CONSULTATION,
                channel=Channel.CHAT,
                subject="电价咨询 Tariff question",
                team_id=hotline.id,
            ),
            now=at(12),
        )
        d = reply(
            session, agent2, d.order.id, MessageKind.AGENT_REPLY, "Tariff table sent", now=at(3)
        )
        transition_work_order(
            session,
            agent2,
            d.order.id,
            WorkOrderStatus.RESOLVED,
            version=d.order.version,
            now=at(1),
        )
    w = open_work_order(
        session,
        agent,
        WorkOrderDraft(
            customer_id=cids[4],
            type=WorkOrderType.SERVICE_REQUEST,
            channel=Channel.COUNTER,
            subject="增容申请 Capacity increase",
            team_id=hotline.id,
        ),
        now=at(10),
    )
    w = transition_work_order(
        session,
        agent,
        w.order.id,
        WorkOrderStatus.WAITING_CUSTOMER,
        version=w.order.version,
        now=at(5),
    )

    # --- the hotel ----------------------------------------------------------------------
    guest = create_customer(
        session,
        hotel,
        CustomerDraft(
            name="Anna Müller",
            customer_class=CustomerClass.VIP,
            identities=(
                (IdentityKind.EMAIL, "anna.mueller@example.de"),
                (IdentityKind.PHONE, "+49 170 1234567"),
                (IdentityKind.SOCIAL, "wechat:anna_m"),
            ),
            preferences={
                "room": "high floor, quiet",
                "pillow": "buckwheat",
                "dish": "vegetarian",
                "channel": "e-mail",
            },
        ),
        now=at(5),
    )
    add_transaction(
        session,
        hotel,
        TransactionDraft(
            customer_id=guest.customer.id,
            kind=TransactionKind.STAY,
            at=day - timedelta(days=90),
            amount_minor=268000,
            reference="FOLIO-88321",
            description="3 nights, deluxe",
        ),
        now=at(1),
    )
    add_transaction(
        session,
        hotel,
        TransactionDraft(
            customer_id=guest.customer.id,
            kind=TransactionKind.STAY,
            at=day,
            amount_minor=179000,
            reference="FOLIO-90412",
            description="2 nights, executive",
        ),
        now=at(1),
    )
    noisy = open_work_order(
        session,
        hotel,
        WorkOrderDraft(
            customer_id=guest.customer.id,
            type=WorkOrderType.COMPLAINT,
            channel=Channel.COUNTER,
            subject="Room noisy at night",
            team_id=front.id,
            priority=Priority.HIGH,
        ),
        now=at(8),
    )
    record_recovery(
        session,
        hotel,
        noisy.order.id,
        RecoveryDraft(
            step=RecoveryStep.INVESTIGATE,
            apology="We apologise for the disturbance.",
            notice="We are moving you to a quiet high-floor room now.",
        ),
        now=at(5),
    )
    praise = open_work_order(
        session,
        hotel,
        WorkOrderDraft(
            customer_id=guest.customer.id,
            type=WorkOrderType.PRAISE,
            channel=Channel.EMAIL,
            subject="Thanks to the concierge",
            team_id=front.id,
        ),
        now=at(20),
    )
    transition_work_order(
        session,
        hotel,
        praise.order.id,
        WorkOrderStatus.RESOLVED,
        version=praise.order.version,
        now=at(2),
    )
    log_contact(
        session,
        hotel,
        ContactDraft(
            customer_id=guest.customer.id,
            channel=Channel.COUNTER,
            direction=ContactDirection.INBOUND,
            touchpoint="front desk check-in",
            summary="Asked for buckwheat pillow (guest history)",
        ),
        now=at(1),
    )
    n_orders = len(session.scalars(select(WorkOrder.id)).all())
    n_customers = len(cids) + 3
    return SeedReport(
        {k: u.id for k, u in users.items()}, n_customers, n_orders, incident.incident.id
    )
