"""The demo desk before its first call: logins, teams, business calendars, SLA policies,
and the clock of the demo day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import Tier, WorkOrderType
from touchpoint.services.auth import TeamDraft, UserDraft, actor_for, create_team, create_user
from touchpoint.services.base import Actor
from touchpoint.services.errors import ConflictError
from touchpoint.services.sla_admin import PolicyDraft, create_calendar, create_policy
from touchpoint.storage.models import Team, User

__all__ = [
    "DEMO_LOGINS",
    "ROUND_THE_CLOCK",
    "WORKDAY",
    "DemoClock",
    "Desk",
    "set_sla_policies",
    "staff_the_desk",
]

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


class DemoClock:
    """The demo day's clock: each step happens some minutes after the previous one,
    never after ``now``."""

    def __init__(self, day: datetime, now: datetime) -> None:
        self.day = day
        self._now = now
        self._last = day

    def after(self, minutes: float) -> datetime:
        """The instant ``minutes`` after the previous step (capped at ``now``)."""
        self._last = self._last + timedelta(minutes=minutes)
        return min(self._last, self._now)


@dataclass(frozen=True, slots=True)
class Desk:
    """The demo's people and teams, and the actors the scenarios act as."""

    users: dict[str, User]
    hotline: Team
    repair: Team
    front: Team
    supervisor: Actor
    agent: Actor
    agent2: Actor
    hotel: Actor


def staff_the_desk(session: Session, day: datetime) -> Desk:
    """The demo logins (existing ones kept) and the three teams: the 95598 hotline (L1),
    repair (L2) and the hotel front desk."""
    system = Actor.system()
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

    def team(name: str, tier: Tier, *members: str) -> Team:
        draft = TeamDraft(
            name=name,
            tier=tier,
            supervisor_id=users["supervisor"].id,
            member_ids=tuple(users[m].id for m in members),
        )
        return create_team(session, system, draft, now=day)

    hotline = team("95598 hotline L1", Tier.L1, "agent", "agent2")
    repair = team("Repair L2", Tier.L2, "agent2")
    front = team("Hotel front desk", Tier.L1, "hotel")
    return Desk(
        users=users,
        hotline=hotline,
        repair=repair,
        front=front,
        supervisor=actor_for(session, users["supervisor"]),
        agent=actor_for(session, users["agent"]),
        agent2=actor_for(session, users["agent2"]),
        hotel=actor_for(session, users["hotel"]),
    )


def set_sla_policies(session: Session, desk: Desk, day: datetime) -> None:
    """Office hours and 24×7 calendars, and four policies: repairs round the clock, complaints
    and the standard in office hours, key accounts first."""
    sup = desk.supervisor
    office = create_calendar(session, sup, "Office hours (Asia/Shanghai)", WORKDAY, now=day)
    always = create_calendar(session, sup, "24×7 (Asia/Shanghai)", ROUND_THE_CLOCK, now=day)
    drafts = [
        PolicyDraft(
            name="Repair 24×7: respond 30 min, restore 4 h",
            calendar_id=always.id,
            rank=10,
            types=(WorkOrderType.REPAIR,),
            definition=_targets(30, 60, "agent_reply", 240),
        ),
        PolicyDraft(
            name="Complaints: respond 60 min, resolve 2 days",
            calendar_id=office.id,
            rank=20,
            types=(WorkOrderType.COMPLAINT,),
            warn_share=0.75,
            definition=_targets(60, 240, "customer_message", 960),
        ),
        PolicyDraft(
            name="Key accounts: respond 15 min",
            calendar_id=always.id,
            rank=5,
            customer_classes=(CustomerClass.KEY_ACCOUNT, CustomerClass.VIP),
            definition=_targets(15, 60, "customer_message", 480),
        ),
        PolicyDraft(
            name="Standard: respond 2 h, resolve 3 days",
            calendar_id=office.id,
            rank=100,
            definition=_targets(120, None, "customer_message", 1440),
        ),
    ]
    for draft in drafts:
        create_policy(session, sup, draft, now=day)


def _targets(
    first_response: int, next_update: int | None, next_update_from: str, resolution: int
) -> dict[str, object]:
    return {
        "first_response_minutes": first_response,
        "next_update_minutes": next_update,
        "next_update_from": next_update_from,
        "resolution_minutes": resolution,
    }
