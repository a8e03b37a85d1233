"""Which SLA policy applies to a work order: rules matched on type, priority, class, channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from touchpoint.domain.contacts import Channel
from touchpoint.domain.customers import CustomerClass
from touchpoint.domain.work_orders import Priority, WorkOrderType

__all__ = ["SlaRule", "select_policy"]


@dataclass(frozen=True, slots=True)
class SlaRule:
    """Conditions under which policy ``policy_id`` applies; an empty set matches anything.

    Rules are tried by ascending ``rank``; among equal ranks the more specific rule
    (more non-empty conditions) wins, then the lower ``policy_id``.
    """

    policy_id: int
    rank: int = 100
    types: frozenset[WorkOrderType] = field(default_factory=frozenset)
    priorities: frozenset[Priority] = field(default_factory=frozenset)
    customer_classes: frozenset[CustomerClass] = field(default_factory=frozenset)
    channels: frozenset[Channel] = field(default_factory=frozenset)

    @property
    def specificity(self) -> int:
        """Number of conditions that are set."""
        return sum(
            1 for s in (self.types, self.priorities, self.customer_classes, self.channels) if s
        )

    def matches(
        self,
        type: WorkOrderType,
        priority: Priority,
        customer_class: CustomerClass,
        channel: Channel,
    ) -> bool:
        """Whether every set condition holds for the order."""
        return (
            (not self.types or type in self.types)
            and (not self.priorities or priority in self.priorities)
            and (not self.customer_classes or customer_class in self.customer_classes)
            and (not self.channels or channel in self.channels)
        )


def select_policy(
    rules: Iterable[SlaRule],
    *,
    type: WorkOrderType,
    priority: Priority,
    customer_class: CustomerClass,
    channel: Channel,
) -> int | None:
    """The id of the policy that applies, or None when no rule matches."""
    ordered = sorted(rules, key=lambda r: (r.rank, -r.specificity, r.policy_id))
    for rule in ordered:
        if rule.matches(type, priority, customer_class, channel):
            return rule.policy_id
    return None
