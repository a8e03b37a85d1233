"""Service recovery on complaints (服务补救) and perceived justice at the return visit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from touchpoint.domain.errors import DomainError, empty_field

__all__ = [
    "Cause5W1H",
    "Compensation",
    "CompensationKind",
    "JusticeScores",
    "RecoveryStep",
]


class CompensationKind(StrEnum):
    """What the customer is given to restore goodwill."""

    NONE = "none"
    REFUND = "refund"
    CREDIT = "credit"
    VOUCHER = "voucher"
    GIFT = "gift"
    FREE_SERVICE = "free_service"
    UPGRADE = "upgrade"

    @property
    def is_monetary(self) -> bool:
        """Whether the kind carries an amount of money."""
        return self in (CompensationKind.REFUND, CompensationKind.CREDIT, CompensationKind.VOUCHER)


class RecoveryStep(StrEnum):
    """Complaint handling steps (投诉处理), each announced to the customer."""

    COOL_DOWN = "cool_down"
    INVESTIGATE = "investigate"
    APPLY_RULES = "apply_rules"
    RESOLVE = "resolve"
    REVIEW = "review"
    RETURN_VISIT = "return_visit"


@dataclass(frozen=True, slots=True)
class Cause5W1H:
    """The investigated cause: what, why, who, where, when, how."""

    what: str
    why: str
    who: str = ""
    where: str = ""
    when: str = ""
    how: str = ""

    def __post_init__(self) -> None:
        for name in ("what", "why"):
            if not getattr(self, name).strip():
                raise empty_field(f"cause.{name}")


@dataclass(frozen=True, slots=True)
class Compensation:
    """Kind and amount (minor units, e.g. fen/cents); a non-monetary kind has amount 0."""

    kind: CompensationKind
    amount_minor: int = 0

    def __post_init__(self) -> None:
        if self.amount_minor < 0:
            raise DomainError(
                f"compensation.amount: {self.amount_minor} must not be negative",
                code="negative_amount",
                params={"field": "compensation.amount"},
            )
        if self.kind is CompensationKind.NONE and self.amount_minor:
            raise DomainError(
                "compensation.amount: must be 0 when kind is 'none'",
                code="amount_without_compensation",
            )


@dataclass(frozen=True, slots=True)
class JusticeScores:
    """Perceived justice at the return visit, each on 1–5: outcome (distributive),
    process (procedural), treatment (interactional)."""

    outcome: int
    process: int
    treatment: int

    def __post_init__(self) -> None:
        for name in ("outcome", "process", "treatment"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 1 <= v <= 5:
                raise DomainError(
                    f"justice.{name}: {v!r} must be an integer from 1 to 5",
                    code="justice_score",
                    params={"field": f"justice.{name}"},
                )

    @property
    def mean(self) -> float:
        """Mean of the three parts."""
        return (self.outcome + self.process + self.treatment) / 3.0
