"""Surveys and their waves: create a survey from a template or a definition of one's own,
edit it (a new version), open a wave on its current version, close it, count it.

Roles (issue 22): analysts, supervisors and admins create and edit surveys and waves and
read them; only supervisors and admins invite customers or close a wave; agents do none
of it. Every write is one audited write unit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError, empty_field
from touchpoint.domain.survey_definition import (
    DefinitionError,
    SurveyDefinition,
    parse_definition,
)
from touchpoint.domain.survey_quotas import Quota, parse_quotas
from touchpoint.domain.survey_templates import template_definition
from touchpoint.services.base import Actor, check_version, get_or_404, require, snapshot, write
from touchpoint.services.errors import ConflictError, NotFoundError
from touchpoint.services.return_visit_reads import NOT_ISSUED, RETURN_VISIT_PURPOSE
from touchpoint.services.survey_links import new_nonce
from touchpoint.storage.survey_models import (
    Survey,
    SurveyInvitation,
    SurveyResponse,
    SurveyVersion,
    SurveyWave,
)

__all__ = [
    "ChannelCounts",
    "InvitationStatus",
    "SurveyView",
    "WaveStatus",
    "WaveView",
    "close_wave",
    "completed_by_cell",
    "create_survey",
    "create_wave",
    "definition_for",
    "get_survey",
    "get_wave",
    "list_surveys",
    "list_waves",
    "quotas_of",
    "update_survey",
    "wave_definition",
]


class WaveStatus(StrEnum):
    """A wave is open (links answer, invitations are issued) until it is closed."""

    OPEN = "open"
    CLOSED = "closed"


class InvitationStatus(StrEnum):
    """Where an invitation stands: issued, its link opened, answers saved for later,
    answered, or cancelled (its link then answers 410)."""

    SENT = "sent"
    OPENED = "opened"
    PARTIAL = "partial"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def answerable(self) -> bool:
        """The link may still be answered (if neither expired nor its wave closed)."""
        return self in (InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class SurveyView:
    """A survey with its current definition."""

    id: int
    name: str
    version: int
    template: str | None
    definition: SurveyDefinition
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    """A wave's invitations through one channel, by how far they got."""

    channel: str
    invited: int
    opened: int
    partial: int
    completed: int
    cancelled: int
    reminded: int

    @property
    def response_rate(self) -> float | None:
        """Completed over invited (AAPOR RR1: every non-response counts), unrounded."""
        return self.completed / self.invited if self.invited else None


@dataclass(frozen=True, slots=True)
class WaveView:
    """A wave and its counts; ``responses`` includes the kiosk's (no invitation).

    The channel counts are of issued invitations only: a return visit still waiting for
    its delay (``scheduled``) or never to be sent (``skipped``: a mass incident's order,
    a praise without a customer message …) is neither invited nor a non-response, as on
    the KPI board; ``not_issued`` counts those two by status.
    """

    id: int
    survey_id: int
    survey_version: int
    name: str
    status: WaveStatus
    expires_in_days: int
    reminder_days: int | None
    competitor: str
    kiosk_key: str
    created_at: datetime
    closed_at: datetime | None
    version: int
    channels: tuple[ChannelCounts, ...]
    responses: int
    quotas: tuple[tuple[Quota, int], ...] = ()
    not_issued: tuple[tuple[str, int], ...] = ()

    @property
    def invited(self) -> int:
        """Invitations issued (cancelled ones included)."""
        return sum(c.invited for c in self.channels)

    @property
    def completed(self) -> int:
        """Invitations answered."""
        return sum(c.completed for c in self.channels)

    @property
    def response_rate(self) -> float | None:
        """Completed over invited, unrounded; None while nobody was invited."""
        return self.completed / self.invited if self.invited else None


@lru_cache(maxsize=256)
def _parsed(document: str) -> SurveyDefinition:
    """A stored definition, parsed once per distinct document (versions never change)."""
    return parse_definition(json.loads(document))


def definition_for(stored: Mapping[str, Any]) -> SurveyDefinition:
    """The parsed definition of a stored definition document."""
    return _parsed(json.dumps(stored, sort_keys=True, ensure_ascii=False))


def wave_definition(session: Session, wave: SurveyWave) -> SurveyDefinition:
    """The definition of the survey version a wave was opened on."""
    stored = session.get(SurveyVersion, (wave.survey_id, wave.survey_version))
    if stored is None:
        raise NotFoundError("survey version", f"{wave.survey_id}/{wave.survey_version}")
    return definition_for(stored.definition)


def _definition_from(
    template: str | None, features: Sequence[Mapping[str, Any]] | None, raw: object
) -> SurveyDefinition:
    if (template is None) == (raw is None):
        raise DomainError("survey: give either a template or a definition")
    if template is not None:
        try:
            document = template_definition(
                template, features=[dict(f) for f in features] if features else None
            )
        except DomainError as exc:  # an unknown template or bad features: the body is wrong
            raise DefinitionError(str(exc), code=exc.code, params=exc.params) from None
        return parse_definition(document)
    if features:
        raise DomainError("features: only the kano template takes features")
    return parse_definition(raw)


def create_survey(
    session: Session,
    actor: Actor,
    *,
    name: str,
    template: str | None = None,
    features: Sequence[Mapping[str, Any]] | None = None,
    definition: object = None,
    now: datetime,
) -> SurveyView:
    """A new survey (version 1) from a built-in template or a definition of one's own."""
    require(actor, actor.role.can_read_reports, "create surveys")
    if not name.strip():
        raise empty_field("name")
    parsed = _definition_from(template, features, definition)
    document = parsed.as_json()
    with write(session, actor, "survey.create", now=now) as unit:
        survey = Survey(
            name=name.strip(),
            template=template,
            definition=document,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(survey)
        session.flush()
        session.add(
            SurveyVersion(survey_id=survey.id, version=1, definition=document, created_at=now)
        )
        unit.audit("survey", survey.id, before=None, after=snapshot(survey))
    return _survey_view(survey, parsed)


def update_survey(
    session: Session,
    actor: Actor,
    survey_id: int,
    *,
    name: str | None = None,
    definition: object = None,
    expected_version: int | None = None,
    now: datetime,
) -> SurveyView:
    """Rename a survey or give it a new definition: a new version, which new waves use;
    open waves and stored responses keep theirs."""
    require(actor, actor.role.can_read_reports, "edit surveys")
    parsed = parse_definition(definition) if definition is not None else None
    with write(session, actor, "survey.update", now=now) as unit:
        survey = get_or_404(session, Survey, survey_id)
        check_version("survey", survey_id, survey.version, expected_version)
        _keep_return_visit_survey(survey, parsed)
        before = snapshot(survey)
        if name is not None:
            if not name.strip():
                raise empty_field("name")
            survey.name = name.strip()
        if parsed is not None:
            survey.definition = parsed.as_json()
            survey.template = None
        survey.updated_at = now
        was = survey.version
        session.flush()
        # Every edit is a version, a rename too: a wave opened on it reads its definition
        # (an edit that changed nothing at all made no new version).
        if survey.version != was:
            session.add(
                SurveyVersion(
                    survey_id=survey.id,
                    version=survey.version,
                    definition=survey.definition,
                    created_at=now,
                )
            )
        unit.audit("survey", survey.id, before=before, after=snapshot(survey))
    return _survey_view(survey, definition_for(survey.definition))


def _keep_return_visit_survey(survey: Survey, parsed: SurveyDefinition | None) -> None:
    """The desk's own return-visit survey keeps its questions: the closed loop reads its
    answers by their ids (CSAT, NPS, the justice items). Its name may change: each month
    finds it by its purpose."""
    if survey.purpose != RETURN_VISIT_PURPOSE or parsed is None:
        return
    raise DomainError(
        f"survey {survey.id}: the desk's return-visit survey keeps its questions",
        code="return_visit_survey_fixed",
    )


def _survey_view(survey: Survey, parsed: SurveyDefinition) -> SurveyView:
    return SurveyView(
        id=survey.id,
        name=survey.name,
        version=survey.version,
        template=survey.template,
        definition=parsed,
        created_at=survey.created_at,
        updated_at=survey.updated_at,
    )


def get_survey(session: Session, actor: Actor, survey_id: int) -> SurveyView:
    """One survey with its current definition."""
    require(actor, actor.role.can_read_reports, "read surveys")
    survey = get_or_404(session, Survey, survey_id)
    return _survey_view(survey, definition_for(survey.definition))


def list_surveys(
    session: Session, actor: Actor, *, limit: int = 100, offset: int = 0
) -> list[SurveyView]:
    """Surveys, newest first, a page at a time."""
    require(actor, actor.role.can_read_reports, "read surveys")
    rows = session.scalars(select(Survey).order_by(Survey.id.desc()).limit(limit).offset(offset))
    return [_survey_view(s, definition_for(s.definition)) for s in rows]


def create_wave(
    session: Session,
    actor: Actor,
    survey_id: int,
    *,
    name: str,
    expires_in_days: int = 14,
    reminder_days: int | None = None,
    competitor: str = "",
    quotas: object = None,
    now: datetime,
) -> WaveView:
    """Open a wave of a survey on its current version, with its quotas (if any)."""
    require(actor, actor.role.can_read_reports, "create waves")
    if not name.strip():
        raise empty_field("name")
    if not 1 <= expires_in_days <= 365:
        raise DomainError(
            f"expires_in_days: {expires_in_days} must be 1..365",
            code="wave_expiry",
            params={"value": expires_in_days},
        )
    if reminder_days is not None and not 1 <= reminder_days < expires_in_days:
        raise DomainError(
            f"reminder_days: {reminder_days} must be at least 1 and before the links expire "
            f"({expires_in_days} days)",
            code="wave_reminder",
            params={"value": reminder_days, "expires": expires_in_days},
        )
    cells = parse_quotas(quotas)
    with write(session, actor, "survey.wave.create", now=now) as unit:
        survey = get_or_404(session, Survey, survey_id)
        wave = SurveyWave(
            survey_id=survey.id,
            survey_version=survey.version,
            name=name.strip(),
            expires_in_days=expires_in_days,
            reminder_days=reminder_days,
            competitor=competitor.strip(),
            status=WaveStatus.OPEN.value,
            quotas=[q.as_json() for q in cells],
            kiosk_key=new_nonce(),
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(wave)
        session.flush()
        unit.audit("survey_wave", wave.id, before=None, after=_wave_snapshot(wave))
    return _wave_view(session, wave)


def close_wave(session: Session, actor: Actor, wave_id: int, *, now: datetime) -> WaveView:
    """Close a wave: its unanswered links answer 410 from now on, and it issues no more
    invitations. Closing a closed wave is a conflict."""
    require(actor, actor.role.can_supervise, "close waves")
    with write(session, actor, "survey.wave.close", now=now) as unit:
        wave = get_or_404(session, SurveyWave, wave_id)
        if wave.status == WaveStatus.CLOSED:
            raise ConflictError(f"wave {wave_id} is already closed", code="wave_closed")
        before = _wave_snapshot(wave)
        wave.status = WaveStatus.CLOSED.value
        wave.closed_at = now
        session.flush()
        unit.audit("survey_wave", wave.id, before=before, after=_wave_snapshot(wave))
    return _wave_view(session, wave)


def get_wave(session: Session, actor: Actor, wave_id: int) -> WaveView:
    """A wave with its counts per channel."""
    require(actor, actor.role.can_read_reports, "read waves")
    return _wave_view(session, get_or_404(session, SurveyWave, wave_id))


def list_waves(session: Session, actor: Actor, survey_id: int) -> list[WaveView]:
    """The waves of a survey, newest first."""
    require(actor, actor.role.can_read_reports, "read waves")
    get_or_404(session, Survey, survey_id)
    waves = session.scalars(
        select(SurveyWave).where(SurveyWave.survey_id == survey_id).order_by(SurveyWave.id.desc())
    )
    return [_wave_view(session, w) for w in waves]


def quotas_of(wave: SurveyWave) -> tuple[Quota, ...]:
    """The wave's quotas as stored (checked when the wave was made)."""
    return parse_quotas(wave.quotas)


def completed_by_cell(
    session: Session, wave_id: int, quotas: Sequence[Quota]
) -> dict[tuple[str, str], int]:
    """Completed responses of the wave per (segment, value), for the segments its quotas
    cut it by: the channel is a column of the response, the customer's class and region
    are kept in its segments."""
    counts: dict[tuple[str, str], int] = {}
    for segment in sorted({q.segment for q in quotas}):
        if segment == "channel":
            column: Any = SurveyResponse.channel
        else:
            column = SurveyResponse.segments[segment].as_string()
        rows = session.execute(
            select(column, func.count()).where(SurveyResponse.wave_id == wave_id).group_by(column)
        )
        counts.update({(segment, str(value)): int(n) for value, n in rows if value is not None})
    return counts


def _wave_snapshot(wave: SurveyWave) -> dict[str, Any]:
    """A wave as audited: the kiosk key is a credential and stays out of the log."""
    return snapshot(wave, exclude=("kiosk_key",))


def _wave_view(session: Session, wave: SurveyWave) -> WaveView:
    inv = SurveyInvitation
    status = inv.status

    def count(*values: InvitationStatus) -> Any:
        return func.sum(case((status.in_([v.value for v in values]), 1), else_=0))

    issued = status.not_in(NOT_ISSUED)
    rows = session.execute(
        select(
            inv.channel,
            func.count(),
            count(InvitationStatus.OPENED, InvitationStatus.PARTIAL, InvitationStatus.COMPLETED),
            count(InvitationStatus.PARTIAL),
            count(InvitationStatus.COMPLETED),
            count(InvitationStatus.CANCELLED),
            func.count(inv.reminded_at),
        )
        .where(inv.wave_id == wave.id, issued)
        .group_by(inv.channel)
        .order_by(inv.channel)
    ).all()
    not_issued = session.execute(
        select(status, func.count())
        .where(inv.wave_id == wave.id, status.in_(NOT_ISSUED))
        .group_by(status)
        .order_by(status)
    ).all()
    responses = session.scalar(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.wave_id == wave.id)
    )
    wave_quotas = quotas_of(wave)
    filled = completed_by_cell(session, wave.id, wave_quotas)
    return WaveView(
        id=wave.id,
        survey_id=wave.survey_id,
        survey_version=wave.survey_version,
        name=wave.name,
        status=WaveStatus(wave.status),
        expires_in_days=wave.expires_in_days,
        reminder_days=wave.reminder_days,
        competitor=wave.competitor,
        kiosk_key=wave.kiosk_key,
        created_at=wave.created_at,
        closed_at=wave.closed_at,
        version=wave.version,
        channels=tuple(
            ChannelCounts(channel, *(int(n or 0) for n in counts)) for channel, *counts in rows
        ),
        responses=int(responses or 0),
        quotas=tuple((q, filled.get((q.segment, q.value), 0)) for q in wave_quotas),
        not_issued=tuple((str(name), int(n)) for name, n in not_issued),
    )
