"""The import pages (supervisors): customers and transactions (``/imports``), and the
answers of a survey collected elsewhere, into one open wave (``/waves/{id}/import``); from
a CSV or XLSX file, all rows or none, as the API imports them (``services.imports``,
``services.survey_imports``, audited there).

Each page explains its columns (a wave's: its questions with their scales and options),
offers them as an empty file to download, and takes the CSV's text encoding (Excel's
plain "CSV" is GBK on a Chinese Windows). A rejected file is shown as the table of its
bad cells (row as numbered in the file, the header being row 1; column; value; what is
wrong, in the page's language); nothing of it was written, and it can be corrected and
sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from touchpoint.api.deps import NowDep, SessionDep, read_upload
from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_definition import Question, QuestionType
from touchpoint.services import imports as import_svc
from touchpoint.services import survey_imports
from touchpoint.services import surveys as survey_svc
from touchpoint.services.errors import ImportRejected
from touchpoint.web.forms import Refusal, render_form_page
from touchpoint.web.i18n import translations
from touchpoint.web.messages import translate
from touchpoint.web.site import (
    CsrfDep,
    Page,
    PageNotFound,
    SupervisorPage,
    off_loop,
    redirect,
    render,
)
from touchpoint.web.views import Failure, attempt

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Bad cells shown of a rejected file; the rest are counted.
SHOWN_PROBLEMS = 200


@dataclass(frozen=True, slots=True)
class ImportKind:
    """One kind of file the page imports: its service call and columns."""

    key: str
    title: str
    columns: tuple[str, ...]
    run: Callable[..., import_svc.ImportReport]
    done: str


KINDS = {
    kind.key: kind
    for kind in (
        ImportKind(
            "customers",
            "Customers",
            import_svc.CUSTOMER_COLUMNS,
            import_svc.import_customers,
            "Customers imported: %(rows)s.",
        ),
        ImportKind(
            "transactions",
            "Transactions",
            import_svc.TRANSACTION_COLUMNS,
            import_svc.import_transactions,
            "Transactions imported: %(rows)s.",
        ),
    )
}


def _kind(key: str) -> ImportKind:
    kind = KINDS.get(key)
    if kind is None:
        raise PageNotFound("not_found", {"entity": "page", "id": key})
    return kind


def _problem_rows(problems: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The first bad cells of a rejected file, each with what is wrong in ``lang``."""
    return [
        {**p, "said": translate(p.get("code"), p.get("params", {}), lang) or p["message"]}
        for p in problems[:SHOWN_PROBLEMS]
    ]


def _rejection(
    viewer_locale: str, draft: dict[str, str], exc: ImportRejected | None
) -> dict[str, Any]:
    """What a page shows of a refused file: its name and its first bad cells."""
    problems = exc.problems if exc is not None else []
    return {
        "rejected_file": draft.get("file", "") if exc is not None else "",
        "problems": _problem_rows(problems, viewer_locale),
        "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
    }


def _import_page(
    request: Request,
    page: Page,
    template: str,
    values: dict[str, Any],
    *,
    refusal: Refusal | None,
    rejected: ImportRejected | None,
    done: str = "",
) -> HTMLResponse:
    """An import page; after a refused file with why and its bad cells, after an import
    with ``done`` (a msgid taking ``rows``) when the address names how many rows."""
    viewer = page.viewer
    values = {
        **values,
        "encodings": list(import_svc.IMPORT_ENCODINGS),
        **_rejection(viewer.locale, refusal.draft if refusal else {}, rejected),
    }
    if refusal is not None:
        return render_form_page(request, viewer, template, refusal=refusal, **values)
    rows = request.query_params.get("rows", "")
    flashes = []
    if done and rows.isdigit():
        flashes.append(("ok", translations(viewer.locale).gettext(done) % {"rows": rows}))
    return render(request, viewer, template, flashes=flashes, draft={}, **values)


def _csv_header(columns: tuple[str, ...], filename: str) -> Response:
    """A CSV of a header line only (UTF-8 with a byte-order mark, which Excel reads as
    UTF-8), to fill in and import."""
    header = ",".join(columns) + "\r\n"
    return Response(
        ("\ufeff" + header).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


Run = Callable[[bytes, str, str], import_svc.ImportReport]
Redraw = Callable[[Refusal, ImportRejected | None], Response]


def _checked_import(
    run: Run, upload: object, encoding: str
) -> import_svc.ImportReport | ImportRejected:
    """The import of the uploaded file; a rejected file as its error, to show its cells."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise DomainError("file: required", code="field_required", params={"field": "file"})
    content = read_upload(upload)
    try:
        return run(content, upload.filename, encoding)
    except ImportRejected as exc:
        return exc


async def _upload(
    request: Request, run: Run, *, redraw: Redraw, done: Callable[[int], str]
) -> Response:
    """Import the file the form sent: redirect to ``done(rows)``, or draw the page again
    with why it was refused (a rejected file with its bad cells); nothing half-written."""
    form = await request.form()
    encoding = str(form.get("encoding") or "utf-8")
    upload = form.get("file")
    filename = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    draft = {"encoding": encoding, "file": filename}

    def respond() -> Response:
        result = attempt(lambda: _checked_import(run, upload, encoding))
        if isinstance(result, Failure):
            return redraw(Refusal(result, draft), None)
        if isinstance(result, ImportRejected):
            n = len(result.problems)
            failure = Failure(400, "invalid", str(result), code="import_rejected", params={"n": n})
            return redraw(Refusal(failure, draft), result)
        return redirect(done(result.rows))

    try:
        return await off_loop(request, respond, long=True)
    finally:
        await form.close()  # the uploaded file's temporary copy


# Customers and transactions (/imports).


def _imports_page(
    request: Request,
    page: Page,
    refusal: Refusal | None = None,
    rejected: ImportRejected | None = None,
    kind: ImportKind | None = None,
) -> HTMLResponse:
    done = KINDS.get(request.query_params.get("done", ""))
    values = {"kinds": list(KINDS.values()), "rejected_kind": kind.key if kind else None}
    return _import_page(
        request, page, "imports.html", values, refusal=refusal, rejected=rejected,
        done=done.done if done else "",
    )  # fmt: skip


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, page: SupervisorPage) -> Response:
    """The import forms: customers and transactions, with their columns explained."""
    return _imports_page(request, page)


@router.get("/imports/{key}/template.csv")
def import_template(key: str, _page: SupervisorPage) -> Response:
    """The kind's columns as an empty CSV file."""
    kind = _kind(key)
    return _csv_header(kind.columns, f"{kind.key}.csv")


@router.post("/imports/{key}")
async def import_file(
    request: Request,
    key: str,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Import the file sent: all rows or none; its bad cells listed when refused."""
    kind = _kind(key)

    def run(content: bytes, filename: str, encoding: str) -> import_svc.ImportReport:
        actor = page.principal.actor
        return kind.run(session, actor, content, filename, now=now, encoding=encoding)

    return await _upload(
        request,
        run,
        redraw=lambda refusal, rejected: _imports_page(request, page, refusal, rejected, kind),
        done=lambda rows: f"/imports?done={kind.key}&rows={rows}",
    )


# Survey answers collected elsewhere, into one wave (/waves/{id}/import).


def _wave_import_page(
    request: Request,
    page: Page,
    session: SessionDep,
    wave_id: int,
    refusal: Refusal | None = None,
    rejected: ImportRejected | None = None,
) -> HTMLResponse:
    actor = page.principal.actor
    columns = survey_imports.response_columns(session, actor, wave_id)
    wave = survey_svc.get_wave(session, actor, wave_id)
    lang = "en" if page.viewer.locale == "en" else "zh-CN"
    values = {
        "wave": wave,
        "survey": survey_svc.get_survey(session, actor, wave.survey_id),
        "columns": columns,
        "hint": lambda question: question_hint(question, lang),
        "wording": lambda text: text.get(lang) or next(iter(text.values()), ""),
    }
    done = "Responses imported: %(rows)s." if request.query_params.get("done") else ""
    return _import_page(
        request, page, "wave_import.html", values, refusal=refusal, rejected=rejected, done=done
    )


def question_hint(question: Question, lang: str) -> list[tuple[str, str]]:
    """What a question's cell takes: for a scale its range, for choices each option's
    value with its wording (several separated by ``;`` for a multiple choice)."""
    if question.type is QuestionType.SCALE:
        return [(f"{question.low}–{question.high}", "")]
    return [(o.value, o.label.get(lang, o.value)) for o in question.options]


@router.get("/waves/{wave_id}/import", response_class=HTMLResponse)
def wave_import_page(
    request: Request, wave_id: int, page: SupervisorPage, session: SessionDep
) -> Response:
    """The form that imports answers collected elsewhere into the wave, its columns
    explained: the survey's questions, then the export's other columns."""
    return _wave_import_page(request, page, session, wave_id)


@router.get("/waves/{wave_id}/import/template.csv")
def wave_import_template(wave_id: int, page: SupervisorPage, session: SessionDep) -> Response:
    """The wave's import columns as an empty CSV file."""
    columns = survey_imports.response_columns(session, page.principal.actor, wave_id)
    return _csv_header(columns.names, f"wave-{wave_id}.csv")


@router.post("/waves/{wave_id}/import")
async def wave_import(
    request: Request,
    wave_id: int,
    page: SupervisorPage,
    _c: CsrfDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Store every row of the file as a completed response of the wave, or none."""

    def run(content: bytes, filename: str, encoding: str) -> import_svc.ImportReport:
        actor = page.principal.actor
        return survey_imports.import_responses(
            session, actor, wave_id, content, filename, now=now, encoding=encoding
        )

    return await _upload(
        request,
        run,
        redraw=lambda refusal, rejected: _wave_import_page(
            request, page, session, wave_id, refusal, rejected
        ),
        done=lambda rows: f"/waves/{wave_id}/import?done=1&rows={rows}",
    )
