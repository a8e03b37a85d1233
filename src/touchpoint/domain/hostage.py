"""Hostage customers (人质客户, DOMAIN.md §2): customers who keep buying while very
dissatisfied, and spread bad word of mouth. Flagged by rule, not by hand.

A customer is a hostage when both hold:

* their repeat patronage is high: over the last :data:`WINDOW_DAYS` days they have at
  least two patronage entries on the transaction card (purchases, payments, stays) and at
  least the median count of the customers with any (the customer base's median);
* their latest survey answer with an NPS or CSAT is a detractor's: NPS ≤ 6 or CSAT ≤ 2.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from touchpoint.domain.survey_answers import detractor

__all__ = ["PATRONAGE_KINDS", "WINDOW_DAYS", "HostageBasis", "base_median"]

#: Transaction kinds that count as patronage.
PATRONAGE_KINDS = ("purchase", "payment", "stay")
#: The window of repeat patronage, in days (twelve months).
WINDOW_DAYS = 365


def base_median(counts: Sequence[int]) -> float:
    """The median patronage count of the customers with any (0 when nobody has one).

    >>> base_median([1, 4, 2, 9])
    3.0
    """
    return float(statistics.median(counts)) if counts else 0.0


@dataclass(frozen=True, slots=True)
class HostageBasis:
    """The rule's inputs for one customer, and when they were read."""

    repeat_purchases: int
    base_median: float
    latest_nps: int | None
    latest_csat: int | None
    evaluated_at: datetime

    @property
    def hostage(self) -> bool:
        """Whether the rule flags the customer.

        >>> from datetime import UTC
        >>> HostageBasis(5, 3.0, 4, None, datetime(2026, 1, 1, tzinfo=UTC)).hostage
        True
        >>> HostageBasis(5, 3.0, 8, 4, datetime(2026, 1, 1, tzinfo=UTC)).hostage
        False
        """
        loyal = self.repeat_purchases >= 2 and self.repeat_purchases >= self.base_median
        return loyal and detractor(self.latest_csat, self.latest_nps)

    def as_json(self) -> dict[str, Any]:
        """The inputs as stored with the customer and shown on the customer page."""
        return {
            "repeat_purchases": self.repeat_purchases,
            "base_median": self.base_median,
            "latest_nps": self.latest_nps,
            "latest_csat": self.latest_csat,
            "window_days": WINDOW_DAYS,
            "evaluated_at": self.evaluated_at.isoformat(),
        }
