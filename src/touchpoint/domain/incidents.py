"""Mass incidents (大面积停电 etc.): one incident links many contacts and orders."""

from __future__ import annotations

from enum import StrEnum

from touchpoint.domain.errors import DomainError, empty_field

__all__ = ["IncidentStatus", "validate_announcement"]


class IncidentStatus(StrEnum):
    """An incident is open until it is resolved, which resolves its linked orders."""

    OPEN = "open"
    RESOLVED = "resolved"

    @property
    def accepts_links(self) -> bool:
        """Only open incidents take new contacts and orders."""
        return self is IncidentStatus.OPEN


def validate_announcement(text: str) -> str:
    """The automatic announcement (自动播报): 1–2000 characters once stripped."""
    stripped = text.strip()
    if not stripped:
        raise empty_field("announcement")
    if len(stripped) > 2000:
        raise DomainError(
            f"announcement: {len(stripped)} characters, at most 2000",
            code="text_too_long",
            params={"field": "announcement", "n": len(stripped), "limit": 2000},
        )
    return stripped
