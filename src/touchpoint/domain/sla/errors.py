"""The errors of the SLA clock: a bad policy, event or timeline, named field by field."""

from __future__ import annotations

from touchpoint.domain.errors import FieldValueError

__all__ = ["SlaInputError", "TimelineError"]


class SlaInputError(FieldValueError):
    """An SLA policy, event or timeline is invalid; the message names field and value."""


class TimelineError(SlaInputError):
    """An order timeline breaks the rules of issue 6; ``index`` is the event's position."""

    def __init__(self, index: int, field: str, value: object, problem: str) -> None:
        self.index = index
        super().__init__(f"events[{index}].{field}", value, problem)
