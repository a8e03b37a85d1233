"""An SLA policy: the three targets in business minutes, and what next update measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from touchpoint.domain.sla.errors import SlaInputError
from touchpoint.domain.sla.vocabulary import TARGETS, NextUpdateFrom, choices

__all__ = ["SlaPolicy"]


def _target(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SlaInputError(
            key,
            value,
            "is not a whole number of business minutes >= 0 or null",
            code="sla_target",
            params={"sla_field": key},
        )
    return value


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets in business minutes; ``None`` means the target is not tracked.

    >>> SlaPolicy.from_json({"first_response_minutes": 60, "resolution_minutes": None})
    ... # doctest: +NORMALIZE_WHITESPACE
    SlaPolicy(first_response_minutes=60, next_update_minutes=None,
              next_update_from=<NextUpdateFrom.CUSTOMER_MESSAGE: 'customer_message'>,
              resolution_minutes=None)
    """

    first_response_minutes: int | None = None
    next_update_minutes: int | None = None
    next_update_from: NextUpdateFrom = NextUpdateFrom.CUSTOMER_MESSAGE
    resolution_minutes: int | None = None

    def __post_init__(self) -> None:
        for key in ("first_response_minutes", "next_update_minutes", "resolution_minutes"):
            _target({key: getattr(self, key)}, key)
        if not isinstance(self.next_update_from, NextUpdateFrom):
            try:
                mode = NextUpdateFrom(self.next_update_from)
            except ValueError:
                raise SlaInputError(
                    "next_update_from",
                    self.next_update_from,
                    f"is not one of {choices(tuple(NextUpdateFrom))}",
                ) from None
            object.__setattr__(self, "next_update_from", mode)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SlaPolicy:
        """Parse the policy JSON; a missing target is null, ``next_update_from``
        defaults to ``customer_message``."""
        if not isinstance(data, Mapping):
            raise SlaInputError("policy", data, "is not a JSON object")
        known = {
            "first_response_minutes",
            "next_update_minutes",
            "next_update_from",
            "resolution_minutes",
        }
        for key in data:
            if key not in known:
                raise SlaInputError(str(key), data[key], "is not a policy field")
        mode = data.get("next_update_from", NextUpdateFrom.CUSTOMER_MESSAGE.value)
        if not isinstance(mode, str) or mode not in tuple(NextUpdateFrom):
            raise SlaInputError(
                "next_update_from", mode, f"is not one of {choices(tuple(NextUpdateFrom))}"
            )
        return cls(
            first_response_minutes=_target(data, "first_response_minutes"),
            next_update_minutes=_target(data, "next_update_minutes"),
            next_update_from=NextUpdateFrom(mode),
            resolution_minutes=_target(data, "resolution_minutes"),
        )

    def to_json(self) -> dict[str, object]:
        """The policy JSON of issue 6."""
        return {
            "first_response_minutes": self.first_response_minutes,
            "next_update_minutes": self.next_update_minutes,
            "next_update_from": self.next_update_from.value,
            "resolution_minutes": self.resolution_minutes,
        }

    def target_minutes(self, target: str) -> int | None:
        """The target of ``first_response``, ``next_update`` or ``resolution``."""
        if target not in TARGETS:
            raise SlaInputError("target", target, f"is not one of {', '.join(TARGETS)}")
        value: int | None = getattr(self, f"{target}_minutes")
        return value
