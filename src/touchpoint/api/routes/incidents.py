"""Mass incidents: open with an announcement, link, resolve with notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from touchpoint.api.convert import incident_public
from touchpoint.api.deps import IdPath, ReaderDesk, SupervisorDesk, WorkerDesk
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
def open_incident(body: IncidentCreate, d: SupervisorDesk) -> IncidentPublic:
    """Open a mass incident with the announcement the hotline plays."""
    view = svc.open_incident(
        d.session,
        d.actor,
        title=body.title,
        announcement=body.announcement,
        area=body.area,
        now=d.now,
        after_commit=d.after_commit,
    )
    return incident_public(view)


@router.get("", response_model=list[IncidentPublic])
def list_incidents(
    d: ReaderDesk,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LIST)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IncidentPublic]:
    """Incidents, newest first, a page at a time (``limit``, ``offset``)."""
    views = svc.list_incidents(d.session, open_only=open_only, limit=limit, offset=offset)
    return [incident_public(v) for v in views]


@router.get("/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: IdPath, d: ReaderDesk) -> IncidentPublic:
    """One incident."""
    return incident_public(svc.get_incident(d.session, incident_id))


@router.post("/{incident_id}/links", response_model=IncidentPublic)
def link_to_incident(
    incident_id: IdPath, body: IncidentLinkCreate, d: WorkerDesk
) -> IncidentPublic:
    """Link orders and contacts to an open incident."""
    view = svc.link_to_incident(
        d.session,
        d.actor,
        incident_id,
        work_order_ids=body.work_order_ids,
        contact_ids=body.contact_ids,
        now=d.now,
    )
    return incident_public(view)


@router.post("/{incident_id}/resolution", response_model=IncidentPublic)
def resolve_incident(
    incident_id: IdPath,
    body: IncidentResolveCreate,
    d: SupervisorDesk,
) -> IncidentPublic:
    """Resolve the incident and its open orders; every linked customer is notified."""
    view = svc.resolve_incident(
        d.session,
        d.actor,
        incident_id,
        note=body.note,
        version=body.version,
        now=d.now,
        after_commit=d.after_commit,
    )
    return incident_public(view)
