"""The agent's pages: login, language, queue with live SLA countdowns, taking a call,
and the work-order page with its reply, status, return-visit and recovery forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from touchpoint.api.deps import SESSION_COOKIE, AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import DomainError
from touchpoint.domain.recovery import (
    Cause5W1H,
    Compensation,
    CompensationKind,
    JusticeScores,
    RecoveryStep,
)
from touchpoint.domain.work_orders import (
    TRANSITIONS,
    Priority,
    Tier,
    WorkOrderStatus,
    WorkOrderType,
)
from touchpoint.services import customers as customer_svc
from touchpoint.services import recovery as recovery_svc
from touchpoint.services import work_orders as order_svc
from touchpoint.services.auth import authenticate, list_teams
from touchpoint.services.errors import AuthenticationError, NotFoundError
from touchpoint.services.incidents import list_incidents
from touchpoint.storage.models import Recovery, ReturnVisit
from touchpoint.web import site
from touchpoint.web.forms import FormReader, failure_flash, form_write
from touchpoint.web.i18n import LOCALES, translations
from touchpoint.web.site import (
    LANG_COOKIE,
    CsrfDep,
    Page,
    PageDep,
    PageNotFound,
    ViewerDep,
    WorkerPage,
    redirect,
    render,
)
from touchpoint.web.views import Failure, Names, assignable_users, attempt

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "replied": "Saved to the timeline.",
    "status": "Status changed.",
    "visit": "Return visit recorded.",
    "recovery": "Service recovery saved.",
    "opened": "Work order opened.",
    "contact": "Contact logged on the customer's contact card.",
    "customer": "Customer created.",
    "assigned": "Order transferred. The first-contact owner stays accountable.",
}


# ---------------------------------------------------------------- login and language


@router.get("/", response_class=HTMLResponse)
def home(viewer: ViewerDep) -> Response:
    """Start at the queue (or the login form)."""
    return redirect("/queue" if viewer.principal is not None else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, viewer: ViewerDep, next: str = "/queue") -> Response:
    """The login form."""
    return render(request, viewer, "login.html", next=site.safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, viewer: CsrfDep, session: SessionDep) -> Response:
    """Check the password (argon2) and set the signed session cookie."""
    form = FormReader(await request.form())
    target = site.safe_next(form.text("next"))

    def respond() -> Response:
        try:
            user = authenticate(session, form.text("username"), form.text("password"))
        except AuthenticationError:
            _ = translations(viewer.locale).gettext
            return render(
                request,
                viewer,
                "login.html",
                status_code=401,
                next=target,
                username=form.text("username"),
                flashes=[("error", _("Unknown user or wrong password."))],
            )
        cookie = request.app.state.desk.signer.issue(user, cookie=True)
        response = redirect(target)
        response.set_cookie(
            SESSION_COOKIE, cookie, httponly=True, samesite="lax", max_age=12 * 3600
        )
        return response

    return await site.off_loop(request, respond)


@router.post("/logout")
def logout(_viewer: CsrfDep) -> Response:
    """Forget the session cookie."""
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/lang")
async def switch_language(request: Request, _viewer: CsrfDep) -> Response:
    """Keep the chosen language in a cookie and go back to the page."""
    form = FormReader(await request.form())
    lang = form.text("lang")
    response = redirect(site.safe_next(form.text("next")))
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response


# ---------------------------------------------------------------- queue


def _queue_rows(
    session: SessionDep,
    page: Page,
    now: Any,
    *,
    status: str,
    priority: str,
    type: str,
    mine: bool,
    q: str,
) -> tuple[list[dict[str, Any]], Names]:
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
    names = Names.load(session, (d.order.customer_id for d in picked))
    rows = [{"o": d.order, "sla": names.panel(d)} for d in picked]
    return rows, names


QueueFilters = Annotated[str, Query(max_length=40)]


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
    """The viewer's queue, most urgent first, with live countdowns."""
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


# ---------------------------------------------------------------- take a call


def _call_context(
    session: SessionDep, page: Page, now: Any, q: str, customer_id: int | None
) -> dict[str, Any]:
    actor = page.principal.actor
    found = customer_svc.search_customers(session, actor, q=q, limit=20) if q else []
    chosen = None
    open_orders: list[Any] = []
    if customer_id is not None:
        try:
            chosen = customer_svc.get_customer(session, actor, customer_id)
        except NotFoundError:
            raise PageNotFound from None
        open_orders = order_svc.list_work_orders(
            session, actor, now=now, customer_id=customer_id, open_only=True, limit=20
        )
    teams = [t for t, _members in list_teams(session)]
    mine = sorted(actor.team_ids)
    return {
        "q": q,
        "found": found,
        "chosen": chosen,
        "open_orders": open_orders,
        "teams": teams,
        "default_team": mine[0] if mine else None,
        "incidents": list_incidents(session, open_only=True),
        "types": list(WorkOrderType),
        "priorities": list(Priority),
        "channels": list(Channel),
        "outcomes": [
            ContactOutcome.ANSWERED,
            ContactOutcome.ANNOUNCEMENT,
            ContactOutcome.TRANSFERRED,
            ContactOutcome.ABANDONED,
        ],
    }


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


def _call_failure(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    failure: Failure,
    customer_id: int | None,
) -> Response:
    ctx = _call_context(session, page, now, "", customer_id)
    return render(
        request,
        page.viewer,
        "call.html",
        status_code=failure.status,
        flashes=[failure_flash(page.viewer, failure)],
        **ctx,
    )


T = TypeVar("T")


async def _call_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    run: Callable[[], T],
    customer_id: int | None,
    done: Callable[[T], str],
) -> Response:
    """Run a call-screen write off the loop: redirect to ``done(result)``, or show the
    call screen again with the refusal."""

    def respond() -> Response:
        result = attempt(run)
        if isinstance(result, Failure):
            return _call_failure(request, page, session, now, result, customer_id)
        return redirect(done(result))

    return await site.off_loop(request, respond)


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
    form = FormReader(await request.form())

    def run() -> customer_svc.CustomerView:
        phone = form.text("phone")
        idents = ((IdentityKind.PHONE, phone),) if phone else ()
        draft = customer_svc.CustomerDraft(name=form.text("name"), identities=idents)
        return customer_svc.create_customer(
            session, page.principal.actor, draft, now=now, after_commit=after
        )

    return await _call_write(
        request,
        page,
        session,
        now,
        run,
        None,
        lambda view: f"/call?customer_id={view.customer.id}&done=customer",
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
    form = FormReader(await request.form())
    cid = form.integer("customer_id")

    def run() -> object:
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

    return await _call_write(
        request, page, session, now, run, cid, lambda _: f"/customers/{cid}?done=contact"
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
    form = FormReader(await request.form())
    cid = form.integer("customer_id")
    actor = page.principal.actor

    def run() -> order_svc.WorkOrderDetail:
        draft = order_svc.WorkOrderDraft(
            customer_id=form.required_int("customer_id"),
            type=form.choice("type", WorkOrderType),
            channel=form.choice("channel", Channel, Channel.HOTLINE),
            subject=form.text("subject"),
            priority=form.choice("priority", Priority, Priority.NORMAL),
            description=form.text("description"),
            team_id=form.integer("team_id"),
            assignee_id=actor.user_id if form.flag("take") else None,
            incident_id=form.integer("incident_id"),
            hostile=form.flag("hostile"),
        )
        # the call that opened the order goes on the contact card (no timeline event)
        opening = order_svc.OpeningContact(
            touchpoint=form.text("touchpoint") or draft.channel.value,
            summary=form.text("summary") or draft.description,
        )
        return order_svc.open_work_order(
            session, actor, draft, now=now, after_commit=after, opening_contact=opening
        )

    return await _call_write(
        request,
        page,
        session,
        now,
        run,
        cid,
        lambda detail: f"/orders/{detail.order.id}?done=opened",
    )


# ---------------------------------------------------------------- work-order page


def _order_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    order_id: int,
    *,
    status_code: int = 200,
    flashes: list[tuple[str, str]] | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    actor = page.principal.actor
    try:
        detail = order_svc.get_work_order(session, actor, order_id, now=now)
    except NotFoundError:
        raise PageNotFound from None
    o = detail.order
    names = Names.load(session, [o.customer_id])
    state = order_svc.state_of(o)
    moves = [
        s
        for s in WorkOrderStatus
        if s in TRANSITIONS[state.status]
        and not (
            s is WorkOrderStatus.CLOSED
            and state.type.needs_return_visit
            and not state.has_return_visit
        )
    ]
    visits = list(
        session.scalars(
            select(ReturnVisit).where(ReturnVisit.work_order_id == o.id).order_by(ReturnVisit.id)
        )
    )
    recovery: Recovery | None = None
    if state.type.is_complaint:
        recovery = recovery_svc.get_recovery(session, actor, o.id)
    done = request.query_params.get("done", "")
    notes = list(flashes or [])
    if done in _DONE and not notes:
        notes.append(("ok", translations(page.viewer.locale).gettext(_DONE[done])))
    customer = customer_svc.get_customer(session, actor, o.customer_id)
    return render(
        request,
        page.viewer,
        "order.html",
        status_code=status_code,
        flashes=notes,
        o=o,
        sla=names.panel(detail),
        names=names,
        customer=customer,
        events=list(reversed(detail.events)),
        moves=moves,
        visits=visits,
        recovery=recovery,
        can_work=actor.role.can_handle_orders,
        is_complaint=state.type.is_complaint,
        is_done=state.status.is_done,
        steps=list(RecoveryStep),
        compensations=list(CompensationKind),
        channels=list(Channel),
        draft=draft or {},
        assignees=assignable_users(session),
        teams=[t for t, _members in list_teams(session)],
        tiers_up=_tiers_from(Tier(o.tier)),
    )


def _tiers_from(tier: Tier) -> list[Tier]:
    """The order's tier and those above it: a transfer moves up (L1 → L2 → expert)."""
    tiers = [tier]
    while (up := tiers[-1].next_up) is not None:
        tiers.append(up)
    return tiers


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
    now: Any,
    order_id: int,
    done: str,
    run: Callable[[FormReader], object],
) -> Response:
    return await form_write(
        request,
        run,
        keep=("body", "note", "notice", "apology", "remedy"),
        rerender=lambda failure, draft: _order_page(
            request,
            page,
            session,
            now,
            order_id,
            status_code=failure.status,
            flashes=[failure_flash(page.viewer, failure)],
            draft=draft,
        ),
        done_url=f"/orders/{order_id}?done={done}",
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
        )

    return await _order_write(request, page, session, now, order_id, "status", run)


def _score(form: FormReader, name: str) -> int:
    value = form.integer(name)
    if value is None:
        raise DomainError(f"justice.{name}: required for a complaint")
    return value


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
        justice = None
        if any(form.text(k) for k in ("outcome", "process", "treatment")):
            justice = JusticeScores(
                outcome=_score(form, "outcome"),
                process=_score(form, "process"),
                treatment=_score(form, "treatment"),
            )
        return order_svc.record_return_visit(
            session,
            page.principal.actor,
            order_id,
            satisfied=form.text("satisfied") == "yes",
            now=now,
            justice=justice,
            note=form.text("note"),
            close=form.flag("close"),
            version=form.required_int("version"),
            after_commit=after,
        )

    return await _order_write(request, page, session, now, order_id, "visit", run)


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
        draft = recovery_svc.RecoveryDraft(
            step=form.choice("step", RecoveryStep),
            cause=cause,
            apology=form.text("apology"),
            remedy=form.text("remedy"),
            compensation=Compensation(kind, amount),
            notice=form.text("notice"),
        )
        return recovery_svc.record_recovery(
            session,
            page.principal.actor,
            order_id,
            draft,
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
            raise DomainError("assignee_id: choose who takes the order")
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
