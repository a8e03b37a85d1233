"""Errors raised by services; the API maps each to one HTTP status.

Like the domain's errors, each keeps its English message as ``str(exc)`` (the API's
``detail``) and may carry a message ``code`` and ``params`` for the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from touchpoint.domain.errors import CodedError, DomainError
from touchpoint.storage.errors import BusyError

__all__ = [
    "AuthenticationError",
    "BusyError",
    "CodedError",
    "ConflictError",
    "DomainError",
    "ForbiddenError",
    "GoneError",
    "ImportRejected",
    "LoginThrottled",
    "NotFoundError",
    "RateLimited",
    "import_problem",
    "refused_cell",
]


class NotFoundError(CodedError, LookupError):
    """The entity does not exist (or is hidden from the actor): HTTP 404.

    Its code is always ``not_found`` with the ``entity`` and its ``id``.
    """

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(
            f"{entity} {entity_id!r} not found",
            code="not_found",
            params={"entity": entity, "id": entity_id},
        )
        self.entity = entity
        self.entity_id = entity_id


class ConflictError(CodedError, RuntimeError):
    """A stale version or a duplicate: HTTP 409; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        current_version: int | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.current_version = current_version


class ForbiddenError(CodedError, PermissionError):
    """The actor's role does not allow the request: HTTP 403."""


class AuthenticationError(PermissionError):
    """Unknown user, wrong password, inactive account or invalid token: HTTP 401."""


class RateLimited(CodedError, PermissionError):
    """Too many requests of one kind from one client: HTTP 429, with ``retry_after``
    seconds (e.g. answers through one kiosk link)."""

    def __init__(self, message: str, *, retry_after: int, code: str) -> None:
        minutes = -(-retry_after // 60)  # the pages tell whole minutes, rounded up
        super().__init__(message, code=code, params={"seconds": retry_after, "minutes": minutes})
        self.retry_after = retry_after


class LoginThrottled(RateLimited):
    """Too many failed logins (the user is locked, or the client address must wait):
    HTTP 429, with ``retry_after`` seconds. Refused whatever the password."""


class GoneError(CodedError, LookupError):
    """The thing existed but is no longer available (an expired survey link, one of a
    closed wave or a cancelled invitation): HTTP 410; nothing was written."""


def import_problem(
    row: int,
    column: str,
    value: str,
    message: str,
    *,
    code: str,
    params: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """One bad cell of an import: its row (as numbered in the file, header = row 1),
    column and value, the English ``message`` the API answers, and the message ``code``
    with ``params`` the pages say it with in their language."""
    return {
        "row": row,
        "column": column,
        "value": value,
        "message": message,
        "code": code,
        "params": dict(params or {}),
    }


def refused_cell(row: int, column: str, value: str, exc: DomainError) -> dict[str, Any]:
    """The problem of a cell a domain rule refused (a phone, an e-mail, an instant), with
    the rule's own message code; ``import_cell`` when the rule has none."""
    return import_problem(
        row, column, value, str(exc), code=exc.code or "import_cell", params=exc.params
    )


class ImportRejected(DomainError):
    """An import had bad rows; nothing was written. ``problems`` names row, column, value
    (see :func:`import_problem`)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0] if problems else {}
        super().__init__(
            f"import rejected: {len(problems)} problem(s); first at row {first.get('row')}, "
            f"column {first.get('column')!r}: {first.get('message')}"
        )
        self.problems = problems
