"""The work-order page: header, SLA panel and timeline, with the reply, status,
transfer, return-visit and service-recovery forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep, desk_state
from touchpoint.domain.contacts import Channel
from touchpoint.domain.errors import DomainError
from touchpoint.domain.recovery import (
    Cause5W1H,
    Compensation,
    CompensationKind,
    JusticeScores,
    RecoveryStep,
)
from touchpoint.domain.work_orders import Tier, WorkOrderStatus
from touchpoint.services import customers as customer_svc
from touchpoint.services import recovery as recovery_svc
from touchpoint.services import work_orders as order_svc
from touchpoint.services.auth import list_teams
from touchpoint.services.desk_reads import return_visits
from touchpoint.services.directory import assignable_users, load_directory
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import CsrfDep, Page, PageDep, WorkerPage
from touchpoint.web.views import Names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The message shown after each write that redirects here (``?done=``).
_DONE = {
    "replied": "Saved to the timeline.",
    "status": "Status changed.",
    "visit": "Return visit recorded.",
    "recovery": "Service recovery saved.",
    "opened": "Work order opened.",
    "assigned": "Order transferred. The first-contact owner stays accountable.",
}

#: Fields whose typed text survives a refused write.
_KEEP = ("body", "note", "notice", "apology", "remedy")


def _tiers_from(tier: Tier) -> list[Tier]:
    """The order's tier and those above it: a transfer moves up (L1 → L2 → expert)."""
    tiers = [tier]
    while (up := tiers[-1].next_up) is not None:
        tiers.append(up)
    return tiers


def _order_context(session: SessionDep, page: Page, now: datetime, order_id: int) -> dict[str, Any]:
    """What order.html shows: the order, its SLA panel, timeline (newest first), return
    visits, a complaint's recovery, and the choices of the forms the viewer may use."""
    actor = page.principal.actor
    detail = order_svc.get_work_order(session, actor, order_id, now=now)
    o = detail.order
    names = Names(load_directory(session, [o.customer_id]))
    state = order_svc.state_of(o)
    complaint = state.type.is_complaint
    return {
        "o": o,
        "sla": names.panel(detail),
        "names": names,
        "customer": customer_svc.get_customer(session, actor, o.customer_id),
        "events": list(reversed(detail.events)),
        "moves": list(state.allowed_moves()),
        "visits": return_visits(session, o.id),
        "return_visit": detail.return_visit,
        "recovery": recovery_svc.get_recovery(session, actor, o.id) if complaint else None,
        "can_work": actor.role.can_handle_orders,
        "is_complaint": complaint,
        "is_done": state.status.is_done,
        "steps": list(RecoveryStep),
        "compensations": list(CompensationKind),
        "channels": list(Channel),
        "assignees": assignable_users(session),
        "teams": [t for t, _members in list_teams(session)],
        "tiers_up": _tiers_from(Tier(o.tier)),
    }


def _order_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    order_id: int,
    refusal: Refusal | None = None,
) -> Response:
    """The order page; after a refused write, with the refusal and the typed text."""
    ctx = _order_context(session, page, now, order_id)
    return render_form_page(request, page.viewer, "order.html", refusal=refusal, done=_DONE, **ctx)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request, order_id: int, page: PageDep, session: SessionDep, now: NowDep
) -> Response:
    """One order: header, SLA panel, timeline and the forms the viewer may use."""
    return _order_page(request, page, session, now, order_id)


async def _order_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    order_id: int,
    done: str,
    run: Callable[[FormReader], object],
) -> Response:
    """Run one of the order page's writes: back to the page with ``?done=``, or the
    page again with the refusal and the typed text."""
    return await form_write(
        request,
        run,
        keep=_KEEP,
        redraw=lambda refusal: _order_page(request, page, session, now, order_id, refusal),
        done=f"/orders/{order_id}?done={done}",
    )


@router.post("/orders/{order_id}/reply")
async def order_reply(
    request: Request,
    order_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Reply to the customer, log the customer's message, or add an internal note."""

    def run(form: FormReader) -> object:
        return order_svc.reply(
            session,
            page.principal.actor,
            order_id,
            form.choice("kind", order_svc.MessageKind),
            form.text("body"),
            now=now,
            channel=form.choice("channel", Channel) if form.text("channel") else None,
            version=form.required_int("version"),
            hostile=form.flag("hostile"),
            after_commit=after,
        )

    return await _order_write(request, page, session, now, order_id, "replied", run)


@router.post("/orders/{order_id}/status")
async def order_status(
    request: Request,
    order_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Move the order to another status (only the allowed moves are offered)."""

    def run(form: FormReader) -> object:
        return order_svc.transition_work_order(
            session,
            page.principal.actor,
            order_id,
            form.choice("to", WorkOrderStatus),
            version=form.required_int("version"),
            now=now,
            note=form.text("note"),
            after_commit=after,
            links=desk_state(request).surveys,
        )

    return await _order_write(request, page, session, now, order_id, "status", run)


def _score(form: FormReader, name: str) -> int:
    value = form.integer(name)
    if value is None:
        raise DomainError(
            f"justice.{name}: required for a complaint",
            code="justice_required",
            params={"field": f"justice.{name}"},
        )
    return value


def _justice(form: FormReader) -> JusticeScores | None:
    """Perceived justice, when any of its three scores was given (then all three are
    required)."""
    if not any(form.text(k) for k in ("outcome", "process", "treatment")):
        return None
    return JusticeScores(
        outcome=_score(form, "outcome"),
        process=_score(form, "process"),
        treatment=_score(form, "treatment"),
    )


@router.post("/orders/{order_id}/return-visit")
async def order_return_visit(
    request: Request,
    order_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Record the return visit (回访): satisfaction and perceived justice; may close."""

    def run(form: FormReader) -> object:
        return order_svc.record_return_visit(
            session,
            page.principal.actor,
            order_id,
            satisfied=form.text("satisfied") == "yes",
            now=now,
            justice=_justice(form),
            note=form.text("note"),
            close=form.flag("close"),
            version=form.required_int("version"),
            after_commit=after,
            zone=desk_state(request).time_zone,
        )

    return await _order_write(request, page, session, now, order_id, "visit", run)


def _recovery_draft(form: FormReader) -> recovery_svc.RecoveryDraft:
    """The recovery form: step, 5W1H cause (when ``what`` or ``why`` is given), apology,
    remedy, compensation (an amount only for a monetary kind) and the progress notice."""
    cause = None
    if form.text("what") or form.text("why"):
        cause = Cause5W1H(
            what=form.text("what"),
            why=form.text("why"),
            who=form.text("who"),
            where=form.text("where"),
            when=form.text("when"),
            how=form.text("how"),
        )
    kind = form.choice("compensation_kind", CompensationKind, CompensationKind.NONE)
    amount = form.money_minor("compensation_amount") if kind.is_monetary else 0
    return recovery_svc.RecoveryDraft(
        step=form.choice("step", RecoveryStep),
        cause=cause,
        apology=form.text("apology"),
        remedy=form.text("remedy"),
        compensation=Compensation(kind, amount),
        notice=form.text("notice"),
    )


@router.post("/orders/{order_id}/recovery")
async def order_recovery(
    request: Request,
    order_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Save the complaint's service recovery and send a progress notice."""

    def run(form: FormReader) -> object:
        return recovery_svc.record_recovery(
            session,
            page.principal.actor,
            order_id,
            _recovery_draft(form),
            now=now,
            version=form.integer("recovery_version"),
            after_commit=after,
        )

    return await _order_write(request, page, session, now, order_id, "recovery", run)


@router.post("/orders/{order_id}/assign")
async def order_assign(
    request: Request,
    order_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Transfer the order to another agent and/or team, or up a tier (电子工单流转).

    The first-contact owner is never changed here: it stays accountable until closure.
    """
    actor = page.principal.actor

    def run(form: FormReader) -> object:
        assignee = form.integer("assignee_id")
        if assignee is None:  # a team or tier change keeps the current assignee
            current = order_svc.get_work_order(session, actor, order_id, now=now, with_events=False)
            assignee = current.order.assignee_id
        if assignee is None:
            raise DomainError("assignee_id: choose who takes the order", code="choose_assignee")
        return order_svc.assign_work_order(
            session,
            actor,
            order_id,
            assignee,
            version=form.required_int("version"),
            now=now,
            tier=form.choice("tier", Tier) if form.text("tier") else None,
            team_id=form.integer("team_id"),
            after_commit=after,
        )

    return await _order_write(request, page, session, now, order_id, "assigned", run)
