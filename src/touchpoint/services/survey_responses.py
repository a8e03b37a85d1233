"""The respondent's side: open a signed link, save answers for later, submit, opt out.

No login: the signed token is the credential. An unknown or altered token is not found
(404); a link already answered is a conflict (409), also when the same link is submitted
many times at once (one response per invitation, held by a unique constraint); an
expired link, one of a closed wave or of a cancelled invitation is gone (410). Nothing is
written by a refused request. A kiosk link (a wave's counter or front desk) is not
single-use and has no customer; its answers are rate-limited per client. A detractor's
answer to a return visit (or an NPS or CSAT survey) opens its service-recovery order in
the same commit (``services.recovery_loop``); a return visit's answer keeps the surveyed
order's agent and team.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.roles import Role
from touchpoint.domain.survey_answers import Answers, check_answers, headline_scores
from touchpoint.domain.survey_definition import SurveyDefinition
from touchpoint.domain.survey_quotas import customer_segments, full_quota
from touchpoint.services.base import Actor, AfterCommit, write
from touchpoint.services.errors import ConflictError, GoneError, NotFoundError, RateLimited
from touchpoint.services.recovery_loop import open_recovery
from touchpoint.services.survey_invitations import Channel
from touchpoint.services.survey_links import LinkTarget, SurveyLinks
from touchpoint.services.surveys import (
    InvitationStatus,
    WaveStatus,
    completed_by_cell,
    quotas_of,
    wave_definition,
)
from touchpoint.storage.models import Customer, WorkOrder
from touchpoint.storage.survey_models import (
    Survey,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
    SurveyWave,
)

__all__ = [
    "RESPONDENT",
    "KioskGate",
    "RespondentSurvey",
    "open_survey",
    "opt_out",
    "read_survey",
    "save_progress",
    "submit_response",
]

#: Who the audit log names for a respondent's writes (no desk user).
RESPONDENT = Actor(user_id=None, username="respondent", role=Role.AGENT)


@dataclass(frozen=True, slots=True)
class RespondentSurvey:
    """What the respondent page shows: the wave's definition, the invitation's facts
    (for display logic), the answers saved so far and the competitor's name."""

    wave_id: int
    definition: SurveyDefinition
    context: Mapping[str, str]
    progress: Mapping[str, Any] | None
    competitor: str
    kiosk: bool
    #: The survey's template (None: its own definition).
    template: str | None = None


class KioskGate:
    """At most ``per_minute`` answers per client address and kiosk link, per server
    process (a kiosk is one device: a flood from it is a script, not customers)."""

    def __init__(self, per_minute: int = 20) -> None:
        self.per_minute = per_minute
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, kiosk_key: str, client: str, now: float | None = None) -> None:
        """Count one answer; ``RateLimited`` when the client sent its share this minute."""
        at = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen.clear()
            recent = self._seen.setdefault((kiosk_key, client), deque())
            while recent and at - recent[0] >= 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                wait = max(1, int(60 - (at - recent[0])) + 1)
                raise RateLimited(
                    f"too many answers from this device; try again in {wait} s",
                    retry_after=wait,
                    code="kiosk_rate_limited",
                )
            recent.append(at)


@dataclass(frozen=True, slots=True)
class _Link:
    wave: SurveyWave
    invitation: SurveyInvitation | None
    target: LinkTarget


def _resolve(session: Session, links: SurveyLinks, token: str, now: datetime) -> _Link:
    """The wave and invitation of a token that may still be answered, else 404/409/410."""
    target = links.read(token)
    if target.kiosk:
        wave = session.scalar(select(SurveyWave).where(SurveyWave.kiosk_key == target.kiosk_key))
        if wave is None:
            raise NotFoundError("survey link", token[:12] + "…")
        if wave.status != WaveStatus.OPEN:
            raise GoneError("this survey is closed", code="survey_closed")
        return _Link(wave, None, target)
    invitation = session.get(SurveyInvitation, target.invitation_id)
    if invitation is None or invitation.nonce != target.nonce:
        raise NotFoundError("survey link", token[:12] + "…")
    wave = session.get(SurveyWave, invitation.wave_id)
    if wave is None:
        raise NotFoundError("survey link", token[:12] + "…")
    if invitation.status == InvitationStatus.COMPLETED:
        raise ConflictError("this survey link was already answered", code="survey_answered")
    if invitation.status == InvitationStatus.CANCELLED:
        raise GoneError("this survey invitation was cancelled", code="survey_cancelled")
    if wave.status != WaveStatus.OPEN:
        raise GoneError("this survey is closed", code="survey_closed")
    if invitation.expires_at <= now:
        raise GoneError("this survey link has expired", code="survey_expired")
    return _Link(wave, invitation, target)


def _context(link: _Link) -> dict[str, str]:
    raw = link.invitation.context if link.invitation is not None else {}
    return {str(k): str(v) for k, v in raw.items()}


def _survey(session: Session, link: _Link) -> RespondentSurvey:
    return RespondentSurvey(
        wave_id=link.wave.id,
        definition=wave_definition(session, link.wave),
        context=_context(link),
        progress=link.invitation.progress if link.invitation is not None else None,
        competitor=link.wave.competitor,
        kiosk=link.target.kiosk,
        template=session.scalar(select(Survey.template).where(Survey.id == link.wave.survey_id)),
    )


def read_survey(
    session: Session, links: SurveyLinks, token: str, *, now: datetime
) -> RespondentSurvey:
    """The survey behind a link, read only (a posted form is read against it; the
    opening was recorded when its page was shown). The read's transaction is ended, so
    that the write which follows starts under the writer lock."""
    page = _survey(session, _resolve(session, links, token, now))
    session.rollback()
    return page


def open_survey(
    session: Session, links: SurveyLinks, token: str, *, now: datetime
) -> RespondentSurvey:
    """The survey behind a link, for the respondent page. The first opening of a
    personal link is recorded (the wave counts opened links)."""
    link = _resolve(session, links, token, now)
    page = _survey(session, link)
    invitation = link.invitation
    if invitation is not None and invitation.status == InvitationStatus.SENT:
        with write(session, RESPONDENT, "survey.link.open", now=now) as unit:
            invitation.status = InvitationStatus.OPENED.value
            invitation.opened_at = now
            unit.audit("survey_invitation", invitation.id, before=None, after={"opened": True})
    return page


def save_progress(
    session: Session, links: SurveyLinks, token: str, answers: object, *, now: datetime
) -> None:
    """Keep the answers given so far (checked, required ones not yet demanded), so that
    the respondent can come back to the same link and go on."""
    with write(session, RESPONDENT, "survey.progress", now=now) as unit:
        link = _resolve(session, links, token, now)
        if link.invitation is None:
            raise ConflictError("a kiosk survey is answered in one go", code="kiosk_no_progress")
        kept = check_answers(
            wave_definition(session, link.wave), answers, _context(link), partial=True
        )
        link.invitation.progress = kept
        link.invitation.status = InvitationStatus.PARTIAL.value
        link.invitation.opened_at = link.invitation.opened_at or now
        unit.audit("survey_invitation", link.invitation.id, before=None, after={"saved": len(kept)})


def submit_response(
    session: Session,
    links: SurveyLinks,
    token: str,
    answers: object,
    *,
    now: datetime,
    client: str = "",
    kiosk: KioskGate | None = None,
    after_commit: AfterCommit | None = None,
) -> int:
    """Store a completed response; returns its id. ``AnswerError`` (422) names a bad
    answer; a second submission of a personal link is a conflict (409)."""
    with write(session, RESPONDENT, "survey.respond", now=now, after_commit=after_commit) as unit:
        link = _resolve(session, links, token, now)
        definition = wave_definition(session, link.wave)
        kept = check_answers(definition, answers, _context(link))
        if link.invitation is None and kiosk is not None:
            kiosk.admit(link.target.kiosk_key, client)
        order_id = link.invitation.work_order_id if link.invitation is not None else None
        surveyed = session.get(WorkOrder, order_id) if order_id is not None else None
        response = _response(session, link, definition, kept, surveyed, now)
        _check_quota(session, link.wave, response)
        session.add(response)
        if link.invitation is not None:
            link.invitation.status = InvitationStatus.COMPLETED.value
            link.invitation.progress = None
        session.flush()
        recovery = open_recovery(
            session,
            unit,
            response_id=response.id,
            survey_id=link.wave.survey_id,
            surveyed=surveyed,
            wave_owner_id=link.wave.created_by,
            customer_id=response.customer_id,
            answers=kept,
            now=now,
        )
        audited = _audited(response)
        if recovery is not None:
            audited["recovery_work_order_id"] = recovery.id
        unit.audit("survey_response", response.id, before=None, after=audited)
        unit.notify(
            "survey.response.completed",
            {**_audited(response), "survey_id": link.wave.survey_id, "answers": kept},
        )
    return response.id


def _response(
    session: Session,
    link: _Link,
    definition: SurveyDefinition,
    answers: Answers,
    surveyed: WorkOrder | None,
    now: datetime,
) -> SurveyResponse:
    """The response row; ``surveyed`` is the order the invitation asked about, if any."""
    invitation = link.invitation
    customer_id = None if invitation is None or definition.anonymous else invitation.customer_id
    segments: dict[str, Any] = {}
    if customer_id is not None:
        # Two columns, not the customer (whose identities would be loaded with it).
        found = session.execute(
            select(Customer.customer_class, Customer.preferences).where(Customer.id == customer_id)
        ).first()
        if found is not None:
            segments.update(customer_segments(*found))
    if invitation is not None:
        segments.update({k: v for k, v in invitation.context.items() if k.startswith("seg_")})
    return SurveyResponse(
        wave_id=link.wave.id,
        invitation_id=invitation.id if invitation is not None else None,
        survey_version=link.wave.survey_version,
        customer_id=customer_id,
        channel=invitation.channel if invitation is not None else Channel.KIOSK.value,
        work_order_id=invitation.work_order_id if invitation is not None else None,
        touchpoint=invitation.touchpoint if invitation is not None else "",
        agent_id=(surveyed.assignee_id or surveyed.owner_id) if surveyed is not None else None,
        team_id=surveyed.team_id if surveyed is not None else None,
        answers=answers,
        **headline_scores(answers),
        segments=segments,
        submitted_at=now,
    )


def _check_quota(session: Session, wave: SurveyWave, response: SurveyResponse) -> None:
    """Refuse an answer in a cell whose quota is full (409, naming the cell)."""
    quotas = quotas_of(wave)
    if not quotas:
        return
    cell = {
        "customer_class": response.segments.get("customer_class"),
        "region": response.segments.get("region"),
        "channel": response.channel,
    }
    full = full_quota(quotas, cell, completed_by_cell(session, wave.id, quotas))
    if full is not None:
        raise ConflictError(
            f"this survey has all the answers it needs from {full.describe()}; thank you",
            code="quota_full",
            params={"segment": full.segment, "value": full.value},
        )


def _audited(response: SurveyResponse) -> dict[str, Any]:
    """A response as the audit log and the webhook name it (the answers go to the webhook
    only: they may hold free text about people)."""
    return {
        "response_id": response.id,
        "wave_id": response.wave_id,
        "invitation_id": response.invitation_id,
        "customer_id": response.customer_id,
        "work_order_id": response.work_order_id,
        "channel": response.channel,
    }


def opt_out(session: Session, links: SurveyLinks, token: str, *, now: datetime) -> int:
    """Record that the customer of a personal link is never to be surveyed again (works
    on answered and expired links too: the mail keeps its opt-out link); returns the
    customer id. Idempotent."""
    target = links.read(token)
    with write(session, RESPONDENT, "survey.opt_out", now=now) as unit:
        invitation = session.get(SurveyInvitation, target.invitation_id or 0)
        if target.kiosk or invitation is None or invitation.nonce != target.nonce:
            raise NotFoundError("survey link", token[:12] + "…")
        if invitation.customer_id is None:
            raise NotFoundError("customer of survey link", token[:12] + "…")
        customer_id = invitation.customer_id
        if session.get(SurveyOptOut, customer_id) is None:
            session.add(SurveyOptOut(customer_id=customer_id, at=now, source="link", via_link=True))
        unit.audit("customer", customer_id, before=None, after={"survey_opt_out": True})
    return customer_id
