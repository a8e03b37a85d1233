"""The respondent's page: ``/s/<token>``, no login and no CSRF header (the signed token
in the URL is the credential).

``GET /s/<token>`` shows the survey, in zh-CN unless ``?lang=en``, mobile first, every
input labelled, display logic applied as the respondent answers (``respond.js``; the
server checks it again), the answers saved so far filled in. Nothing is recorded until
the respondent presses submit: a mail scanner or link prefetcher that fetches the page
answers nothing. ``POST /s/<token>`` takes a JSON body ``{"answers": {…}}`` (201
``{"response_id": …}``) or the page's form (201 and a thank-you page);
``POST /s/<token>/progress`` saves a part for later; ``/s/<token>/opt-out`` asks, then
records, that the customer is never surveyed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData

from touchpoint.api.deps import SessionDep, client_address, desk_state
from touchpoint.domain.errors import CodedError
from touchpoint.domain.survey_answers import AnswerError
from touchpoint.domain.survey_definition import QuestionType, SurveyDefinition
from touchpoint.services import survey_responses as svc
from touchpoint.services.errors import ConflictError, GoneError, NotFoundError, RateLimited
from touchpoint.web.messages import translate
from touchpoint.web.respond_texts import RESPONDENT_TEXTS, respondent_language, survey_form
from touchpoint.web.site import render_public

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> tuple[str, str]:
    """(definition language, catalogue locale): zh-CN unless ``?lang=en``."""
    return respondent_language(request.query_params.get("lang"))


def _status(exc: Exception) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, GoneError):
        return 410
    if isinstance(exc, RateLimited):
        return 429
    return 422


def _notice(request: Request, exc: CodedError, status: int) -> HTMLResponse:
    """A page telling the respondent why the link cannot be answered."""
    lang, locale = _lang(request)
    text = RESPONDENT_TEXTS[lang]
    message = (translate(exc.code, exc.params, locale) if exc.code else None) or text["not_found"]
    return render_public("respond_notice.html", status, lang=lang, t=text, message=message)


def _page(
    request: Request,
    token: str,
    survey: svc.RespondentSurvey,
    *,
    answers: Mapping[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang, _ = _lang(request)
    return render_public(
        "respond.html",
        status,
        **survey_form(survey.definition, lang, survey.competitor, survey.template),
        token=token,
        context=dict(survey.context),
        answers=dict(answers if answers is not None else survey.progress or {}),
        kiosk=survey.kiosk,
        error=error,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def respondent_page(request: Request, token: str, session: SessionDep) -> Response:
    """The survey behind the link (answers saved earlier filled in)."""
    state = desk_state(request)
    try:
        survey = svc.open_survey(session, state.surveys, token, now=state.clock())
    except (NotFoundError, ConflictError, GoneError) as exc:
        return _notice(request, exc, _status(exc))
    return _page(request, token, survey)


def _form_answers(form: FormData, definition: SurveyDefinition) -> dict[str, Any]:
    """The page's form fields as answers: scale items as numbers, multiple choice as
    lists, empty fields left out."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        name = f"q.{question.id}"
        if question.type is QuestionType.MULTI:
            values = [str(v) for v in form.getlist(name) if str(v)]
            if values:
                answers[question.id] = values
            continue
        raw = str(form.get(name) or "").strip()
        if not raw:
            continue
        if question.type is QuestionType.SCALE:
            try:
                answers[question.id] = int(raw)
            except ValueError:
                answers[question.id] = raw  # refused by the check, naming the value
        else:
            answers[question.id] = raw
    return answers


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


async def _answers(
    request: Request, token: str, session: SessionDep
) -> tuple[Any, svc.RespondentSurvey | None]:
    """The posted answers, and the survey when they came from the page's form (its
    questions' types read the fields; it shows again with a refused answer)."""
    if _is_json(request):
        try:
            body = await request.json()
        except ValueError:
            body = None
        answers = body.get("answers") if isinstance(body, dict) else None
        if answers is None:
            raise AnswerError(None, 'send a JSON object {"answers": {question id: value}}')
        return answers, None
    state = desk_state(request)
    survey = svc.read_survey(session, state.surveys, token, now=state.clock())
    return _form_answers(await request.form(), survey.definition), survey


@router.post("/s/{token}")
async def respond(request: Request, token: str, session: SessionDep) -> Response:
    """Submit the answers: 201 with the response id (JSON) or the thank-you page."""
    state = desk_state(request)
    survey = None
    try:
        answers, survey = await _answers(request, token, session)
        response_id = svc.submit_response(
            session,
            state.surveys,
            token,
            answers,
            now=state.clock(),
            client=client_address(request),
            kiosk=state.kiosk,
            after_commit=state.dispatcher.wake if state.dispatcher is not None else None,
        )
    except (NotFoundError, ConflictError, GoneError, AnswerError, RateLimited) as exc:
        return _refused(request, token, survey, exc)
    if survey is None:
        return JSONResponse({"response_id": response_id}, status_code=201)
    lang, _ = _lang(request)
    return render_public(
        "respond_notice.html", 201, lang=lang, t=RESPONDENT_TEXTS[lang], thanks=True, message=""
    )


def _refused(
    request: Request, token: str, survey: svc.RespondentSurvey | None, exc: CodedError
) -> Response:
    """JSON for a JSON post; for the form, the survey again naming a refused answer, else
    the notice why the link cannot be answered."""
    status = _status(exc)
    if _is_json(request):
        body: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, AnswerError):
            body.update(question=exc.question_id, value=exc.value)
        response = JSONResponse(body, status_code=status)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if survey is None or not isinstance(exc, AnswerError):
        return _notice(request, exc, status)
    _, locale = _lang(request)
    message = (translate(exc.code, exc.params, locale) if exc.code else None) or str(exc)
    return _page(request, token, survey, error=message, status=422)


@router.post("/s/{token}/progress")
async def save_progress(request: Request, token: str, session: SessionDep) -> Response:
    """Save the answers so far; the same link later shows them again."""
    state = desk_state(request)
    survey = None
    try:
        answers, survey = await _answers(request, token, session)
        svc.save_progress(session, state.surveys, token, answers, now=state.clock())
    except (NotFoundError, ConflictError, GoneError, AnswerError) as exc:
        return _refused(request, token, survey, exc)
    if survey is None:
        return JSONResponse({"saved": True}, status_code=200)
    lang, _ = _lang(request)
    return render_public(
        "respond_notice.html", 200, lang=lang, t=RESPONDENT_TEXTS[lang], saved=True, message=""
    )


@router.get("/s/{token}/opt-out", response_class=HTMLResponse)
def opt_out_page(request: Request, token: str) -> Response:
    """Ask before opting out (a prefetched link must not opt anyone out)."""
    lang, _ = _lang(request)
    return render_public(
        "respond_opt_out.html", 200, lang=lang, t=RESPONDENT_TEXTS[lang], token=token
    )


@router.post("/s/{token}/opt-out", response_class=HTMLResponse)
def opt_out(request: Request, token: str, session: SessionDep) -> Response:
    """Record the opt-out: the customer is never invited to a survey again."""
    state = desk_state(request)
    lang, _ = _lang(request)
    try:
        svc.opt_out(session, state.surveys, token, now=state.clock())
    except NotFoundError as exc:
        return _notice(request, exc, 404)
    return render_public(
        "respond_notice.html", 200, lang=lang, t=RESPONDENT_TEXTS[lang], opted_out=True, message=""
    )
