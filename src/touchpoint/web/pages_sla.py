"""The supervisor's SLA page (``/sla``): the policies in the order the desk selects them,
each with its conditions, targets in business minutes, calendar, warning share and a
form that changes it; a form that adds a policy; the business calendars with their
weekly hours and days off, each changed as its JSON (docs/sla-formats.md). Every form
carries the record's version: a stale one gets 409 and keeps what was typed. The API's
rules and audit (``services.sla_admin``)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep
from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import Priority, WorkOrderType
from touchpoint.services import sla_admin as sla_svc
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import CsrfDep, Page, SupervisorPage

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "policy_saved": "SLA policy saved. Open orders are timed by it from now on.",
    "policy_created": "SLA policy added.",
    "calendar_saved": "Calendar saved. Open orders are timed by it from now on.",
    "calendar_created": "Calendar added.",
}
#: The policy's targets, as the form names them (blank: not tracked).
TARGETS = ("first_response_minutes", "next_update_minutes", "resolution_minutes")
#: The conditions that select a policy: form field and its values (none ticked: any).
CONDITIONS: dict[str, type[StrEnum]] = {
    "types": WorkOrderType,
    "priorities": Priority,
    "customer_classes": CustomerClass,
    "channels": Channel,
}
#: What a refused policy form keeps, ``policy_form`` naming which form it was.
_POLICY_KEEP = (
    "policy_form", "name", "rank", "calendar_id", "warn_percent", *TARGETS,
    "next_update_from", "active", *CONDITIONS,
)  # fmt: skip
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _sla_page(
    request: Request, page: Page, session: SessionDep, refusal: Refusal | None = None
) -> Response:
    calendars = sla_svc.list_calendars(session)
    return render_form_page(
        request,
        page.viewer,
        "sla.html",
        refusal=refusal,
        done=_DONE,
        policies=sla_svc.list_policies(session),
        calendars=calendars,
        calendar_names={c.id: c.name for c in calendars},
        calendar_json={
            c.id: json.dumps(c.definition, ensure_ascii=False, indent=2) for c in calendars
        },
        targets=TARGETS,
        conditions=CONDITIONS,
        week=_WEEK,
    )


@router.get("/sla", response_class=HTMLResponse)
def sla_page(request: Request, page: SupervisorPage, session: SessionDep) -> Response:
    """The SLA policies and calendars, and the forms that change them."""
    return _sla_page(request, page, session)


def _policy_draft(form: FormReader) -> sla_svc.PolicyDraft:
    """The policy typed into a form: targets in business minutes (blank: not tracked),
    the warning share as a percentage, the ticked conditions."""
    definition: dict[str, Any] = {key: form.integer(key) for key in TARGETS}
    definition["next_update_from"] = form.text("next_update_from") or "customer_message"
    percent = form.integer("warn_percent")
    rank = form.integer("rank")
    return sla_svc.PolicyDraft(
        name=form.text("name"),
        definition=definition,
        calendar_id=form.required_int("calendar_id"),
        rank=100 if rank is None else rank,
        types=tuple(form.choices("types", WorkOrderType)),
        priorities=tuple(form.choices("priorities", Priority)),
        customer_classes=tuple(form.choices("customer_classes", CustomerClass)),
        channels=tuple(form.choices("channels", Channel)),
        warn_share=(80 if percent is None else percent) / 100,
        active=form.flag("active"),
    )


@router.post("/sla/policies")
async def policy_create(
    request: Request, page: SupervisorPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Add a policy."""

    def run(form: FormReader) -> object:
        return sla_svc.create_policy(session, page.principal.actor, _policy_draft(form), now=now)

    return await form_write(
        request,
        run,
        keep=_POLICY_KEEP,
        redraw=lambda refusal: _sla_page(request, page, session, refusal),
        done="/sla?done=policy_created",
        missing_is_404=False,
    )


@router.post("/sla/policies/{policy_id}")
async def policy_edit(
    request: Request,
    policy_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Change a policy's targets and conditions; open orders follow it from now on."""

    def run(form: FormReader) -> object:
        return sla_svc.update_policy(
            session,
            page.principal.actor,
            policy_id,
            _policy_draft(form),
            version=form.required_int("version"),
            now=now,
        )

    return await form_write(
        request,
        run,
        keep=_POLICY_KEEP,
        redraw=lambda refusal: _sla_page(request, page, session, refusal),
        done=f"/sla?done=policy_saved#policy-{policy_id}",
    )


def _calendar_json(form: FormReader) -> dict[str, Any]:
    """The calendar typed as JSON (docs/sla-formats.md)."""
    value = form.json("definition", code="calendar_not_json")
    if not isinstance(value, dict):
        raise DomainError(
            "definition: a calendar is a JSON object",
            code="sla_calendar_invalid",
            params={"detail": "a calendar is a JSON object"},
        )
    return value


@router.post("/sla/calendars")
async def calendar_create(
    request: Request, page: SupervisorPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """Add a calendar."""

    def run(form: FormReader) -> object:
        return sla_svc.create_calendar(
            session, page.principal.actor, form.text("name"), _calendar_json(form), now=now
        )

    return await form_write(
        request,
        run,
        keep=("calendar_form", "name", "definition"),
        redraw=lambda refusal: _sla_page(request, page, session, refusal),
        done="/sla?done=calendar_created",
        missing_is_404=False,
    )


@router.post("/sla/calendars/{calendar_id}")
async def calendar_edit(
    request: Request,
    calendar_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Change a calendar's name and hours; open orders are timed by it from now on."""

    def run(form: FormReader) -> object:
        return sla_svc.update_calendar(
            session,
            page.principal.actor,
            calendar_id,
            version=form.required_int("version"),
            now=now,
            name=form.text("name"),
            definition=_calendar_json(form),
        )

    return await form_write(
        request,
        run,
        keep=("calendar_form", "name", "definition"),
        redraw=lambda refusal: _sla_page(request, page, session, refusal),
        done=f"/sla?done=calendar_saved#calendar-{calendar_id}",
    )
