"""The supervisor's incident page (大面积停电 mode): open an incident with the
announcement agents read out and the hotline plays (自动播报), link orders to it, and
resolve it, which resolves the linked orders with a notice to each customer."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.errors import DomainError
from touchpoint.services import incidents as incident_svc
from touchpoint.services import work_orders as order_svc
from touchpoint.web.forms import FormReader, failure_flash, form_write
from touchpoint.web.i18n import translations
from touchpoint.web.site import CsrfDep, Page, SupervisorPage, render
from touchpoint.web.views import Names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "opened": "Incident opened. Agents see its announcement when they take a call.",
    "linked": "Orders linked to the incident.",
    "resolved": "Incident resolved: its open orders are resolved and each customer notified.",
}
_IDS = re.compile(r"[\s,，;；]+")


def _order_ids(raw: str) -> list[int]:
    """Order numbers typed as ``12, 15 #17``."""
    ids = []
    for part in _IDS.split(raw.replace("#", " ").strip()):
        if not part:
            continue
        if not part.isdigit():
            raise DomainError(f"work_order_ids: {part!r} is not an order number")
        ids.append(int(part))
    if not ids:
        raise DomainError("work_order_ids: give at least one order number")
    return ids


def _incidents_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    *,
    status_code: int = 200,
    flashes: list[tuple[str, str]] | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    actor = page.principal.actor
    incidents = incident_svc.list_incidents(session)
    linked = {
        v.incident.id: order_svc.list_work_orders(
            session, actor, now=now, incident_id=v.incident.id, limit=200
        )
        for v in incidents
    }
    names = Names.load(session, {d.order.customer_id for ds in linked.values() for d in ds})
    notes = list(flashes or [])
    done = request.query_params.get("done", "")
    if done in _DONE and not notes:
        notes.append(("ok", translations(page.viewer.locale).gettext(_DONE[done])))
    return render(
        request,
        page.viewer,
        "incidents.html",
        status_code=status_code,
        flashes=notes,
        incidents=incidents,
        linked=linked,
        names=names,
        draft=draft or {},
    )


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request, page: SupervisorPage, session: SessionDep, now: NowDep
) -> Response:
    """Every incident, newest first, with its announcement and linked orders."""
    return _incidents_page(request, page, session, now)


async def _incident_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    done: str,
    run: Any,
) -> Response:
    return await form_write(
        request,
        run,
        keep=("title", "area", "announcement", "work_order_ids", "note"),
        rerender=lambda failure, draft: _incidents_page(
            request,
            page,
            session,
            now,
            status_code=failure.status,
            flashes=[failure_flash(page.viewer, failure)],
            draft=draft,
        ),
        done_url=f"/incidents?done={done}",
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
