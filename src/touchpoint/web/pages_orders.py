"""Every order the viewer may see, not only the open ones of the queue (``/orders``):
newest first, narrowed by status (resolved and closed too), type, team and the local
dates they were opened on, or found by number; 50 a page. The orders are the API's
(``GET /api/work-orders``): the same visibility by team."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from touchpoint.api.deps import NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.domain.time_zones import local_period
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services import work_orders as order_svc
from touchpoint.services.directory import load_directory
from touchpoint.web.forms import Refusal, local_day, render_form_page
from touchpoint.web.site import PageDep
from touchpoint.web.views import Names, refused

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Orders per page.
PAGE_SIZE = 50
_Filter = Annotated[str, Query(max_length=40)]


def _choice(raw: str, enum: type[WorkOrderStatus] | type[WorkOrderType], field: str) -> str:
    """A filter's value, checked against its choices ('' for any)."""
    if raw and raw not in {e.value for e in enum}:
        raise DomainError(
            f"{field}: {raw!r} is not one of the choices",
            code="not_a_choice",
            params={"field": field, "value": raw},
        )
    return raw


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    now: NowDep,
    status: _Filter = "",
    type: _Filter = "",
    team: Annotated[str, Query(max_length=12, pattern=r"^\d*$")] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
    number: Annotated[str, Query(max_length=12)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The orders the viewer sees, newest first; an order number typed goes to its page."""
    if number.strip().lstrip("#").isdigit():
        return RedirectResponse(f"/orders/{int(number.strip().lstrip('#'))}", status_code=303)
    refusal = None
    created: tuple[date | None, date | None] = (None, None)
    try:
        status = _choice(status, WorkOrderStatus, "status")
        type = _choice(type, WorkOrderType, "type")
        created = (local_day(start, None), local_day(end, None))
        if created[0] and created[1] and created[1] < created[0]:
            raise DomainError("end: must not be before start", code="end_before_start")
    except DomainError as exc:  # a bad filter: every order, with the reason
        refusal = Refusal(refused(400, "invalid", exc))
        status = type = ""
        created = (None, None)
    tz = desk_state(request).time_zone
    lo = local_period(created[0], created[0], tz)[0] if created[0] else None
    hi = local_period(created[1], created[1], tz)[1] if created[1] else None
    details = order_svc.list_work_orders(
        session,
        page.principal.actor,
        now=now,
        status=WorkOrderStatus(status) if status else None,
        type=WorkOrderType(type) if type else None,
        team_id=int(team) if team else None,
        created=(lo, hi),
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    shown = details[:PAGE_SIZE]
    names = Names(load_directory(session, (d.order.customer_id for d in shown)))
    filters = {"status": status, "type": type, "team": team, "start": start, "end": end}
    return render_form_page(
        request,
        page.viewer,
        "orders.html",
        refusal=refusal,
        orders=[d.order for d in shown],
        names=names,
        filters=filters,
        query=urlencode({k: v for k, v in filters.items() if v}),
        statuses=list(WorkOrderStatus),
        types=list(WorkOrderType),
        offset=offset,
        more=len(details) > PAGE_SIZE,
        page_size=PAGE_SIZE,
    )
