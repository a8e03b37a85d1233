"""A survey wave's page: invited, opened, partial, completed and response rate per
channel and overall, the invitation list a page at a time (addresses masked for analysts,
links shown to supervisors only, as the service gives them), export links; for
supervisors and admins also inviting customers (the skipped ones listed with the
reason), the reminder, closing the wave, and the kiosk link with its QR code."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Annotated, TypeVar

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from touchpoint.api.deps import AfterCommitDep, NowDep, SessionDep, desk_state
from touchpoint.domain.errors import DomainError
from touchpoint.services import survey_invitations as invitation_svc
from touchpoint.services import surveys as survey_svc
from touchpoint.services.directory import load_directory
from touchpoint.services.survey_exports import ExportFormat
from touchpoint.services.survey_invitations import Channel, InvitationResult
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.site import CsrfDep, Page, PageNotFound, ReporterPage, SupervisorPage, off_loop
from touchpoint.web.views import Failure, attempt

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "opened": "Wave opened.",
    "closed": "Wave closed: its unanswered links no longer answer.",
    "reminded": "Reminders sent.",
}
_KEEP = ("customer_ids", "channel")
#: Invitations per page of the list.
PAGE_SIZE = 50
#: The channels a supervisor invites through (kiosk and phone answers need no invitation).
INVITE_CHANNELS = (Channel.LINK, Channel.EMAIL, Channel.SMS)
_IDS = re.compile(r"[\s,，;；]+")
T = TypeVar("T")


def _totals(view: survey_svc.WaveView) -> survey_svc.ChannelCounts:
    """The wave's counts over all channels: the table's "all" row and the tiles."""
    channels = view.channels
    return survey_svc.ChannelCounts(
        channel="all",
        invited=view.invited,
        opened=sum(c.opened for c in channels),
        partial=sum(c.partial for c in channels),
        completed=view.completed,
        cancelled=sum(c.cancelled for c in channels),
        reminded=sum(c.reminded for c in channels),
    )


def _customer_ids(raw: str) -> list[int]:
    """Customer numbers typed as ``12, 15 17`` (one a line also does)."""
    ids = []
    for part in _IDS.split(raw.replace("#", " ").strip()):
        if not part:
            continue
        if not part.isdigit():
            raise DomainError(
                f"customer_ids: {part!r} is not a customer number",
                code="not_customer_number",
                params={"value": part},
            )
        ids.append(int(part))
    if not ids:
        raise DomainError("customer_ids: give at least one customer", code="no_customer_numbers")
    return ids


def _kiosk_svg(url: str) -> Markup:
    """The kiosk link's QR code as inline SVG (segno writes only its own markup)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return Markup(buffer.getvalue().decode("utf-8"))  # noqa: S704 (segno's own SVG)


def _wave_page(
    request: Request,
    page: Page,
    session: SessionDep,
    wave_id: int,
    *,
    offset: int = 0,
    refusal: Refusal | None = None,
    result: InvitationResult | None = None,
) -> Response:
    actor = page.principal.actor
    wave = survey_svc.get_wave(session, actor, wave_id)
    survey = survey_svc.get_survey(session, actor, wave.survey_id)
    links = desk_state(request).surveys
    rows = invitation_svc.invitation_views(
        session, actor, links, wave_id, limit=PAGE_SIZE + 1, offset=offset
    )
    kiosk_url = ""
    if actor.role.can_supervise:
        kiosk_url = links.kiosk_url(wave.kiosk_key)
    return render_form_page(
        request,
        page.viewer,
        "wave.html",
        refusal=refusal,
        done=_DONE,
        wave=wave,
        survey=survey,
        totals=_totals(wave),
        invitations=rows[:PAGE_SIZE],
        customer_names=load_directory(
            session, [i.customer_id for i in rows[:PAGE_SIZE] if i.customer_id is not None]
        ).customers,
        offset=offset,
        more=len(rows) > PAGE_SIZE,
        page_size=PAGE_SIZE,
        can_invite=actor.role.can_supervise,
        channels=INVITE_CHANNELS,
        kiosk_url=kiosk_url,
        kiosk_svg=_kiosk_svg(kiosk_url) if kiosk_url else "",
        formats=[f.value for f in ExportFormat],
        result=result,
    )


@router.get("/waves/{wave_id}", response_class=HTMLResponse)
def wave_page(
    request: Request,
    wave_id: int,
    page: ReporterPage,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The wave's counts and a page of its invitations (from ``offset``)."""
    return _wave_page(request, page, session, wave_id, offset=offset)


@router.post("/waves/{wave_id}/invitations")
async def wave_invite(
    request: Request,
    wave_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Invite customers; the page then lists who was invited and who was skipped, why."""
    form = FormReader(await request.form())
    links = desk_state(request).surveys

    def invite() -> InvitationResult:
        return invitation_svc.invite(
            session,
            page.principal.actor,
            links,
            wave_id,
            customer_ids=_customer_ids(form.text("customer_ids")),
            channel=form.choice("channel", Channel),
            ignore_throttle=form.flag("ignore_throttle"),
            now=now,
            after_commit=after,
        )

    def respond() -> Response:
        result = attempt(invite)
        if isinstance(result, Failure):
            if result.kind == "missing" and result.code == "not_found":
                raise PageNotFound(result.code, result.params)
            draft = {k: form.text(k) for k in _KEEP}
            return _wave_page(request, page, session, wave_id, refusal=Refusal(result, draft))
        response = _wave_page(request, page, session, wave_id, result=result)
        response.status_code = 201
        return response

    return await off_loop(request, respond)


async def _wave_write(
    request: Request,
    page: Page,
    session: SessionDep,
    wave_id: int,
    run: Callable[[FormReader], T],
    done: Callable[[T], str],
) -> Response:
    """A wave form's write: back to the wave page, with ``done(result)``'s notice, or the
    page again with the refusal."""
    return await form_write(
        request,
        run,
        redraw=lambda refusal: _wave_page(request, page, session, wave_id, refusal=refusal),
        done=lambda result: f"/waves/{wave_id}?done={done(result)}",
    )


@router.post("/waves/{wave_id}/close")
async def wave_close(
    request: Request,
    wave_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Close the wave: its unanswered links answer 410, no more invitations."""

    def run(_form: FormReader) -> object:
        return survey_svc.close_wave(session, page.principal.actor, wave_id, now=now)

    return await _wave_write(request, page, session, wave_id, run, lambda _: "closed")


@router.post("/waves/{wave_id}/reminders")
async def wave_remind(
    request: Request,
    wave_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
    after: AfterCommitDep,
) -> Response:
    """Send the wave's one reminder to invitations unanswered after its reminder days."""
    links = desk_state(request).surveys

    def run(_form: FormReader) -> int:
        return invitation_svc.send_reminders(
            session, page.principal.actor, links, wave_id, now=now, after_commit=after
        )

    return await _wave_write(request, page, session, wave_id, run, lambda n: f"reminded&n={n}")
