"""An order's return-visit survey as the order shows it (``return_visit_survey``): read
apart from :mod:`touchpoint.services.return_visits`, which writes them, so that the
order reads need nothing of the writing side."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse, SurveyWave

__all__ = [
    "NOT_ISSUED",
    "RETURN_VISIT_PURPOSE",
    "RETURN_VISIT_SURVEY_NAME",
    "ReturnVisitStatus",
    "ReturnVisitSurvey",
    "return_visit_of",
]

#: The name the desk gives the return-visit survey it makes itself
#: (``services.return_visits.month_wave_id``); supervisors may rename it.
RETURN_VISIT_SURVEY_NAME = "回访 Return visit"
#: The desk's return-visit survey's ``purpose``: each month finds it by this.
RETURN_VISIT_PURPOSE = "return_visit"


class ReturnVisitStatus(StrEnum):
    """An order's return visit as the order shows it."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


#: A return visit's invitation before it is issued, or never to be: neither invited nor
#: a non-response (the KPI board's return visits, a wave's counts).
NOT_ISSUED = (ReturnVisitStatus.SCHEDULED.value, ReturnVisitStatus.SKIPPED.value)


@dataclass(frozen=True, slots=True)
class ReturnVisitSurvey:
    """``return_visit_survey`` of an order: status, skip reason and the answer's scores."""

    status: ReturnVisitStatus
    reason: str | None
    csat: int | None
    nps: int | None


def return_visit_of(session: Session, order_id: int) -> ReturnVisitSurvey | None:
    """The order's latest return visit (None before its first resolution)."""
    row = session.execute(
        select(SurveyInvitation.id, SurveyInvitation.status, SurveyInvitation.reason)
        .join(SurveyWave, SurveyWave.id == SurveyInvitation.wave_id)
        .where(
            SurveyInvitation.work_order_id == order_id,
            SurveyWave.return_visit_month.is_not(None),
        )
        .order_by(SurveyInvitation.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    invitation_id, status, reason = row
    shown = {
        "opened": ReturnVisitStatus.SENT,
        "partial": ReturnVisitStatus.SENT,
    }.get(status) or ReturnVisitStatus(status)
    scores = None
    if shown is ReturnVisitStatus.COMPLETED:
        scores = session.execute(
            select(SurveyResponse.csat, SurveyResponse.nps).where(
                SurveyResponse.invitation_id == invitation_id
            )
        ).first()
    csat, nps = scores if scores is not None else (None, None)
    return ReturnVisitSurvey(status=shown, reason=reason or None, csat=csat, nps=nps)
