"""The supervisor's import page: customers and transactions from a CSV or XLSX file,
all rows or none, as the API imports them (``services.imports``, audited there).

Each file type has its columns explained, a header-only template to download, and a
choice of the CSV's text encoding (Excel's plain "CSV" is GBK on a Chinese Windows). A
rejected file is shown as the table of its bad cells (row as numbered in the file, the
header being row 1; column; value; what is wrong, in the page's language); nothing of it
was written, and the file can be corrected and sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from touchpoint.api.deps import NowDep, SessionDep, read_upload
from touchpoint.domain.errors import DomainError
from touchpoint.services import imports as import_svc
from touchpoint.services.base import Actor
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


def _imports_page(
    request: Request,
    page: Page,
    *,
    refusal: Refusal | None = None,
    rejected: tuple[ImportKind, ImportRejected] | None = None,
) -> HTMLResponse:
    """The page; after a refused file with why, after an import with how many rows."""
    viewer = page.viewer
    values: dict[str, Any] = {
        "kinds": list(KINDS.values()),
        "encodings": list(import_svc.IMPORT_ENCODINGS),
        "rejected_kind": None,
        "rejected_file": "",
        "problems": [],
        "more_problems": 0,
    }
    if rejected is not None:
        kind, exc = rejected
        values.update(
            rejected_kind=kind.key,
            rejected_file=refusal.draft.get("file", "") if refusal else "",
            problems=_problem_rows(exc.problems, viewer.locale),
            more_problems=max(0, len(exc.problems) - SHOWN_PROBLEMS),
        )
    if refusal is not None:
        return render_form_page(request, viewer, "imports.html", refusal=refusal, **values)
    done = KINDS.get(request.query_params.get("done", ""))
    rows = request.query_params.get("rows", "")
    flashes = []
    if done is not None and rows.isdigit():
        flashes.append(("ok", translations(viewer.locale).gettext(done.done) % {"rows": rows}))
    return render(request, viewer, "imports.html", flashes=flashes, draft={}, **values)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, page: SupervisorPage) -> Response:
    """The import forms: customers and transactions, with their columns explained."""
    return _imports_page(request, page)


@router.get("/imports/{key}/template.csv")
def import_template(key: str, _page: SupervisorPage) -> Response:
    """A CSV of the kind's header line only (UTF-8 with a byte-order mark, which Excel
    reads as UTF-8), to fill in and import."""
    kind = _kind(key)
    header = ",".join(kind.columns) + "\r\n"
    return Response(
        ("\ufeff" + header).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind.key}.csv"'},
    )


def _run_import(
    kind: ImportKind,
    session: SessionDep,
    actor: Actor,
    upload: object,
    encoding: str,
    now: datetime,
) -> import_svc.ImportReport | ImportRejected:
    """The import of the uploaded file; a rejected file as its error, to show its cells."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise DomainError("file: required", code="field_required", params={"field": "file"})
    content = read_upload(upload)
    try:
        return kind.run(session, actor, content, upload.filename, now=now, encoding=encoding)
    except ImportRejected as exc:
        return exc


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
    form = await request.form()
    encoding = str(form.get("encoding") or "utf-8")
    upload = form.get("file")
    filename = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    draft = {"encoding": encoding, "kind": kind.key, "file": filename}

    def respond() -> Response:
        actor = page.principal.actor
        result = attempt(lambda: _run_import(kind, session, actor, upload, encoding, now))
        if isinstance(result, Failure):
            return _imports_page(request, page, refusal=Refusal(result, draft))
        if isinstance(result, ImportRejected):
            n = len(result.problems)
            failure = Failure(400, "invalid", str(result), code="import_rejected", params={"n": n})
            refusal = Refusal(failure, draft)
            return _imports_page(request, page, refusal=refusal, rejected=(kind, result))
        return redirect(f"/imports?done={kind.key}&rows={result.rows}")

    try:
        return await off_loop(request, respond)
    finally:
        await form.close()  # the uploaded file's temporary copy
