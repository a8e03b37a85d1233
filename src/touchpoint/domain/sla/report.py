"""What a replay reports: per order (values) and per batch (one array element per order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from touchpoint.domain.calendar import NEVER, format_instant, from_epoch_seconds
from touchpoint.domain.sla.vocabulary import (
    NO_INSTANT,
    STATUSES,
    BoolArray,
    Int8Array,
    Int64Array,
    OrderStatus,
)

__all__ = ["NextUpdateReport", "SlaBatchReport", "SlaReport", "TargetOutcomes", "TargetReport"]


def _instant(seconds: int) -> datetime | None:
    return None if seconds in (NO_INSTANT, NEVER) else from_epoch_seconds(seconds)


def _text(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


@dataclass(frozen=True, slots=True)
class TargetReport:
    """One target of one order (Zammad's vocabulary: due time, minutes used and left).

    ``due_at`` is null for a met target, a stopped clock, a resolved order and a
    deadline the calendar never reaches; ``used_minutes``/``left_minutes`` are null
    until the target has a completed span (rule 7).
    """

    target_minutes: int
    due_at: datetime | None
    met_at: datetime | None
    used_minutes: int | None
    left_minutes: int | None
    breached: bool

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay``."""
        return {
            "target_minutes": self.target_minutes,
            "due_at": _text(self.due_at),
            "met_at": _text(self.met_at),
            "used_minutes": self.used_minutes,
            "left_minutes": self.left_minutes,
            "breached": self.breached,
        }


@dataclass(frozen=True, slots=True)
class NextUpdateReport(TargetReport):
    """The next-update target, with ``started_at``: the start of its running clock."""

    started_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay`` (adds ``started_at``)."""
        out = TargetReport.to_json(self)
        out["started_at"] = _text(self.started_at)
        return out


@dataclass(frozen=True, slots=True)
class SlaReport:
    """An order's SLA state; a target is ``None`` when the policy does not track it."""

    status: OrderStatus
    paused: bool
    paused_since: datetime | None
    next_escalation_at: datetime | None
    first_response: TargetReport | None
    next_update: NextUpdateReport | None
    resolution: TargetReport | None

    @property
    def targets(self) -> dict[str, TargetReport]:
        """The tracked targets by name (``first_response``, ``next_update``, ``resolution``)."""
        found = {
            "first_response": self.first_response,
            "next_update": self.next_update,
            "resolution": self.resolution,
        }
        return {name: report for name, report in found.items() if report is not None}

    def to_json(self) -> dict[str, object]:
        """As printed by ``touchpoint sla replay``."""
        return {
            "status": self.status.value,
            "paused": self.paused,
            "paused_since": _text(self.paused_since),
            "next_escalation_at": _text(self.next_escalation_at),
            "first_response": None
            if self.first_response is None
            else self.first_response.to_json(),
            "next_update": None if self.next_update is None else self.next_update.to_json(),
            "resolution": None if self.resolution is None else self.resolution.to_json(),
        }


@dataclass(frozen=True, eq=False)
class TargetOutcomes:
    """One target over a batch of orders, one array element per order.

    Instants are UTC epoch seconds with :data:`NO_INSTANT` for null and
    :data:`~touchpoint.domain.calendar.NEVER` for a deadline the calendar never
    reaches; ``used_seconds`` is ``-1`` while the target has no completed span.
    ``pending`` marks a clock that is running or paused-running (it has a deadline);
    ``met`` counts as met for what-if: a met first response or resolution, or a next
    update with no pending clock, each without breach.
    """

    target_minutes: int
    due_at: Int64Array
    met_at: Int64Array
    started_at: Int64Array
    used_seconds: Int64Array
    breached: BoolArray
    pending: BoolArray
    met: BoolArray

    def summary(self) -> dict[str, object]:
        """``{"breached": k, "share": k/n, "met": m, "pending": p}``; the three add up to n."""
        n = len(self.breached)
        breached = int(self.breached.sum())
        met = int(self.met.sum())
        return {
            "breached": breached,
            "share": breached / n if n else None,
            "met": met,
            "pending": n - breached - met,
        }

    def report(self, i: int) -> TargetReport:
        """Order ``i``'s target as a :class:`TargetReport`."""
        used = int(self.used_seconds[i])
        used_minutes = None if used < 0 else used // 60
        return TargetReport(
            target_minutes=self.target_minutes,
            due_at=_instant(int(self.due_at[i])),
            met_at=_instant(int(self.met_at[i])),
            used_minutes=used_minutes,
            left_minutes=None if used_minutes is None else self.target_minutes - used_minutes,
            breached=bool(self.breached[i]),
        )

    def next_update_report(self, i: int) -> NextUpdateReport:
        """Order ``i``'s next-update target, with the start of its running clock."""
        base = self.report(i)
        return NextUpdateReport(
            target_minutes=base.target_minutes,
            due_at=base.due_at,
            met_at=base.met_at,
            used_minutes=base.used_minutes,
            left_minutes=base.left_minutes,
            breached=base.breached,
            started_at=_instant(int(self.started_at[i])),
        )


@dataclass(frozen=True, eq=False)
class SlaBatchReport:
    """The SLA state of many orders, one array element per order of :class:`Timelines`."""

    order_ids: Int64Array
    status: Int8Array
    paused: BoolArray
    paused_since: Int64Array
    next_escalation_at: Int64Array
    first_response: TargetOutcomes | None
    next_update: TargetOutcomes | None
    resolution: TargetOutcomes | None

    def __len__(self) -> int:
        return len(self.status)

    def summary(self) -> dict[str, object]:
        """Per target ``{"breached", "share", "met", "pending"}``, null when untracked."""
        return {
            name: None if outcome is None else outcome.summary()
            for name, outcome in (
                ("first_response", self.first_response),
                ("next_update", self.next_update),
                ("resolution", self.resolution),
            )
        }

    def report(self, i: int) -> SlaReport:
        """Order ``i`` as an :class:`SlaReport`."""
        return SlaReport(
            status=STATUSES[int(self.status[i])],
            paused=bool(self.paused[i]),
            paused_since=_instant(int(self.paused_since[i])),
            next_escalation_at=_instant(int(self.next_escalation_at[i])),
            first_response=None if self.first_response is None else self.first_response.report(i),
            next_update=None
            if self.next_update is None
            else self.next_update.next_update_report(i),
            resolution=None if self.resolution is None else self.resolution.report(i),
        )
