"""The survey builder (analysts, supervisors, admins): the list of surveys, a survey made
from a template (Kano features typed as lines) or from a JSON definition, refused with
the question named; a survey's definition, a preview drawn exactly as the respondent
page draws it, its waves and the form that opens one. The wave page itself is
``pages_waves``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import NowDep, SessionDep
from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import parse_definition
from touchpoint.domain.survey_templates import TEMPLATE_NAMES
from touchpoint.services import surveys as survey_svc
from touchpoint.web.forms import FormReader, Refusal, form_write, render_form_page
from touchpoint.web.respond_texts import respondent_language, survey_form
from touchpoint.web.site import CsrfDep, Page, ReporterPage, render_public

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_DONE = {
    "created": "Survey saved.",
    "wave": "Wave opened.",
    "edited": "Survey updated.",
}
_KEEP = ("name", "template", "features", "definition", "source")
_EDIT_KEEP = ("edit_name", "edit_definition")
_WAVE_KEEP = ("wave_name", "expires_in_days", "reminder_days", "competitor", "quotas")
#: Surveys the list shows, newest first.
_SHOWN = 200
_QUESTION = re.compile(r"^question (\S+): (.+)$", re.DOTALL)


def _refusal_of(exc: DomainError) -> DomainError:
    """A refused definition with a message code, so the page names the question in its
    own language (the rule's detail stays the service's words)."""
    if exc.code is not None:
        return exc
    text = str(exc)
    found = _QUESTION.match(text)
    if found is not None:
        return DomainError(
            text,
            code="definition_question",
            params={"question": found.group(1), "detail": found.group(2)},
        )
    return DomainError(text, code="definition_refused", params={"detail": text})


def _features(raw: str) -> list[dict[str, Any]]:
    """Kano features typed one a line as ``key | 中文 | English``."""
    features = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise DomainError(
                f"features: line {number} {line!r} is not key | 中文 | English",
                code="feature_line",
                params={"line": number, "text": line.strip()},
            )
        key, zh, en = parts
        features.append({"key": key, "label": {"zh-CN": zh, "en": en}})
    return features


def _quotas(raw: str) -> list[dict[str, Any]]:
    """Quotas typed one a line as ``segment | value | limit`` (``customer_class | vip |
    50``); the service checks segments and limits."""
    quotas: list[dict[str, Any]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[2].isdigit():
            raise DomainError(
                f"quotas: line {number} {line!r} is not segment | value | limit",
                code="quota_line",
                params={"line": number, "text": line.strip()},
            )
        quotas.append({"segment": parts[0], "value": parts[1], "limit": int(parts[2])})
    return quotas


def _invalid_is_422(refusal: Refusal) -> Refusal:
    """A definition or form the service refuses answers 422, as the API does."""
    if refusal.failure.kind == "invalid":
        return replace(refusal, failure=replace(refusal.failure, status=422))
    return refusal


def _list_page(
    request: Request, page: Page, session: SessionDep, refusal: Refusal | None = None
) -> Response:
    views = survey_svc.list_surveys(session, page.principal.actor, limit=_SHOWN)
    return render_form_page(
        request,
        page.viewer,
        "surveys.html",
        refusal=_invalid_is_422(refusal) if refusal is not None else None,
        done=_DONE,
        surveys=views,
        templates=TEMPLATE_NAMES,
    )


@router.get("/surveys", response_class=HTMLResponse)
def surveys_page(request: Request, page: ReporterPage, session: SessionDep) -> Response:
    """The surveys, newest first, and the builder."""
    return _list_page(request, page, session)


@router.post("/surveys")
async def survey_create(
    request: Request, page: ReporterPage, _c: CsrfDep, session: SessionDep, now: NowDep
) -> Response:
    """A survey from a template or from a JSON definition; a refusal is shown with the
    builder, the typed text kept."""

    def run(form: FormReader) -> survey_svc.SurveyView:
        name = form.text("name")
        try:
            if form.text("source") == "definition":
                return survey_svc.create_survey(
                    session,
                    page.principal.actor,
                    name=name,
                    definition=form.json("definition", code="definition_not_json"),
                    now=now,
                )
            template = form.text("template")
            features = _features(form.text("features")) if template == "kano" else None
            return survey_svc.create_survey(
                session,
                page.principal.actor,
                name=name,
                template=template,
                features=features,
                now=now,
            )
        except DomainError as exc:
            raise _refusal_of(exc) from None

    return await form_write(
        request,
        run,
        keep=_KEEP,
        redraw=lambda refusal: _list_page(request, page, session, refusal),
        done=lambda view: f"/surveys/{view.id}?done=created",
        missing_is_404=False,
    )


def _survey(session: SessionDep, page: Page, survey_id: int) -> survey_svc.SurveyView:
    """The survey, or the 404 page naming it."""
    return survey_svc.get_survey(session, page.principal.actor, survey_id)


def _survey_page(
    request: Request,
    page: Page,
    session: SessionDep,
    survey_id: int,
    refusal: Refusal | None = None,
) -> Response:
    actor = page.principal.actor
    view = _survey(session, page, survey_id)
    return render_form_page(
        request,
        page.viewer,
        "survey.html",
        refusal=_invalid_is_422(refusal) if refusal is not None else None,
        done=_DONE,
        survey=view,
        definition_json=json.dumps(view.definition.as_json(), ensure_ascii=False, indent=2),
        waves=survey_svc.list_waves(session, actor, survey_id),
    )


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(
    request: Request, survey_id: int, page: ReporterPage, session: SessionDep
) -> Response:
    """A survey: its definition, its preview, its waves and the form to open one."""
    return _survey_page(request, page, session, survey_id)


@router.get("/surveys/{survey_id}/preview", response_class=HTMLResponse)
def survey_preview(
    survey_id: int,
    page: ReporterPage,
    session: SessionDep,
    lang: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """The survey as the respondent page draws it (same template, blocks and display
    logic), in a form that does not submit; in ``lang``, else the viewer's language."""
    language, _ = respondent_language(lang or ("en" if page.viewer.locale == "en" else "zh-CN"))
    view = _survey(session, page, survey_id)
    return render_public(
        "respond.html",
        **survey_form(view.definition, language, "", view.template),
        token="",
        preview=f"/surveys/{survey_id}/preview",
        context={},
        answers={},
        kiosk=False,
        error="",
    )


@router.post("/surveys/{survey_id}/edit")
async def survey_edit(
    request: Request,
    survey_id: int,
    page: ReporterPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Rename a survey and, for a survey of its own definition, change its questions: a
    new version, which new waves use (open waves keep theirs). A template's questions
    are not edited here: the analyses and the closed loop read them by the template. A
    form older than the survey gets 409, the typed text kept."""

    def run(form: FormReader) -> survey_svc.SurveyView:
        current = _survey(session, page, survey_id)
        definition = None
        if current.template is None:
            typed = form.json("edit_definition", code="definition_not_json")
            try:
                changed = parse_definition(typed).as_json() != current.definition.as_json()
            except DomainError as exc:
                raise _refusal_of(exc) from None
            definition = typed if changed else None
        try:
            return survey_svc.update_survey(
                session,
                page.principal.actor,
                survey_id,
                name=form.text("edit_name"),
                definition=definition,
                expected_version=form.required_int("version"),
                now=now,
            )
        except DomainError as exc:
            raise _refusal_of(exc) from None

    return await form_write(
        request,
        run,
        keep=_EDIT_KEEP,
        redraw=lambda refusal: _survey_page(request, page, session, survey_id, refusal),
        done=f"/surveys/{survey_id}?done=edited",
    )


@router.post("/surveys/{survey_id}/waves")
async def wave_create(
    request: Request,
    survey_id: int,
    page: ReporterPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Open a wave on the survey's current version."""

    def run(form: FormReader) -> survey_svc.WaveView:
        expires = form.integer("expires_in_days")
        try:
            return survey_svc.create_wave(
                session,
                page.principal.actor,
                survey_id,
                name=form.text("wave_name"),
                expires_in_days=14 if expires is None else expires,
                reminder_days=form.integer("reminder_days"),
                competitor=form.text("competitor"),
                quotas=_quotas(form.text("quotas")) or None,
                now=now,
            )
        except DomainError as exc:
            if exc.code is not None:
                raise
            raise DomainError(str(exc), code="wave_refused", params={"detail": str(exc)}) from None

    return await form_write(
        request,
        run,
        keep=_WAVE_KEEP,
        redraw=lambda refusal: _survey_page(request, page, session, survey_id, refusal),
        done=lambda view: f"/waves/{view.id}?done=opened",
    )
