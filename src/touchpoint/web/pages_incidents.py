"""The supervisor's incident page (大面积停电 mode): open an incident with the
announcement agents read out and the hotline plays (自动播报), link orders to it, and
resolve it, which resolves the linked orders with a notice to each customer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.errors import DomainError
from touchpoint.services import incidents as incident_svc
from touchpoint.services import work_orders as order_svc
from touchpoint.services.directory import load_directory
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import CsrfDep, Page, SupervisorPage
from touchpoint.web.views import Names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The message shown after each write that redirects here (``?done=``).
_DONE = {
    "opened": "Incident opened. Agents see its announcement when they take a call.",
    "linked": "Orders linked to the incident.",
    "resolved": "Incident resolved: its open orders are resolved and each customer notified.",
}
#: Fields whose typed text survives a refused write.
_KEEP = ("title", "area", "announcement", "work_order_ids", "note")
#: Incidents the page shows, newest first: each brings up to 200 linked orders, so the
#: page stays bounded however many incidents the desk has had (the API pages through all).
_SHOWN = 50
_IDS = re.compile(r"[\s,，;；]+")


def _order_ids(raw: str) -> list[int]:
    """Order numbers typed as ``12, 15 #17``."""
    ids = []
    for part in _IDS.split(raw.replace("#", " ").strip()):
        if not part:
            continue
        if not part.isdigit():
            raise DomainError(
                f"work_order_ids: {part!r} is not an order number",
                code="not_order_number",
                params={"value": part},
            )
        ids.append(int(part))
    if not ids:
        raise DomainError("work_order_ids: give at least one order number", code="no_order_numbers")
    return ids


def _incidents_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    refusal: Refusal | None = None,
) -> Response:
    """The newest incidents with their linked orders; after a refused write, with the
    refusal and the typed text."""
    actor = page.principal.actor
    incidents = incident_svc.list_incidents(session, limit=_SHOWN)
    linked = {
        v.incident.id: order_svc.list_work_orders(
            session, actor, now=now, incident_id=v.incident.id, limit=200
        )
        for v in incidents
    }
    customer_ids = {d.order.customer_id for ds in linked.values() for d in ds}
    return render_form_page(
        request,
        page.viewer,
        "incidents.html",
        refusal=refusal,
        done=_DONE,
        incidents=incidents,
        linked=linked,
        names=Names(load_directory(session, customer_ids)),
    )


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request, page: SupervisorPage, session: SessionDep, now: NowDep
) -> Response:
    """The newest incidents (:data:`_SHOWN`), with their announcements and linked orders."""
    return _incidents_page(request, page, session, now)


async def _incident_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    done: str,
    run: Callable[[FormReader], object],
) -> Response:
    """Run one of the incident page's writes: back to the page with ``?done=``, or the
    page again with the refusal (an incident that is gone is refused there too)."""
    return await form_write(
        request,
        run,
        keep=_KEEP,
        redraw=lambda refusal: _incidents_page(request, page, session, now, refusal),
        done=f"/incidents?done={done}",
        missing_is_404=False,
    )


@router.post("/incidents")
async def incident_open(
    request: Request,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Open an incident with its announcement."""

    def run(form: FormReader) -> object:
        return incident_svc.open_incident(
            session,
            page.principal.actor,
            title=form.text("title"),
            area=form.text("area"),
            announcement=form.text("announcement"),
            now=now,
            after_commit=after,
        )

    return await _incident_write(request, page, session, now, "opened", run)


@router.post("/incidents/{incident_id}/link")
async def incident_link(
    request: Request,
    incident_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Link work orders (by number) to an open incident."""

    def run(form: FormReader) -> object:
        return incident_svc.link_to_incident(
            session,
            page.principal.actor,
            incident_id,
            work_order_ids=_order_ids(form.text("work_order_ids")),
            contact_ids=[],
            now=now,
        )

    return await _incident_write(request, page, session, now, "linked", run)


@router.post("/incidents/{incident_id}/resolve")
async def incident_resolve(
    request: Request,
    incident_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Resolve the incident and its open orders, with the notice each customer gets."""

    def run(form: FormReader) -> object:
        return incident_svc.resolve_incident(
            session,
            page.principal.actor,
            incident_id,
            note=form.text("note"),
            version=form.required_int("version"),
            now=now,
            after_commit=after,
        )

    return await _incident_write(request, page, session, now, "resolved", run)
