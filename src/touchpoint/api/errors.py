"""Map service and domain errors to clear responses: 4xx for a refused request, 503 while
the database is busy with another write or when a request ran past its time limit."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, StatementError

from touchpoint.domain.errors import DomainError
from touchpoint.domain.survey_answers import AnswerError
from touchpoint.domain.survey_definition import DefinitionError
from touchpoint.engine.errors import InputError
from touchpoint.services.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    ForbiddenError,
    GoneError,
    ImportRejected,
    NotFoundError,
    RateLimited,
)
from touchpoint.storage.deadline import DeadlineExceeded

__all__ = [
    "ERROR_RESPONSES",
    "LOGIN_RESPONSES",
    "RETRY_LATE_SECONDS",
    "SURVEY_RESPONSES",
    "ErrorPublic",
    "ImportProblemPublic",
    "RefusalPublic",
    "install_error_handlers",
    "not_found",
    "too_late",
]

#: Seconds a client should wait before retrying a request that ran out of time: not at
#: once, since whatever made it slow (a busy server, a large report) is likely still there.
RETRY_LATE_SECONDS = 5


class ImportProblemPublic(BaseModel):
    """One bad cell of an import."""

    row: int
    column: str
    value: str
    message: str
    code: str | None = Field(
        default=None, description="message code of the problem, for a translated message"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the code's parameters")


class ErrorPublic(BaseModel):
    """An error: ``detail`` says what is wrong; conflicts carry the current version and
    rejected imports the list of problems."""

    detail: str
    current_version: int | None = None
    problems: list[ImportProblemPublic] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorPublic, "description": "Invalid request (the message names the field)"},
    401: {"model": ErrorPublic, "description": "Not authenticated"},
    403: {"model": ErrorPublic, "description": "Role not allowed"},
    404: {"model": ErrorPublic, "description": "Not found"},
    409: {"model": ErrorPublic, "description": "Stale version or duplicate; nothing written"},
    503: {
        "model": ErrorPublic,
        "description": (
            "The database is busy with another write, or the request ran past the "
            "server's time limit; nothing written, retry after Retry-After seconds"
        ),
    },
}


class RefusalPublic(BaseModel):
    """An unprocessable request: a survey definition or an answer that breaks a rule
    (``detail`` says which question and why; ``question`` and ``value`` name them for an
    answer), or a body of the wrong shape (``detail`` lists the fields at fault)."""

    detail: str | list[dict[str, Any]]
    question: str | None = None
    value: Any = None


#: What the survey routes answer: ``ERROR_RESPONSES`` and 422 for a definition or an
#: answer that breaks a rule.
SURVEY_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    422: {
        "model": RefusalPublic,
        "description": "A definition or answer breaks a rule (the message names the question)",
    },
}

#: What the login routes answer besides ``ERROR_RESPONSES``.
LOGIN_RESPONSES: dict[int | str, dict[str, object]] = {
    429: {
        "model": ErrorPublic,
        "description": (
            "Too many failed logins: the user is locked, or this client address must "
            "wait; refused whatever the password, retry after Retry-After seconds"
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds until a login may be tried again",
                "schema": {"type": "integer"},
            }
        },
    },
}


def _json(status: int, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {"detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(status_code=status, content=body)


def not_found(exc: NotFoundError) -> JSONResponse:
    """The 404 of a record that does not exist or is hidden from the caller."""
    return _json(404, str(exc))


def too_late(exc: DeadlineExceeded) -> JSONResponse:
    """The 503 of a request stopped at its time limit (``api.time_limit``): nothing was
    written; retry after ``Retry-After`` seconds."""
    resp = _json(503, str(exc))
    resp.headers["Retry-After"] = str(RETRY_LATE_SECONDS)
    return resp


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ImportRejected)
    async def _import(_r: Request, exc: ImportRejected) -> JSONResponse:
        return _json(400, str(exc), problems=exc.problems)

    @app.exception_handler(DomainError)
    async def _domain(_r: Request, exc: DomainError) -> JSONResponse:
        return _json(400, str(exc))

    @app.exception_handler(NotFoundError)
    async def _missing(_r: Request, exc: NotFoundError) -> JSONResponse:
        return not_found(exc)

    @app.exception_handler(ConflictError)
    async def _conflict(_r: Request, exc: ConflictError) -> JSONResponse:
        return _json(409, str(exc), current_version=exc.current_version)

    @app.exception_handler(BusyError)
    async def _busy(_r: Request, exc: BusyError) -> JSONResponse:
        resp = _json(503, str(exc))
        resp.headers["Retry-After"] = "1"
        return resp

    @app.exception_handler(DeadlineExceeded)
    async def _late(_r: Request, exc: DeadlineExceeded) -> JSONResponse:
        return too_late(exc)

    @app.exception_handler(GoneError)
    async def _gone(_r: Request, exc: GoneError) -> JSONResponse:
        return _json(410, str(exc))

    @app.exception_handler(AnswerError)
    async def _answer(_r: Request, exc: AnswerError) -> JSONResponse:
        return _json(422, str(exc), question=exc.question_id, value=exc.value)

    @app.exception_handler(InputError)
    async def _input(_r: Request, exc: InputError) -> JSONResponse:
        return _json(422, str(exc))

    @app.exception_handler(DefinitionError)
    async def _definition(_r: Request, exc: DefinitionError) -> JSONResponse:
        return _json(422, str(exc))

    @app.exception_handler(RateLimited)
    async def _throttled(_r: Request, exc: RateLimited) -> JSONResponse:
        resp = _json(429, str(exc))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.exception_handler(ForbiddenError)
    async def _forbidden(_r: Request, exc: ForbiddenError) -> JSONResponse:
        return _json(403, str(exc))

    @app.exception_handler(AuthenticationError)
    async def _unauth(_r: Request, exc: AuthenticationError) -> JSONResponse:
        resp = _json(401, str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(DataError)
    async def _data(_r: Request, exc: DataError) -> JSONResponse:
        first = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
        return _json(400, f"the database refused a value: {first}")

    @app.exception_handler(StatementError)
    async def _statement(_r: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, ValueError | OverflowError):
            return _json(400, f"invalid value: {exc.orig}")
        raise exc
