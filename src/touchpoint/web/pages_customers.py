"""Customer pages: search, customer 360 (identities, guest history, transaction and
contact cards, open orders) and the supervisor's merge screen with undo."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep
from touchpoint.domain.customers import CustomerClass, IdentityKind
from touchpoint.domain.errors import DomainError
from touchpoint.services import customers as customer_svc
from touchpoint.services import hostage as hostage_svc
from touchpoint.services import merge as merge_svc
from touchpoint.services import merge_refresh
from touchpoint.services.desk_reads import customer_views
from touchpoint.services.directory import load_directory
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import (
    CsrfDep,
    Page,
    PageDep,
    SupervisorPage,
    WorkerPage,
    render,
)
from touchpoint.web.views import Names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The message shown after each write that redirects here (``?done=``).
_DONE = {
    "contact": "Contact logged on the customer's contact card.",
    "merged": "Customers merged. Every contact, transaction and order moved; undo below.",
    "unmerged": "Merge undone: the customer and its records are back.",
    "identity": "Identity added.",
    "edited": "Customer saved.",
    "hostage": "Hostage flag cleared.",
}
#: Fields whose typed text survives a refused write.
_KEEP = ("name", "customer_class", "preferences", "kind", "value", "note")
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
    now: datetime,
    customer_id: int,
    refusal: Refusal | None = None,
) -> Response:
    """Customer 360; after a refused write, with the refusal and the typed text."""
    actor = page.principal.actor
    c360 = customer_svc.customer_360(session, actor, customer_id, now=now)
    names = Names(load_directory(session, [customer_id]))
    return render_form_page(
        request,
        page.viewer,
        "customer.html",
        refusal=refusal,
        done=_DONE,
        c=c360,
        customer=c360.customer.customer,
        names=names,
        open_rows=[{"o": d.order, "sla": names.panel(d)} for d in c360.open_orders],
        merged_into=c360.customer.customer.merged_into_id,
        can_work=actor.role.can_handle_orders,
        classes=list(CustomerClass),
        identity_kinds=list(IdentityKind),
        prefs_text="\n".join(f"{k}: {v}" for k, v in c360.preferences.items()),
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
            raise DomainError(
                f"preferences: line {n} {line.strip()!r} is not 'name: value'",
                code="preference_line",
                params={"line": n, "text": line.strip()},
            )
        prefs[m.group(1).strip()] = m.group(2).strip()
    return prefs


async def _customer_write(
    request: Request,
    page: Page,
    session: SessionDep,
    now: datetime,
    customer_id: int,
    done: str,
    run: Callable[[FormReader], object],
) -> Response:
    """Run one of the customer page's writes: back to the page with ``?done=``, or the
    page again with the refusal and the typed text."""
    return await form_write(
        request,
        run,
        keep=_KEEP,
        redraw=lambda refusal: _customer_page(request, page, session, now, customer_id, refusal),
        done=f"/customers/{customer_id}?done={done}",
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


@router.post("/customers/{customer_id}/hostage/clear")
async def customer_clear_hostage(
    request: Request,
    customer_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Clear the hostage flag the rule set, with a note (supervisors; audited)."""

    def run(form: FormReader) -> object:
        return hostage_svc.clear_hostage(
            session, page.principal.actor, customer_id, note=form.text("note"), now=now
        )

    return await _customer_write(request, page, session, now, customer_id, "hostage", run)


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


#: Candidates per page of /merge.
_MERGE_PAGE = 50


def _merge_page(
    request: Request,
    page: Page,
    session: SessionDep,
    refusal: Refusal | None = None,
    *,
    offset: int = 0,
) -> Response:
    """Duplicate candidates and the last 30 merges; after a refused merge or undo, with
    the refusal."""
    actor = page.principal.actor
    # The whole list as the background refresh stored it (services.merge_refresh), a
    # page at a time: one candidate more than shown says whether a next page exists.
    candidates = merge_refresh.stored_merge_candidates(
        session, actor, limit=_MERGE_PAGE + 1, offset=offset
    )
    more = len(candidates) > _MERGE_PAGE
    candidates = candidates[:_MERGE_PAGE]
    ids = {c.a_id for c in candidates} | {c.b_id for c in candidates}
    merges = merge_svc.list_merges(session)[:30]
    ids |= {m.survivor_id for m in merges} | {m.merged_id for m in merges}
    return render_form_page(
        request,
        page.viewer,
        "merge.html",
        refusal=refusal,
        done=_DONE,
        candidates=candidates,
        offset=offset,
        more=more,
        page_size=_MERGE_PAGE,
        merges=merges,
        names=Names(load_directory(session, ids)),
        views=customer_views(session, actor, ids),
    )


@router.get("/merge", response_class=HTMLResponse)
def merge_page(
    request: Request,
    page: SupervisorPage,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Duplicate candidates with their scores and reasons (a page of the stored list
    from ``offset``), and the merge history."""
    return _merge_page(request, page, session, offset=offset)


async def _merge_write(
    request: Request,
    page: Page,
    session: SessionDep,
    done: str,
    run: Callable[[FormReader], object],
) -> Response:
    """Run a merge or its undo: back to the merge screen with ``?done=``, or with the
    refusal (a merge that is gone is refused there too, not a 404 page)."""
    return await form_write(
        request,
        run,
        redraw=lambda refusal: _merge_page(request, page, session, refusal),
        done=f"/merge?done={done}",
        missing_is_404=False,
    )


@router.post("/merge")
async def merge_post(
    request: Request, page: SupervisorPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Merge one customer into another (every record moves; undo is kept)."""

    def run(form: FormReader) -> object:
        return merge_svc.merge_customers(
            session,
            page.principal.actor,
            form.required_int("survivor_id"),
            form.required_int("merged_id"),
            now=now,
        )

    return await _merge_write(request, page, session, "merged", run)


@router.post("/merge/{merge_id}/undo")
async def unmerge_post(
    request: Request,
    merge_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Undo a merge."""

    def run(_form: FormReader) -> object:
        return merge_svc.unmerge_customers(session, page.principal.actor, merge_id, now=now)

    return await _merge_write(request, page, session, "unmerged", run)
