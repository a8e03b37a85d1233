"""Demo data: a 95598 power-utility hotline day with an outage incident, and a hotel.

Every record is written through the same services as real traffic, stamped with the
instants of a day that ends at ``now``; the demo logins use known passwords. The day's
scenarios run in order (``desk``, ``hotline``, ``hotel``): their ids and instants follow
from that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchpoint.services.merge_refresh import refresh_merge_candidates
from touchpoint.services.seed.desk import DEMO_LOGINS, DemoClock, set_sla_policies, staff_the_desk
from touchpoint.services.seed.hotel import hotel_guest_stay
from touchpoint.services.seed.hotline import (
    billing_complaint,
    everyday_consultations,
    outage,
    register_customers,
)
from touchpoint.storage.models import User, WorkOrder

__all__ = ["DEMO_LOGINS", "SeedReport", "seed_demo"]


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
        return SeedReport(ids, 0, _orders(session), 0, already_seeded=True)
    day = now - timedelta(hours=9)
    clock = DemoClock(day, now)
    desk = staff_the_desk(session, day)
    set_sla_policies(session, desk, day)
    residents, plant_id = register_customers(session, desk, clock)
    incident_id = outage(session, desk, clock, residents, plant_id)
    billing_complaint(session, desk, clock, residents[6])
    everyday_consultations(session, desk, clock, residents[7:], waiting=residents[4])
    hotel_guest_stay(session, desk, clock)
    refresh_merge_candidates(session, now)  # the /merge page lists the demo's look-alikes
    n_orders = _orders(session)
    n_customers = len(residents) + 3
    return SeedReport({k: u.id for k, u in desk.users.items()}, n_customers, n_orders, incident_id)


def _orders(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(WorkOrder)) or 0)
