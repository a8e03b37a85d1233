"""Mass incidents: open with an announcement, link, resolve with notices."""

from __future__ import annotations

from fastapi import APIRouter

from touchpoint.api.convert import incident_public
from touchpoint.api.deps import (
    AfterCommitDep,
    IdPath,
    NowDep,
    Reader,
    SessionDep,
    Supervisor,
    Worker,
)
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
    IncidentCreate,
    IncidentLinkCreate,
    IncidentPublic,
    IncidentResolveCreate,
)
from touchpoint.services import incidents as svc

__all__ = ["router"]

router = APIRouter(prefix="/api/incidents", tags=["incidents"], responses=ERROR_RESPONSES)


@router.post("", response_model=IncidentPublic, status_code=201)
def open_incident(
    body: IncidentCreate, session: SessionDep, p: Supervisor, now: NowDep, ac: AfterCommitDep
) -> IncidentPublic:
    """Open a mass incident with the announcement the hotline plays."""
    view = svc.open_incident(
        session,
        p.actor,
        title=body.title,
        announcement=body.announcement,
        area=body.area,
        now=now,
        after_commit=ac,
    )
    return incident_public(view)


@router.get("", response_model=list[IncidentPublic])
def list_incidents(session: SessionDep, p: Reader, open_only: bool = False) -> list[IncidentPublic]:
    """Incidents, newest first."""
    del p
    return [incident_public(v) for v in svc.list_incidents(session, open_only=open_only)]


@router.get("/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: IdPath, session: SessionDep, p: Reader) -> IncidentPublic:
    """One incident."""
    del p
    return incident_public(svc.get_incident(session, incident_id))


@router.post("/{incident_id}/links", response_model=IncidentPublic)
def link_to_incident(
    incident_id: IdPath, body: IncidentLinkCreate, session: SessionDep, p: Worker, now: NowDep
) -> IncidentPublic:
    """Link orders and contacts to an open incident."""
    view = svc.link_to_incident(
        session,
        p.actor,
        incident_id,
        work_order_ids=body.work_order_ids,
        contact_ids=body.contact_ids,
        now=now,
    )
    return incident_public(view)


@router.post("/{incident_id}/resolution", response_model=IncidentPublic)
def resolve_incident(
    incident_id: IdPath,
    body: IncidentResolveCreate,
    session: SessionDep,
    p: Supervisor,
    now: NowDep,
    ac: AfterCommitDep,
) -> IncidentPublic:
    """Resolve the incident and its open orders; every linked customer is notified."""
    view = svc.resolve_incident(
        session,
        p.actor,
        incident_id,
        note=body.note,
        version=body.version,
        now=now,
        after_commit=ac,
    )
    return incident_public(view)
