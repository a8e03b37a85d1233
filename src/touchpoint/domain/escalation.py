"""Warnings before and escalations on SLA breach (升级): pure planning, ``now`` passed in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from touchpoint.domain.errors import DomainError

__all__ = [
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationStep",
    "PendingTarget",
    "plan_escalations",
]


class EscalationLevel(StrEnum):
    """A warning before the due time, or a breach after it."""

    WARNING = "warning"
    BREACH = "breach"

    @property
    def is_breach(self) -> bool:
        """Whether the target is already missed."""
        return self is EscalationLevel.BREACH


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """How the desk reacts: warn once ``warn_share`` of a target is used; on breach move
    the order one tier up and/or notify the team supervisor."""

    warn_share: float = 0.8
    tier_up_on_breach: bool = True
    notify_supervisor: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.warn_share < 1.0:
            raise DomainError(f"warn_share {self.warn_share!r} must lie strictly between 0 and 1")


@dataclass(frozen=True, slots=True)
class PendingTarget:
    """A running SLA target as the clock reports it (not paused, not met)."""

    name: str
    target_minutes: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One action to take for one target of one order."""

    target: str
    level: EscalationLevel
    due_at: datetime
    tier_up: bool
    notify_supervisor: bool


def plan_escalations(
    targets: Iterable[PendingTarget],
    *,
    now: datetime,
    business_seconds: Callable[[datetime, datetime], float],
    policy: EscalationPolicy,
    done: frozenset[tuple[str, EscalationLevel, datetime]] = frozenset(),
) -> list[EscalationStep]:
    """Steps due at ``now`` that are not in ``done`` (already taken for that due time).

    A target is breached when ``due_at <= now``; it is warned when the business time
    left, ``business_seconds(now, due_at)``, is at most ``(1 - warn_share)`` of the
    target. A breach implies no separate warning.
    """
    if now.tzinfo is None:
        raise DomainError(f"now {now.isoformat()!r} must be timezone-aware")
    steps: list[EscalationStep] = []
    for t in targets:
        if t.due_at <= now:
            level = EscalationLevel.BREACH
        else:
            left = business_seconds(now, t.due_at)
            if left > (1.0 - policy.warn_share) * t.target_minutes * 60.0:
                continue
            level = EscalationLevel.WARNING
        if (t.name, level, t.due_at) in done:
            continue
        breach = level.is_breach
        steps.append(
            EscalationStep(
                target=t.name,
                level=level,
                due_at=t.due_at,
                tier_up=breach and policy.tier_up_on_breach,
                notify_supervisor=breach and policy.notify_supervisor,
            )
        )
    return steps
