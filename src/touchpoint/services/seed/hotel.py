"""The hotel: a VIP guest known by her history, a noise complaint and a word of praise."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, ContactDirection, TransactionKind
from touchpoint.domain.customers import CustomerClass, IdentityKind
from touchpoint.domain.recovery import RecoveryStep
from touchpoint.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from touchpoint.services.customers import (
    ContactDraft,
    CustomerDraft,
    TransactionDraft,
    add_transaction,
    create_customer,
    log_contact,
)
from touchpoint.services.recovery import RecoveryDraft, record_recovery
from touchpoint.services.seed.desk import DemoClock, Desk
from touchpoint.services.work_orders import WorkOrderDraft, open_work_order, transition_work_order

__all__ = ["hotel_guest_stay"]


def hotel_guest_stay(session: Session, desk: Desk, clock: DemoClock) -> None:
    """Anna Müller, a VIP with two stays on file: her noisy room is handled, her praise
    for the concierge recorded, and her pillow wish taken from her history at check-in."""
    guest_id = _returning_guest(session, desk, clock)
    hotel = desk.hotel
    noisy = open_work_order(
        session,
        hotel,
        WorkOrderDraft(
            customer_id=guest_id,
            type=WorkOrderType.COMPLAINT,
            channel=Channel.COUNTER,
            subject="Room noisy at night",
            team_id=desk.front.id,
            priority=Priority.HIGH,
        ),
        now=clock.after(8),
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
        now=clock.after(5),
    )
    praise = open_work_order(
        session,
        hotel,
        WorkOrderDraft(
            customer_id=guest_id,
            type=WorkOrderType.PRAISE,
            channel=Channel.EMAIL,
            subject="Thanks to the concierge",
            team_id=desk.front.id,
        ),
        now=clock.after(20),
    )
    transition_work_order(
        session,
        hotel,
        praise.order.id,
        WorkOrderStatus.RESOLVED,
        version=praise.order.version,
        now=clock.after(2),
    )
    log_contact(
        session,
        hotel,
        ContactDraft(
            customer_id=guest_id,
            channel=Channel.COUNTER,
            direction=ContactDirection.INBOUND,
            touchpoint="front desk check-in",
            summary="Asked for buckwheat pillow (guest history)",
        ),
        now=clock.after(1),
    )


def _returning_guest(session: Session, desk: Desk, clock: DemoClock) -> int:
    """The guest with her preferences and two stays (one three months ago, one now);
    returns her customer id."""
    hotel = desk.hotel
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
        now=clock.after(5),
    )
    stays = [
        (clock.day - timedelta(days=90), 268000, "FOLIO-88321", "3 nights, deluxe"),
        (clock.day, 179000, "FOLIO-90412", "2 nights, executive"),
    ]
    for at, amount, folio, description in stays:
        add_transaction(
            session,
            hotel,
            TransactionDraft(
                customer_id=guest.customer.id,
                kind=TransactionKind.STAY,
                at=at,
                amount_minor=amount,
                reference=folio,
                description=description,
            ),
            now=clock.after(1),
        )
    return guest.customer.id
