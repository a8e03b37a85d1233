"""The customer's survey card: every invitation (its status only: never a link or token,
for any role, since whoever holds one could answer for the customer) and every answer,
newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.storage.survey_models import Survey, SurveyInvitation, SurveyResponse, SurveyWave

__all__ = ["SurveyCardEntry", "survey_card"]


@dataclass(frozen=True, slots=True)
class SurveyCardEntry:
    """One invitation or answer on the card (an answer without an invitation: by phone,
    imported); ``at`` is when it was issued (or answered)."""

    at: datetime
    survey: str
    wave: str
    status: str
    reason: str | None
    channel: str
    work_order_id: int | None
    response_id: int | None
    submitted_at: datetime | None
    csat: int | None
    nps: int | None
    comment: str | None


def _answer_fields(answers: dict[str, Any] | None) -> dict[str, Any]:
    answers = answers or {}
    return {
        "csat": answers.get("CSAT"),
        "nps": answers.get("NPS"),
        "comment": answers.get("COMMENT") or answers.get("CI_STORY"),
    }


def survey_card(session: Session, customer_id: int, *, limit: int = 50) -> list[SurveyCardEntry]:
    """The customer's latest ``limit`` invitations and answers."""
    invited = session.execute(
        select(
            SurveyInvitation,
            Survey.name,
            SurveyWave.name,
            SurveyResponse.id,
            SurveyResponse.submitted_at,
            SurveyResponse.answers,
        )
        .join(SurveyWave, SurveyWave.id == SurveyInvitation.wave_id)
        .join(Survey, Survey.id == SurveyWave.survey_id)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(SurveyInvitation.customer_id == customer_id)
        .order_by(SurveyInvitation.id.desc())
        .limit(limit)
    ).all()
    entries = [
        SurveyCardEntry(
            at=inv.created_at,
            survey=survey,
            wave=wave,
            status=inv.status,
            reason=inv.reason or None,
            channel=inv.channel,
            work_order_id=inv.work_order_id,
            response_id=rid,
            submitted_at=submitted,
            **_answer_fields(answers),
        )
        for inv, survey, wave, rid, submitted, answers in invited
    ]
    uninvited = session.execute(
        select(SurveyResponse, Survey.name, SurveyWave.name)
        .join(SurveyWave, SurveyWave.id == SurveyResponse.wave_id)
        .join(Survey, Survey.id == SurveyWave.survey_id)
        .where(SurveyResponse.customer_id == customer_id, SurveyResponse.invitation_id.is_(None))
        .order_by(SurveyResponse.id.desc())
        .limit(limit)
    ).all()
    entries += [
        SurveyCardEntry(
            at=r.submitted_at,
            survey=survey,
            wave=wave,
            status="completed",
            reason=None,
            channel=r.channel,
            work_order_id=r.work_order_id,
            response_id=r.id,
            submitted_at=r.submitted_at,
            **_answer_fields(r.answers),
        )
        for r, survey, wave in uninvited
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
