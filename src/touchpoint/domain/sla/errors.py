"""The errors of the SLA clock: a bad policy, event or timeline, named field by field."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SlaInputError", "TimelineError"]


class SlaInputError(ValueError):
    """An SLA policy, event or timeline is invalid; the message names field and value."""

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
        # A message code for a page, its params beside the value as ``value`` shows it.
        self.code = code
        self.params: dict[str, object] = {"value": repr(value), **(params or {})}
        super().__init__(f"{field}: {value!r} {problem}")


class TimelineError(SlaInputError):
    """An order timeline breaks the rules of issue 6; ``index`` is the event's position."""

    def __init__(self, index: int, field: str, value: object, problem: str) -> None:
        self.index = index
        super().__init__(f"events[{index}].{field}", value, problem)
