"""The agent's queue: open orders most urgent first, filtered, with live SLA countdowns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep
from touchpoint.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from touchpoint.services import work_orders as order_svc
from touchpoint.services.directory import load_directory
from touchpoint.web.site import Page, PageDep, render
from touchpoint.web.views import Names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

QueueFilters = Annotated[str, Query(max_length=40)]


def _queue_rows(
    session: SessionDep,
    page: Page,
    now: datetime,
    *,
    status: str,
    priority: str,
    type: str,
    mine: bool,
    q: str,
) -> tuple[list[dict[str, Any]], Names]:
    """The viewer's queue narrowed by the filters (``mine``: assigned to or owned by the
    viewer; ``q``: a word of the subject, or the order number)."""
    details = order_svc.queue(session, page.principal.actor, now=now)
    uid = page.principal.actor.user_id
    picked = [
        d
        for d in details
        if (not status or d.order.status == status)
        and (not priority or d.order.priority == priority)
        and (not type or d.order.type == type)
        and (not mine or uid in (d.order.assignee_id, d.order.owner_id))
        and (not q or q.lower() in d.order.subject.lower() or q == str(d.order.id))
    ]
    names = Names(load_directory(session, (d.order.customer_id for d in picked)))
    rows = [{"o": d.order, "sla": names.panel(d)} for d in picked]
    return rows, names


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    now: NowDep,
    status: QueueFilters = "",
    priority: QueueFilters = "",
    type: QueueFilters = "",
    mine: bool = False,
    q: QueueFilters = "",
) -> Response:
    """The viewer's queue, most urgent first, with live countdowns. HTMX requests (the
    filters) get only the rows."""
    rows, names = _queue_rows(
        session, page, now, status=status, priority=priority, type=type, mine=mine, q=q
    )
    template = "queue_rows.html" if request.headers.get("hx-request") else "queue.html"
    return render(
        request,
        page.viewer,
        template,
        rows=rows,
        names=names,
        now=now,
        filters={"status": status, "priority": priority, "type": type, "mine": mine, "q": q},
        statuses=[s for s in WorkOrderStatus if s.is_open],
        priorities=list(Priority),
        types=list(WorkOrderType),
        query=request.url.query,
    )
