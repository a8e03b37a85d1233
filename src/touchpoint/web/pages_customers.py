"""Customer pages: search, customer 360 (identities, guest history, transaction and
contact cards, open orders) and the supervisor's merge screen with undo."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.customers import CustomerClass, IdentityKind
from touchpoint.domain.errors import DomainError
from touchpoint.services import customers as customer_svc
from touchpoint.services import merge as merge_svc
from touchpoint.services.errors import NotFoundError
from touchpoint.storage.models import Customer
from touchpoint.web.forms import FormReader, failure_flash, form_write
from touchpoint.web.i18n import translations
from touchpoint.web.site import (
    CsrfDep,
    Page,
    PageDep,
    PageNotFound,
    SupervisorPage,
    WorkerPage,
    off_loop,
    redirect,
    render,
)
from touchpoint.web.views import Failure, Names, attempt

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "contact": "Contact logged on the customer's contact card.",
    "merged": "Customers merged. Every contact, transaction and order moved; undo below.",
    "unmerged": "Merge undone: the customer and its records are back.",
    "identity": "Identity added.",
    "edited": "Customer saved.",
}
_PREF_LINE = re.compile(r"^([^:=：]+)[:=：](.*)$")


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Search customers by name, phone, e-mail or account number."""
    found = customer_svc.search_customers(session, page.principal.actor, q=q, limit=50)
    return render(request, page.viewer, "customers.html", q=q, found=found)


def _customer_page(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    customer_id: int,
    *,
    status_code: int = 200,
    flashes: list[tuple[str, str]] | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    actor = page.principal.actor
    try:
        c360 = customer_svc.customer_360(session, actor, customer_id, now=now)
    except NotFoundError:
        raise PageNotFound from None
    names = Names.load(session, [customer_id])
    merged_into = c360.customer.customer.merged_into_id
    notes = list(flashes or [])
    done = request.query_params.get("done", "")
    if done in _DONE and not notes:
        notes.append(("ok", translations(page.viewer.locale).gettext(_DONE[done])))
    prefs = "\n".join(f"{k}: {v}" for k, v in c360.preferences.items())
    return render(
        request,
        page.viewer,
        "customer.html",
        status_code=status_code,
        flashes=notes,
        c=c360,
        customer=c360.customer.customer,
        names=names,
        open_rows=[{"o": d.order, "sla": names.panel(d)} for d in c360.open_orders],
        merged_into=merged_into,
        can_work=actor.role.can_handle_orders,
        classes=list(CustomerClass),
        identity_kinds=list(IdentityKind),
        draft=draft or {},
        prefs_text=prefs,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request, customer_id: int, page: PageDep, session: SessionDep, now: NowDep
) -> Response:
    """Customer 360 (identities masked for analysts)."""
    return _customer_page(request, page, session, now, customer_id)


def parse_preferences(text: str) -> dict[str, str]:
    """Guest history typed one ``name: value`` per line (``=`` and ``：`` work too)."""
    prefs: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _PREF_LINE.match(line.strip())
        if m is None:
            raise DomainError(f"preferences: line {n} {line.strip()!r} is not 'name: value'")
        prefs[m.group(1).strip()] = m.group(2).strip()
    return prefs


async def _customer_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: Any,
    customer_id: int,
    done: str,
    run: Any,
) -> Response:
    return await form_write(
        request,
        run,
        keep=("name", "customer_class", "preferences", "kind", "value"),
        rerender=lambda failure, draft: _customer_page(
            request,
            page,
            session,
            now,
            customer_id,
            status_code=failure.status,
            flashes=[failure_flash(page.viewer, failure)],
            draft=draft,
        ),
        done_url=f"/customers/{customer_id}?done={done}",
    )


@router.post("/customers/{customer_id}/identities")
async def customer_add_identity(
    request: Request,
    customer_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Add a phone, e-mail, account number or social/app id to the customer."""

    def run(form: FormReader) -> object:
        return customer_svc.add_identity(
            session,
            page.principal.actor,
            customer_id,
            form.choice("kind", IdentityKind),
            form.text("value"),
            now=now,
        )

    return await _customer_write(request, page, session, now, customer_id, "identity", run)


@router.post("/customers/{customer_id}/edit")
async def customer_edit(
    request: Request,
    customer_id: int,
    page: WorkerPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Edit the customer's name, class and guest history; a stale form gets 409."""

    def run(form: FormReader) -> object:
        changes = customer_svc.CustomerChanges(
            name=form.text("name"),
            customer_class=form.choice("customer_class", CustomerClass),
            preferences=parse_preferences(form.text("preferences")),
        )
        return customer_svc.update_customer(
            session,
            page.principal.actor,
            customer_id,
            changes,
            version=form.required_int("version"),
            now=now,
            after_commit=after,
        )

    return await _customer_write(request, page, session, now, customer_id, "edited", run)


def _merge_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    *,
    status_code: int = 200,
    flashes: list[tuple[str, str]] | None = None,
) -> Response:
    candidates = merge_svc.find_merge_candidates(session, page.principal.actor, limit=50)
    ids = {c.a_id for c in candidates} | {c.b_id for c in candidates}
    merges = merge_svc.list_merges(session)[:30]
    ids |= {m.survivor_id for m in merges} | {m.merged_id for m in merges}
    names = Names.load(session, ids)
    counts = {}
    if ids:
        for c in session.scalars(select(Customer).where(Customer.id.in_(sorted(ids)))):
            counts[c.id] = customer_svc.customer_view(c, page.principal.actor)
    notes = list(flashes or [])
    done = request.query_params.get("done", "")
    if done in _DONE and not notes:
        notes.append(("ok", translations(page.viewer.locale).gettext(_DONE[done])))
    return render(
        request,
        page.viewer,
        "merge.html",
        status_code=status_code,
        flashes=notes,
        candidates=candidates,
        merges=merges,
        names=names,
        views=counts,
    )


@router.get("/merge", response_class=HTMLResponse)
def merge_page(request: Request, page: SupervisorPage, session: SessionDep) -> Response:
    """Duplicate candidates with their scores and reasons, and the merge history."""
    return _merge_page(request, page, session)


@router.post("/merge")
async def merge_post(
    request: Request, page: SupervisorPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Merge one customer into another (every record moves; undo is kept)."""
    form = FormReader(await request.form())

    def respond() -> Response:
        result = attempt(
            lambda: merge_svc.merge_customers(
                session,
                page.principal.actor,
                form.required_int("survivor_id"),
                form.required_int("merged_id"),
                now=now,
            )
        )
        return _merge_outcome(request, page, session, result, "merged")

    return await off_loop(request, respond)


def _merge_outcome(
    request: Request, page: Page, session: SessionDep, result: object, done: str
) -> Response:
    """Back to the merge screen: with the refusal, or with ``done``."""
    if isinstance(result, Failure):
        return _merge_page(
            request,
            page,
            session,
            status_code=result.status,
            flashes=[failure_flash(page.viewer, result)],
        )
    return redirect(f"/merge?done={done}")


@router.post("/merge/{merge_id}/undo")
def unmerge_post(
    request: Request,
    merge_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Undo a merge."""
    result = attempt(
        lambda: merge_svc.unmerge_customers(session, page.principal.actor, merge_id, now=now)
    )
    return _merge_outcome(request, page, session, result, "unmerged")
