"""Surveys, waves, invitations and exports of responses (the respondent's own routes,
``/s/<token>``, are served with the pages: ``touchpoint.web.pages_respond``)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any

import segno
from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from touchpoint.api.deps import (
    CsvEncoding,
    IdPath,
    ReporterDesk,
    RequestDesk,
    SupervisorDesk,
    read_upload,
)
from touchpoint.api.errors import SURVEY_RESPONSES
from touchpoint.api.schemas.customers import ImportPublic
from touchpoint.api.schemas.surveys import (
    ChannelCountsPublic,
    InvitationCreate,
    InvitationPublic,
    InvitationResultPublic,
    QuotaPublic,
    SkippedPublic,
    SurveyCreate,
    SurveyPublic,
    SurveyUpdate,
    WaveCreate,
    WavePublic,
)
from touchpoint.api.schemas.wave_analysis import WaveAnalysisPublic
from touchpoint.services import (
    survey_exports,
    survey_imports,
    survey_invitations,
    surveys,
    wave_analysis,
)
from touchpoint.services.survey_exports import ExportFormat
from touchpoint.services.survey_invitations import Channel, InvitationView
from touchpoint.services.wave_analysis import AnalysisOptions, Instrument

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["surveys"], responses=SURVEY_RESPONSES)
_SPOOL_BYTES = 32 * 1024 * 1024


def _survey_public(view: surveys.SurveyView) -> SurveyPublic:
    return SurveyPublic(
        id=view.id,
        name=view.name,
        version=view.version,
        template=view.template,
        questions=[q.as_json() for q in view.definition.questions],
        definition=view.definition.as_json(),
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def _wave_public(view: surveys.WaveView, d: RequestDesk) -> WavePublic:
    kiosk = d.state.surveys.kiosk_url(view.kiosk_key) if d.actor.role.can_supervise else None
    return WavePublic(
        id=view.id,
        survey_id=view.survey_id,
        survey_version=view.survey_version,
        name=view.name,
        status=view.status.value,
        expires_in_days=view.expires_in_days,
        reminder_days=view.reminder_days,
        competitor=view.competitor,
        invited=view.invited,
        completed=view.completed,
        response_rate=view.response_rate,
        responses=view.responses,
        channels=[
            ChannelCountsPublic(
                channel=c.channel,
                invited=c.invited,
                opened=c.opened,
                partial=c.partial,
                completed=c.completed,
                cancelled=c.cancelled,
                reminded=c.reminded,
                response_rate=c.response_rate,
            )
            for c in view.channels
        ],
        quotas=[
            QuotaPublic(segment=q.segment, value=q.value, limit=q.limit, completed=n)
            for q, n in view.quotas
        ],
        kiosk_url=kiosk,
        created_at=view.created_at,
        closed_at=view.closed_at,
        version=view.version,
    )


def _invitation_public(view: InvitationView) -> InvitationPublic:
    return InvitationPublic(
        id=view.id,
        customer_id=view.customer_id,
        channel=view.channel,
        url=view.url,
        expires_at=view.expires_at,
        status=view.status,
        address=view.address,
        opened_at=view.opened_at,
        reminded_at=view.reminded_at,
    )


@router.post("/surveys", response_model=SurveyPublic, status_code=201)
def create_survey(body: SurveyCreate, d: ReporterDesk) -> SurveyPublic:
    """A survey from a template (``servqual``, ``servqual-zone``, ``kano`` with
    ``features``, ``nps``, ``csat``, ``ces``, ``return-visit``, ``critical-incident``,
    ``five-element``) or from a definition; 422 names what is wrong with a definition."""
    view = surveys.create_survey(
        d.session,
        d.actor,
        name=body.name,
        template=body.template,
        features=[f.model_dump() for f in body.features] if body.features else None,
        definition=body.definition,
        now=d.now,
    )
    return _survey_public(view)


@router.get("/surveys", response_model=list[SurveyPublic])
def list_surveys(
    d: ReporterDesk,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SurveyPublic]:
    """Surveys, newest first."""
    views = surveys.list_surveys(d.session, d.actor, limit=limit, offset=offset)
    return [_survey_public(v) for v in views]


@router.get("/surveys/{survey_id}", response_model=SurveyPublic)
def get_survey(survey_id: IdPath, d: ReporterDesk) -> SurveyPublic:
    """One survey with its current definition."""
    return _survey_public(surveys.get_survey(d.session, d.actor, survey_id))


@router.put("/surveys/{survey_id}", response_model=SurveyPublic)
def update_survey(survey_id: IdPath, body: SurveyUpdate, d: ReporterDesk) -> SurveyPublic:
    """Rename a survey or give it a new definition (a new version; waves keep theirs)."""
    view = surveys.update_survey(
        d.session,
        d.actor,
        survey_id,
        name=body.name,
        definition=body.definition,
        expected_version=body.version,
        now=d.now,
    )
    return _survey_public(view)


@router.post("/surveys/{survey_id}/waves", response_model=WavePublic, status_code=201)
def create_wave(survey_id: IdPath, body: WaveCreate, d: ReporterDesk) -> WavePublic:
    """Open a wave on the survey's current version."""
    view = surveys.create_wave(
        d.session,
        d.actor,
        survey_id,
        name=body.name,
        expires_in_days=body.expires_in_days,
        reminder_days=body.reminder_days,
        competitor=body.competitor,
        quotas=[q.model_dump() for q in body.quotas],
        now=d.now,
    )
    return _wave_public(view, d)


@router.get("/surveys/{survey_id}/waves", response_model=list[WavePublic])
def list_waves(survey_id: IdPath, d: ReporterDesk) -> list[WavePublic]:
    """The survey's waves, newest first, with their counts."""
    return [_wave_public(v, d) for v in surveys.list_waves(d.session, d.actor, survey_id)]


@router.get("/waves/{wave_id}", response_model=WavePublic)
def get_wave(wave_id: IdPath, d: ReporterDesk) -> WavePublic:
    """A wave: invited, completed, response rate, and the same per channel."""
    return _wave_public(surveys.get_wave(d.session, d.actor, wave_id), d)


@router.post("/waves/{wave_id}/close", response_model=WavePublic)
def close_wave(wave_id: IdPath, d: SupervisorDesk) -> WavePublic:
    """Close the wave: its unanswered links answer 410, no more invitations."""
    return _wave_public(surveys.close_wave(d.session, d.actor, wave_id, now=d.now), d)


@router.post("/waves/{wave_id}/invitations", response_model=InvitationResultPublic, status_code=201)
def invite(wave_id: IdPath, body: InvitationCreate, d: SupervisorDesk) -> InvitationResultPublic:
    """Invite customers: one signed single-use link each; e-mail and SMS are sent after
    commit. Skipped customers are listed with the reason."""
    result = survey_invitations.invite(
        d.session,
        d.actor,
        d.state.surveys,
        wave_id,
        customer_ids=body.customer_ids,
        channel=Channel(body.channel),
        ignore_throttle=body.ignore_throttle,
        now=d.now,
        after_commit=d.after_commit,
    )
    return InvitationResultPublic(
        invitations=[_invitation_public(v) for v in result.invitations],
        skipped=[
            SkippedPublic(customer_id=s.customer_id, reason=s.reason.value) for s in result.skipped
        ],
    )


@router.get("/waves/{wave_id}/invitations", response_model=list[InvitationPublic])
def list_invitations(
    wave_id: IdPath,
    d: ReporterDesk,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[InvitationPublic]:
    """A page of the wave's invitations (addresses masked for analysts, links shown only
    to those who may invite)."""
    views = survey_invitations.invitation_views(
        d.session, d.actor, d.state.surveys, wave_id, limit=limit, offset=offset
    )
    return [_invitation_public(v) for v in views]


@router.post("/waves/{wave_id}/reminders")
def send_reminders(wave_id: IdPath, d: SupervisorDesk) -> dict[str, int]:
    """Send the wave's one reminder to invitations unanswered after its reminder days."""
    sent = survey_invitations.send_reminders(
        d.session, d.actor, d.state.surveys, wave_id, now=d.now, after_commit=d.after_commit
    )
    return {"reminded": sent}


@router.post("/waves/{wave_id}/responses/import", response_model=ImportPublic, status_code=201)
def import_responses(
    wave_id: IdPath,
    file: Annotated[UploadFile, File(description="CSV or XLSX, columns as the export's")],
    d: SupervisorDesk,
    encoding: CsvEncoding = "utf-8",
) -> ImportPublic:
    """Import responses collected elsewhere: all rows or none (400 lists each bad row,
    column and value)."""
    data = read_upload(file)
    report = survey_imports.import_responses(
        d.session, d.actor, wave_id, data, file.filename or "", now=d.now, encoding=encoding
    )
    return ImportPublic(rows=report.rows, created_ids=report.created_ids)


# WaveAnalysisPublic documents the answer; the analysis is sent as built (no re-validation).
@router.get(
    "/waves/{wave_id}/analysis/{instrument}",
    response_model=None,
    responses={200: {"model": WaveAnalysisPublic}},
)
def analyze_wave(
    wave_id: IdPath,
    instrument: Instrument,
    d: ReporterDesk,
    by: Annotated[str | None, Query(max_length=100)] = None,
    column: Annotated[str | None, Query(max_length=100)] = None,
    scale: Annotated[str | None, Query(max_length=40)] = None,
    outcome: Annotated[str | None, Query(max_length=100)] = None,
    items: Annotated[str | None, Query(max_length=4000)] = None,
    weights: Annotated[str | None, Query(max_length=4000)] = None,
    attitude: Annotated[str | None, Query(max_length=100)] = None,
    repeat: Annotated[str | None, Query(max_length=100)] = None,
    attitude_cut: float | None = None,
    repeat_cut: float | None = None,
) -> dict[str, Any]:
    """The wave's responses analysed as ``touchpoint analyze INSTRUMENT`` analyses the
    wave's ``responses.parquet`` export, with the command's options as query parameters;
    422 names the column or cell the analysis cannot use."""
    options = AnalysisOptions(
        by=by,
        column=column,
        scale=scale,
        outcome=outcome,
        items=items,
        weights=weights,
        attitude=attitude,
        repeat=repeat,
        attitude_cut=attitude_cut,
        repeat_cut=repeat_cut,
    )
    return wave_analysis.analyze_wave(
        d.session, d.actor, wave_id, instrument, options, snapshots=d.state.snapshots
    )


@router.get("/waves/{wave_id}/kiosk.svg", response_class=Response)
def kiosk_qr(wave_id: IdPath, d: SupervisorDesk) -> Response:
    """The wave's kiosk link as a printable QR code (SVG)."""
    view = surveys.get_wave(d.session, d.actor, wave_id)
    buffer = io.BytesIO()
    segno.make(d.state.surveys.kiosk_url(view.kiosk_key), error="m").save(
        buffer, kind="svg", scale=8, border=2
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml")


@router.get("/waves/{wave_id}/responses.{fmt}", response_class=StreamingResponse)
def export_responses(wave_id: IdPath, fmt: ExportFormat, d: ReporterDesk) -> StreamingResponse:
    """The wave's responses, one row each, as ``touchpoint analyze`` reads them
    (``csv``, ``xlsx`` or ``parquet``); the export is audited."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (streamed, then closed)
    try:
        survey_exports.export_wave(d.session, d.actor, wave_id, fmt, spool, now=d.now)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(1024 * 1024):
                yield block

    name = f"wave-{wave_id}-responses.{fmt.value}"
    return StreamingResponse(
        chunks(),
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
