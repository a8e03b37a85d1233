"""Detractors to service recovery, and how well the loops close (the closed loop's
second half; DOMAIN.md §2 service recovery, §3.4).

A completed answer to a return visit, or to an ``nps`` or ``csat`` survey, with
``CSAT`` ≤ 2 or ``NPS`` ≤ 6 opens one service-recovery work order in the answer's own
commit: the same customer, type complaint, priority high, owned by the surveyed order's
first-contact owner (首问负责制; for a survey not tied to an order, the supervisor who made
the wave), in the surveyed order's team, under the recovery SLA policy (made when first
needed: first response within 24 business hours, resolution within five business days
of the surveyed order's calendar; editable like any policy). A unique index on the
order's ``origin_response_id`` makes a second order for one answer impossible. When the
recovery order is resolved its own return visit goes out (never throttled); the loop is
*closed* when the recovery order is resolved, *recovered* when that re-survey's answer is
not a detractor. Post-recovery satisfaction is reported as measured; no loyalty effect is
claimed (de Matos et al. 2007).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.contacts import Channel
from touchpoint.domain.survey_answers import detractor
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.services.base import Actor, WriteUnit
from touchpoint.services.order_opening import WorkOrderDraft, add_new_order
from touchpoint.services.order_write import published
from touchpoint.services.snapshots import snapshot
from touchpoint.storage.models import SlaCalendarRow, SlaPolicyRow, WorkOrder
from touchpoint.storage.survey_models import Survey

__all__ = [
    "RECOVERY_POLICY_NAME",
    "RECOVERY_PURPOSE",
    "RECOVERY_TEMPLATES",
    "is_detractor",
    "open_recovery",
]

RECOVERY_POLICY_NAME = "服务补救 Service recovery"
#: The recovery policy's ``purpose``: the loop finds it by this, whatever its name.
RECOVERY_PURPOSE = "service_recovery"
#: Surveys whose detractors open a recovery order.
RECOVERY_TEMPLATES = ("return-visit", "nps", "csat")
_FIRST_RESPONSE_MINUTES = 24 * 60
_RESOLUTION_DAYS = 5
_DEFAULT_CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}
_POLICIES = SlaPolicyRow.metadata.tables[SlaPolicyRow.__tablename__]
_CALENDARS = SlaCalendarRow.metadata.tables[SlaCalendarRow.__tablename__]
_SURVEYS = Survey.metadata.tables[Survey.__tablename__]


def is_detractor(answers: Mapping[str, Any]) -> bool:
    """An answer whose ``CSAT`` or ``NPS`` is a detractor's (``domain.survey_answers``)."""
    return detractor(answers.get("CSAT"), answers.get("NPS"))


def _day_minutes(definition: Mapping[str, Any]) -> int:
    """The longest weekday of a calendar, in minutes (a business day's length)."""
    week = BusinessCalendar.from_json(definition).hours
    longest = max(sum(r.end - r.start for r in ranges) for ranges in week) // 60
    return longest or 8 * 60


def _calendar_id(connection: Connection, surveyed_policy_id: int | None) -> int:
    """The surveyed order's calendar, else the desk's first, else a new office calendar."""
    if surveyed_policy_id is not None:
        found = connection.execute(
            select(_POLICIES.c.calendar_id).where(_POLICIES.c.id == surveyed_policy_id)
        ).scalar()
        if found is not None:
            return int(found)
    first = connection.execute(select(_CALENDARS.c.id).order_by(_CALENDARS.c.id).limit(1)).scalar()
    if first is not None:
        return int(first)
    made = connection.execute(
        insert(_CALENDARS).values(
            name="工作日 Office hours", definition=_DEFAULT_CALENDAR, version=1
        )
    ).inserted_primary_key
    return int(made[0]) if made else 0


def recovery_policy_id(connection: Connection, surveyed_policy_id: int | None) -> int:
    """The recovery SLA policy, found by its purpose (made when first needed, named
    :data:`RECOVERY_POLICY_NAME`, inactive so that no condition picks it for other
    orders)."""
    found = connection.execute(
        select(_POLICIES.c.id).where(_POLICIES.c.purpose == RECOVERY_PURPOSE)
    ).scalar()
    if found is not None:
        return int(found)
    calendar_id = _calendar_id(connection, surveyed_policy_id)
    calendar = connection.execute(
        select(_CALENDARS.c.definition).where(_CALENDARS.c.id == calendar_id)
    ).scalar_one()
    definition = {
        "first_response_minutes": _FIRST_RESPONSE_MINUTES,
        "resolution_minutes": _RESOLUTION_DAYS * _day_minutes(calendar),
    }
    made = connection.execute(
        insert(_POLICIES).values(
            name=RECOVERY_POLICY_NAME,
            definition=definition,
            calendar_id=calendar_id,
            rank=1000,
            types=[],
            priorities=[],
            customer_classes=[],
            channels=[],
            warn_share=0.8,
            active=False,
            version=1,
            purpose=RECOVERY_PURPOSE,
        )
    ).inserted_primary_key
    return int(made[0]) if made else 0


def open_recovery(
    session: Session,
    unit: WriteUnit,
    *,
    response_id: int,
    survey_id: int,
    surveyed: WorkOrder | None,
    wave_owner_id: int | None,
    customer_id: int | None,
    answers: Mapping[str, Any],
    now: datetime,
) -> WorkOrder | None:
    """The service-recovery order a detractor's answer opens (None when the answer is no
    detractor's, the survey is of another kind, or there is no customer or owner): owned
    by the ``surveyed`` order's first-contact owner, else by the wave's maker."""
    if customer_id is None or not is_detractor(answers):
        return None
    connection = session.connection()
    template = connection.execute(
        select(_SURVEYS.c.template).where(_SURVEYS.c.id == survey_id)
    ).scalar()
    if template not in RECOVERY_TEMPLATES:
        return None
    owner_id = surveyed.owner_id if surveyed is not None else wave_owner_id
    if owner_id is None:
        return None
    scores = ", ".join(f"{k} {answers[k]}" for k in ("CSAT", "NPS") if k in answers)
    comment = str(answers.get("COMMENT") or "")
    about = f" 工单 #{surveyed.id}" if surveyed is not None else ""
    draft = WorkOrderDraft(
        customer_id=customer_id,
        type=WorkOrderType.COMPLAINT,
        channel=Channel(surveyed.channel) if surveyed is not None else Channel.EMAIL,
        subject=f"服务补救 Service recovery{about}: {scores}"[:300],
        priority=Priority.HIGH,
        description=(
            f"回访答卷 #{response_id} / survey response #{response_id}: {scores}\n"
            f"顾客意见 / comment: {comment or '—'}"
        ),
        team_id=surveyed.team_id if surveyed is not None else None,
        owner_id=owner_id,
        policy_id=recovery_policy_id(
            connection, surveyed.policy_id if surveyed is not None else None
        ),
        recovery_of=surveyed.id if surveyed is not None else None,
        origin_response_id=response_id,
    )
    # Autoflush off: a phone return visit opens the recovery inside the surveyed order's
    # own write, whose changed order is saved by its single UPDATE, not by a flush.
    with session.no_autoflush:
        order, _report = add_new_order(session, Actor.system(), draft, owner_id=owner_id, now=now)
    payload = {"work_order": published(snapshot(order)), "response_id": response_id}
    unit.notify("work_order.opened", payload)
    unit.notify("work_order.recovery_opened", payload)
    return order
