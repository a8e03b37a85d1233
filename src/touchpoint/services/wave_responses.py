"""A wave's completed responses, one by one, newest first: what each customer answered,
to read the comments behind the scores (the wave's analyses give the aggregates).

Each entry carries the surveyed order (a return visit) and the service-recovery order
the answer opened, if any, so that a detractor's answer leads to what the desk did about
it. Detractors (CSAT ≤ 2 or NPS ≤ 6, as the closed loop counts them) can be read alone.
Read-only; a page at a time by the wave's index of responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from touchpoint.domain.survey_answers import DETRACTOR_CSAT, DETRACTOR_NPS
from touchpoint.domain.survey_definition import SurveyDefinition
from touchpoint.services.base import Actor, get_or_404, require
from touchpoint.services.surveys import wave_definition
from touchpoint.storage.models import WorkOrder
from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

__all__ = ["ResponseEntry", "ResponsePage", "wave_responses"]


@dataclass(frozen=True, slots=True)
class ResponseEntry:
    """One completed response (``customer_id`` None: anonymous or at a kiosk)."""

    id: int
    submitted_at: datetime
    customer_id: int | None
    channel: str
    work_order_id: int | None
    recovery_order_id: int | None
    csat: int | None
    nps: int | None
    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponsePage:
    """A page of a wave's responses, with the definition they answered."""

    definition: SurveyDefinition
    entries: list[ResponseEntry]
    more: bool


def wave_responses(
    session: Session,
    actor: Actor,
    wave_id: int,
    *,
    detractors: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> ResponsePage:
    """The wave's responses from ``offset``, newest first, ``limit`` of them (only the
    detractors' when ``detractors``); ``more`` tells whether a next page exists."""
    require(actor, actor.role.can_read_reports, "read responses")
    wave = get_or_404(session, SurveyWave, wave_id)
    r = SurveyResponse
    stmt = (
        select(r, WorkOrder.id)
        .outerjoin(WorkOrder, WorkOrder.origin_response_id == r.id)
        .where(r.wave_id == wave_id)
        .order_by(r.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    if detractors:
        stmt = stmt.where(or_(r.csat <= DETRACTOR_CSAT, r.nps <= DETRACTOR_NPS))
    rows = session.execute(stmt).all()
    entries = [
        ResponseEntry(
            id=row.id,
            submitted_at=row.submitted_at,
            customer_id=row.customer_id,
            channel=row.channel,
            work_order_id=row.work_order_id,
            recovery_order_id=recovery,
            csat=row.csat,
            nps=row.nps,
            answers=dict(row.answers or {}),
        )
        for row, recovery in rows[:limit]
    ]
    return ResponsePage(
        definition=wave_definition(session, wave), entries=entries, more=len(rows) > limit
    )
