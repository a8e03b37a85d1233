"""Errors raised by services; the API maps each to one HTTP status."""

from __future__ import annotations

from typing import Any

from touchpoint.domain.errors import DomainError
from touchpoint.storage.errors import BusyError

__all__ = [
    "AuthenticationError",
    "BusyError",
    "ConflictError",
    "DomainError",
    "ForbiddenError",
    "ImportRejected",
    "NotFoundError",
]


class NotFoundError(LookupError):
    """The entity does not exist (or is hidden from the actor): HTTP 404."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id!r} not found")
        self.entity = entity
        self.entity_id = entity_id


class ConflictError(RuntimeError):
    """A stale version or a duplicate: HTTP 409; nothing was written."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class ForbiddenError(PermissionError):
    """The actor's role does not allow the request: HTTP 403."""


class AuthenticationError(PermissionError):
    """Unknown user, wrong password, inactive account or invalid token: HTTP 401."""


class ImportRejected(DomainError):
    """An import had bad rows; nothing was written. ``problems`` names row, column, value."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0] if problems else {}
        super().__init__(
            f"import rejected: {len(problems)} problem(s); first at row {first.get('row')}, "
            f"column {first.get('column')!r}: {first.get('message')}"
        )
        self.problems = problems
