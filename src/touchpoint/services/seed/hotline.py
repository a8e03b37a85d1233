"""The 95598 power-utility hotline's day: its customers, an outage incident, a billing
complaint with service recovery, and everyday consultations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, TransactionKind
from touchpoint.domain.customers import CustomerClass, CustomerKind, IdentityKind
from touchpoint.domain.recovery import (
    Cause5W1H,
    Compensation,
    CompensationKind,
    JusticeScores,
    RecoveryStep,
)
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.customers import (
    CustomerDraft,
    TransactionDraft,
    add_transaction,
    create_customer,
)
from touchpoint.services.incidents import link_to_incident, open_incident, resolve_incident
from touchpoint.services.recovery import RecoveryDraft, record_recovery
from touchpoint.services.seed.desk import DemoClock, Desk
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
from touchpoint.storage.models import WorkOrder

__all__ = [
    "billing_complaint",
    "everyday_consultations",
    "outage",
    "register_customers",
]

#: Residents: name, mobile, e-mail, electricity account, class.
_PEOPLE = [
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


def register_customers(session: Session, desk: Desk, clock: DemoClock) -> tuple[list[int], int]:
    """The residents with their October bills, the steel plant (a key account) and a
    duplicate record of 张伟 made at the counter (a merge candidate).

    Returns the residents' customer ids and the plant's.
    """
    agent = desk.agent
    cids: list[int] = []
    for name, phone, email, account, klass in _PEOPLE:
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
            now=clock.after(1),
        )
        cids.append(v.customer.id)
        add_transaction(
            session,
            agent,
            TransactionDraft(
                customer_id=v.customer.id,
                kind=TransactionKind.BILL,
                at=clock.day - timedelta(days=20),
                amount_minor=18650,
                reference=f"BILL-{account}-2610",
                description="Electricity bill, October",
            ),
            now=clock.after(0),
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
        now=clock.after(2),
    )
    create_customer(
        session,
        desk.agent2,
        CustomerDraft(name="张伟", identities=((IdentityKind.PHONE, "+86 138-0013-8001"),)),
        now=clock.after(3),
    )
    return cids, plant.customer.id


def outage(
    session: Session, desk: Desk, clock: DemoClock, residents: list[int], plant_id: int
) -> int:
    """A cable fault on Xinhua Rd: the incident is announced, six residents call in, the
    steel plant's line goes down, and power is restored. Returns the incident's id."""
    incident = open_incident(
        session,
        desk.supervisor,
        title="新华路片区停电 Outage Xinhua Rd",
        area="Xinhua Rd 1–199",
        announcement="您好，新华路片区因电缆故障停电，抢修人员已到场，预计14:00前恢复供电。"
        " Power is out in the Xinhua Rd area; crews are on site.",
        now=clock.after(20),
    )
    incident_id = incident.incident.id
    _residents_report_no_power(session, desk, clock, residents, incident_id)
    _plant_line_down(session, desk, clock, plant_id, incident_id)
    resolve_incident(
        session,
        desk.supervisor,
        incident_id,
        note="供电已恢复 Power restored. Thank you for your patience.",
        now=clock.after(150),
    )
    return incident_id


def _residents_report_no_power(
    session: Session, desk: Desk, clock: DemoClock, residents: list[int], incident_id: int
) -> None:
    """Six residents call the hotline (one of them hostile), each call opening a repair
    order linked to the incident."""
    outage_orders: list[int] = []
    for i, cid in enumerate(residents[:6]):
        who = desk.agent if i % 2 == 0 else desk.agent2
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
                team_id=desk.hotline.id,
                assignee_id=who.user_id,
                incident_id=incident_id,
                hostile=(i == 3),
            ),
            now=clock.after(5),
            opening_contact=OpeningContact(
                touchpoint="95598 hotline",
                summary="Heard the outage announcement; reported no power",
            ),
        )
        outage_orders.append(d.order.id)
    link_to_incident(
        session,
        desk.agent,
        incident_id,
        work_order_ids=outage_orders,
        contact_ids=[],
        now=clock.after(1),
    )


def _plant_line_down(
    session: Session, desk: Desk, clock: DemoClock, plant_id: int, incident_id: int
) -> None:
    """The steel plant's production line trips: an urgent repair, escalated to repair
    (L2), where a crew is dispatched."""
    agent, agent2 = desk.agent, desk.agent2
    steel = open_work_order(
        session,
        agent,
        WorkOrderDraft(
            customer_id=plant_id,
            type=WorkOrderType.REPAIR,
            channel=Channel.HOTLINE,
            subject="Production line down: feeder trip",
            priority=Priority.URGENT,
            team_id=desk.repair.id,
            incident_id=incident_id,
        ),
        now=clock.after(3),
    )
    steel = assign_work_order(
        session,
        agent,
        steel.order.id,
        agent2.user_id or 0,
        version=steel.order.version,
        tier=Tier.L2,
        now=clock.after(5),
    )
    reply(
        session,
        agent2,
        steel.order.id,
        MessageKind.AGENT_REPLY,
        "Crew dispatched to your substation",
        now=clock.after(8),
    )


def billing_complaint(session: Session, desk: Desk, clock: DemoClock, customer_id: int) -> None:
    """A doubled bill: the complaint is cooled down, its cause found and put right with a
    credit, then resolved and closed after a satisfied return visit."""
    agent = desk.agent
    c = open_work_order(
        session,
        agent,
        WorkOrderDraft(
            customer_id=customer_id,
            type=WorkOrderType.COMPLAINT,
            channel=Channel.APP,
            subject="电费异常 Bill doubled",
            priority=Priority.HIGH,
            team_id=desk.hotline.id,
        ),
        now=clock.after(10),
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
        now=clock.after(15),
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
        now=clock.after(40),
    )
    cur = transition_work_order(
        session,
        agent,
        c.order.id,
        WorkOrderStatus.RESOLVED,
        version=session.get(WorkOrder, c.order.id).version,  # type: ignore[union-attr]
        now=clock.after(5),
    )
    record_return_visit(
        session,
        agent,
        cur.order.id,
        satisfied=True,
        justice=JusticeScores(outcome=4, process=4, treatment=5),
        note="Customer satisfied with the correction",
        close=True,
        now=clock.after(30),
    )


def everyday_consultations(
    session: Session, desk: Desk, clock: DemoClock, consulting: list[int], waiting: int
) -> None:
    """Tariff questions answered and resolved over chat, and a capacity increase at the
    counter still waiting on the customer (``waiting``)."""
    agent2 = desk.agent2
    for cid in consulting:
        d = open_work_order(
            session,
            agent2,
            WorkOrderDraft(
                customer_id=cid,
                type=WorkOrderType.CONSULTATION,
                channel=Channel.CHAT,
                subject="电价咨询 Tariff question",
                team_id=desk.hotline.id,
            ),
            now=clock.after(12),
        )
        d = reply(
            session,
            agent2,
            d.order.id,
            MessageKind.AGENT_REPLY,
            "Tariff table sent",
            now=clock.after(3),
        )
        transition_work_order(
            session,
            agent2,
            d.order.id,
            WorkOrderStatus.RESOLVED,
            version=d.order.version,
            now=clock.after(1),
        )
    w = open_work_order(
        session,
        desk.agent,
        WorkOrderDraft(
            customer_id=waiting,
            type=WorkOrderType.SERVICE_REQUEST,
            channel=Channel.COUNTER,
            subject="增容申请 Capacity increase",
            team_id=desk.hotline.id,
        ),
        now=clock.after(10),
    )
    transition_work_order(
        session,
        desk.agent,
        w.order.id,
        WorkOrderStatus.WAITING_CUSTOMER,
        version=w.order.version,
        now=clock.after(5),
    )
