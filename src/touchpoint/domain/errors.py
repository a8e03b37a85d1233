"""Errors raised by the service-desk rules: ``ValueError`` subclasses naming field and value."""

from __future__ import annotations

__all__ = ["DomainError", "InvalidTransition", "RuleViolation"]


class DomainError(ValueError):
    """A value or a request breaks a rule of the desk; the message names field and value."""


class InvalidTransition(DomainError):
    """A work order cannot move from its current status to the requested one."""


class RuleViolation(DomainError):
    """A business rule forbids the request (e.g. closing a complaint without a return visit)."""
