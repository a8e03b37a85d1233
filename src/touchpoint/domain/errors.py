"""Errors raised by the service-desk rules: ``ValueError`` subclasses naming field and value.

Every error keeps its English message as ``str(exc)`` (what the API answers, word for
word) and may also carry a machine ``code`` with ``params``: the pages look the code up
in their zh-CN and en catalogues instead of showing the developer's English.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CodedError",
    "DomainError",
    "FieldValueError",
    "InvalidTransition",
    "RuleViolation",
    "empty_field",
    "unknown_reference",
]


class CodedError(Exception):
    """An error with an English message and, optionally, a message code for the pages.

    ``code`` names the message in the pages' catalogues; ``params`` fill its
    placeholders. Without a code the pages fall back to the English message.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, object] = dict(params) if params else {}


class FieldValueError(ValueError):
    """A value of a document (a calendar, an SLA policy, a timeline) breaks a rule: the
    message is ``field: value problem``, ``field`` a JSON path such as
    ``hours.mon[1][0]``. ``code``, when given, names the problem for a page; its params
    are ``where`` (the path), ``value`` (as the message shows it) and ``params``."""

    def __init__(
        self,
        field: str,
        value: object,
        problem: str,
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        self.code = code
        self.params: dict[str, object] = {"where": field, "value": repr(value), **(params or {})}
        super().__init__(f"{field}: {value!r} {problem}")


class DomainError(CodedError, ValueError):
    """A value or a request breaks a rule of the desk; the message names field and value."""


class InvalidTransition(DomainError):
    """A work order cannot move from its current status to the requested one."""


class RuleViolation(DomainError):
    """A business rule forbids the request (e.g. closing a complaint without a return visit)."""


def empty_field(field: str) -> DomainError:
    """``field: must not be empty`` (code ``field_empty``)."""
    return DomainError(f"{field}: must not be empty", code="field_empty", params={"field": field})


def unknown_reference(field: str, entity: str, entity_id: object, noun: str = "") -> DomainError:
    """``field: noun N does not exist`` for an id that names no ``entity`` (code
    ``unknown_reference``); ``noun`` is the English word when it differs from ``entity``."""
    return DomainError(
        f"{field}: {noun or entity} {entity_id} does not exist",
        code="unknown_reference",
        params={"field": field, "entity": entity, "id": entity_id},
    )
