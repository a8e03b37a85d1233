"""Taking a call: find the caller, create them as a customer, log the contact on their
contact card, or open a work order with the agent as its first-contact owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.services import customers as customer_svc
from touchpoint.services import work_orders as order_svc
from touchpoint.services.auth import list_teams
from touchpoint.services.incidents import list_incidents
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import CsrfDep, Page, WorkerPage, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: What an agent may record as a call's outcome on the call screen.
_OUTCOMES = [
    ContactOutcome.ANSWERED,
    ContactOutcome.ANNOUNCEMENT,
    ContactOutcome.TRANSFERRED,
    ContactOutcome.ABANDONED,
]


def _call_context(
    session: SessionDep, page: Page, now: datetime, q: str, customer_id: int | None
) -> dict[str, Any]:
    """The call screen's data: customers found for ``q``, the chosen caller with their
    open orders, teams, open incidents (their announcements) and the form choices."""
    actor = page.principal.actor
    found = customer_svc.search_customers(session, actor, q=q, limit=20) if q else []
    chosen = None
    open_orders: list[Any] = []
    if customer_id is not None:
        chosen = customer_svc.get_customer(session, actor, customer_id)
        open_orders = order_svc.list_work_orders(
            session, actor, now=now, customer_id=customer_id, open_only=True, limit=20
        )
    mine = sorted(actor.team_ids)
    return {
        "q": q,
        "found": found,
        "chosen": chosen,
        "open_orders": open_orders,
        "teams": [t for t, _members in list_teams(session)],
        "default_team": mine[0] if mine else None,
        "incidents": list_incidents(session, open_only=True),
        "types": list(WorkOrderType),
        "priorities": list(Priority),
        "channels": list(Channel),
        "outcomes": _OUTCOMES,
    }


#: What a refused form on the call screen comes back with, as typed (``form`` names which).
_ORDER_KEEP = (
    "form",
    "type",
    "channel",
    "priority",
    "team_id",
    "subject",
    "description",
    "summary",
    "incident_id",
    "take",
    "hostile",
)
_CONTACT_KEEP = ("form", "channel", "outcome", "incident_id", "summary", "hostile")


@router.get("/call", response_class=HTMLResponse)
def call_page(
    request: Request,
    page: WorkerPage,
    session: SessionDep,
    now: NowDep,
    q: Annotated[str, Query(max_length=200)] = "",
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """Take a call: find the caller by phone or name, then log the contact or open an
    order. HTMX requests get only the search results."""
    ctx = _call_context(session, page, now, q, customer_id)
    template = "call_results.html" if request.headers.get("hx-request") else "call.html"
    return render(request, page.viewer, template, **ctx)


def _redraw(
    request: Request, page: Page, session: SessionDep, now: datetime, customer_id: int | None
) -> Callable[[Refusal], Response]:
    """The call screen again, for ``customer_id``, with a refused write."""

    def redraw(refusal: Refusal) -> Response:
        # A known number: the customers who have it are listed, as a search for it would.
        shared = refusal.failure.code == "phone_in_use"
        q = refusal.draft.get("phone", "") if shared else ""
        ctx = _call_context(session, page, now, q, customer_id)
        return render_form_page(
            request, page.viewer, "call.html", refusal=refusal, shared_phone=shared, **ctx
        )

    return redraw


@router.post("/call/customer")
async def call_new_customer(
    request: Request,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Create the caller as a new customer with the phone number they call from."""

    def run(form: FormReader) -> customer_svc.CustomerView:
        phone = form.text("phone")
        idents = ((IdentityKind.PHONE, phone),) if phone else ()
        draft = customer_svc.CustomerDraft(
            name=form.text("name"), identities=idents, shared_phone=form.text("shared") == "1"
        )
        return customer_svc.create_customer(
            session, page.principal.actor, draft, now=now, after_commit=after
        )

    return await form_write(
        request,
        run,
        redraw=_redraw(request, page, session, now, None),
        done=lambda view: f"/call?customer_id={view.customer.id}&done=customer",
        keep=("name", "phone"),
        missing_is_404=False,
    )


@router.post("/call/contact")
async def call_log_contact(
    request: Request,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Log the call on the customer's contact card (answered on the spot, etc.)."""
    cid = FormReader(await request.form()).integer("customer_id")

    def run(form: FormReader) -> object:
        draft = customer_svc.ContactDraft(
            customer_id=form.required_int("customer_id"),
            channel=form.choice("channel", Channel, Channel.HOTLINE),
            direction=ContactDirection.INBOUND,
            touchpoint=form.text("touchpoint") or "hotline",
            outcome=form.choice("outcome", ContactOutcome, ContactOutcome.ANSWERED),
            summary=form.text("summary"),
            hostile=form.flag("hostile"),
            incident_id=form.integer("incident_id"),
        )
        return customer_svc.log_contact(
            session, page.principal.actor, draft, now=now, after_commit=after
        )

    return await form_write(
        request,
        run,
        redraw=_redraw(request, page, session, now, cid),
        done=f"/customers/{cid}?done=contact",
        keep=_CONTACT_KEEP,
        missing_is_404=False,
    )


def _order_draft(form: FormReader, agent_id: int | None) -> order_svc.WorkOrderDraft:
    """The order the call form describes; ``take`` assigns it to the agent at once."""
    return order_svc.WorkOrderDraft(
        customer_id=form.required_int("customer_id"),
        type=form.choice("type", WorkOrderType),
        channel=form.choice("channel", Channel, Channel.HOTLINE),
        subject=form.text("subject"),
        priority=form.choice("priority", Priority, Priority.NORMAL),
        description=form.text("description"),
        team_id=form.integer("team_id"),
        assignee_id=agent_id if form.flag("take") else None,
        incident_id=form.integer("incident_id"),
        hostile=form.flag("hostile"),
    )


@router.post("/call/order")
async def call_open_order(
    request: Request,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Open a work order for the caller; the agent becomes its first-contact owner."""
    cid = FormReader(await request.form()).integer("customer_id")
    actor = page.principal.actor

    def run(form: FormReader) -> order_svc.WorkOrderDetail:
        draft = _order_draft(form, actor.user_id)
        # the call that opened the order goes on the contact card (no timeline event)
        opening = order_svc.OpeningContact(
            touchpoint=form.text("touchpoint") or draft.channel.value,
            summary=form.text("summary") or draft.description,
        )
        return order_svc.open_work_order(
            session, actor, draft, now=now, after_commit=after, opening_contact=opening
        )

    return await form_write(
        request,
        run,
        redraw=_redraw(request, page, session, now, cid),
        done=lambda detail: f"/orders/{detail.order.id}?done=opened",
        keep=_ORDER_KEEP,
        missing_is_404=False,
    )
