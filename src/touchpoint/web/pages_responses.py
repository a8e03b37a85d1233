"""A wave's responses, one by one (``/waves/{id}/responses``): when, who, through which
channel, the headline scores, the comments, every answer on demand, the surveyed order
and the service-recovery order a detractor's answer opened. ``?detractors=1`` lists the
detractors alone. Newest first, a page at a time; the numbers are the services'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from touchpoint.api.deps import SessionDep
from touchpoint.domain.survey_definition import Question, QuestionType
from touchpoint.services import surveys as survey_svc
from touchpoint.services.directory import load_directory
from touchpoint.services.wave_responses import wave_responses
from touchpoint.web.site import ReporterPage, render

__all__ = ["answer_text", "router"]

router = APIRouter(include_in_schema=False)

#: Responses per page.
PAGE_SIZE = 50


def answer_text(question: Question, value: Any, lang: str) -> str:
    """An answer as the respondent chose it: an option by its wording in ``lang`` (the
    value itself when the option is gone), several joined, a number or text as given."""
    if value is None or value == "" or value == []:
        return ""
    if question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        wording = {o.value: o.label[lang] for o in question.options}
        values = value if isinstance(value, list) else [value]
        return ", ".join(wording.get(str(v), str(v)) for v in values)
    return str(value)


@router.get("/waves/{wave_id}/responses", response_class=HTMLResponse)
def responses_page(
    request: Request,
    wave_id: int,
    page: ReporterPage,
    session: SessionDep,
    detractors: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The wave's responses, newest first, from ``offset``."""
    actor = page.principal.actor
    wave = survey_svc.get_wave(session, actor, wave_id)
    survey = survey_svc.get_survey(session, actor, wave.survey_id)
    found = wave_responses(
        session, actor, wave_id, detractors=detractors, limit=PAGE_SIZE, offset=offset
    )
    lang = "en" if page.viewer.locale == "en" else "zh-CN"
    questions = found.definition.questions
    ids = {q.id for q in questions}
    customers = [e.customer_id for e in found.entries if e.customer_id is not None]
    return render(
        request,
        page.viewer,
        "wave_responses.html",
        wave=wave,
        survey=survey,
        entries=found.entries,
        questions=questions,
        comments=[q for q in questions if q.type is QuestionType.TEXT],
        shows_csat="CSAT" in ids,
        shows_nps="NPS" in ids,
        answer=lambda q, value: answer_text(q, value, lang),
        customer_names=load_directory(session, customers).customers,
        detractors=detractors,
        offset=offset,
        more=found.more,
        page_size=PAGE_SIZE,
        dl=lang,
    )
