"""The demo seed: a 95598 hotline day with an outage, a complaint with recovery, a hotel."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.storage.support import Database
from touchpoint.services.auth import authenticate
from touchpoint.services.seed import DEMO_LOGINS, seed_demo
from touchpoint.storage.models import Incident, Recovery, ReturnVisit, WorkOrder


def test_seed_demo_builds_the_day_once(db: Database) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    with db.factory() as s:
        report = seed_demo(s, now)
        assert not report.already_seeded and report.work_orders == 14
        for name, (password, role) in DEMO_LOGINS.items():
            assert authenticate(s, name, password).role == role.value
        inc = s.get(Incident, report.incident_id)
        assert inc is not None and inc.status == "resolved"
        linked = s.scalars(select(WorkOrder.status).where(WorkOrder.incident_id == inc.id)).all()
        assert len(linked) == 7 and set(linked) == {"resolved"}
        assert s.scalar(select(func.count()).select_from(Recovery)) == 2
        assert s.scalar(select(func.count()).select_from(ReturnVisit)) == 1
        assert (
            s.scalar(
                select(func.count())
                .select_from(WorkOrder)
                .where(WorkOrder.status == "waiting_customer")
            )
            == 1
        )
        again = seed_demo(s, now)
        assert again.already_seeded
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == report.work_orders
