"""Page-side view models: SLA panels with countdown data, name look-ups, refused writes.

These turn the services' full-precision results into what a template shows; rounding
and colour choices happen here and in the templates, never in the services.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from touchpoint.domain.errors import CodedError, DomainError
from touchpoint.domain.sla import SlaReport, TargetReport
from touchpoint.engine.errors import InputError
from touchpoint.services.directory import Directory
from touchpoint.services.errors import BusyError, ConflictError, ForbiddenError, NotFoundError
from touchpoint.services.work_orders import WorkOrderDetail
from touchpoint.web.site import utc

__all__ = [
    "Failure",
    "Names",
    "SlaPanel",
    "TargetView",
    "attempt",
    "refused",
    "sla_panel",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TargetView:
    """One SLA target as the page shows it."""

    name: str
    target_minutes: int
    due_at: datetime | None
    due_iso: str | None
    met_at: datetime | None
    used_minutes: int | None
    left_minutes: int | None
    breached: bool
    state: str  # "met", "bad", "warn", "ok", "paused", "none"
    warn_seconds: int


@dataclass(frozen=True, slots=True)
class SlaPanel:
    """An order's SLA: next escalation, pause state, and each target."""

    paused: bool
    paused_since: datetime | None
    next_escalation_at: datetime | None
    next_escalation_iso: str | None
    breached: bool
    warn_seconds: int
    state: str
    targets: list[TargetView]


def _target_state(t: TargetReport, paused: bool, warn_share: float) -> str:
    if t.breached:
        return "bad"
    if t.met_at is not None:
        return "met"
    if paused:
        return "paused"
    if t.due_at is None:
        return "none"
    if t.left_minutes is not None and t.left_minutes <= t.target_minutes * (1 - warn_share):
        return "warn"
    return "ok"


def sla_panel(report: SlaReport | None, warn_share: float = 0.8) -> SlaPanel | None:
    """The SLA panel of one order (None when no policy applies)."""
    if report is None:
        return None
    targets = []
    for name, t in report.targets.items():
        warn = int(t.target_minutes * 60 * (1 - warn_share))
        targets.append(
            TargetView(
                name=name,
                target_minutes=t.target_minutes,
                due_at=t.due_at,
                due_iso=utc(t.due_at).isoformat() if t.due_at is not None else None,
                met_at=t.met_at,
                used_minutes=t.used_minutes,
                left_minutes=t.left_minutes,
                breached=t.breached,
                state=_target_state(t, report.paused, warn_share),
                warn_seconds=warn,
            )
        )
    pending = [t for t in targets if t.due_at is not None and t.met_at is None]
    nearest = min(pending, key=lambda t: t.due_iso or "") if pending else None
    breached = any(t.breached for t in targets)
    if breached:
        state = "bad"
    elif report.paused:
        state = "paused"
    elif nearest is not None:
        state = nearest.state
    else:
        state = "none"
    esc = report.next_escalation_at
    return SlaPanel(
        paused=report.paused,
        paused_since=report.paused_since,
        next_escalation_at=esc,
        next_escalation_iso=utc(esc).isoformat() if esc is not None else None,
        breached=breached,
        warn_seconds=nearest.warn_seconds if nearest is not None else 0,
        state=state,
        targets=targets,
    )


@dataclass(frozen=True, slots=True)
class Names:
    """Labels for the ids a page shows, from the service's :class:`Directory`."""

    directory: Directory

    @property
    def customers(self) -> dict[int, str]:
        """Customer names by id (only the customers the page asked for)."""
        return self.directory.customers

    def user(self, uid: int | None) -> str:
        """A user's display name, or an em dash."""
        return self.directory.users.get(uid, "—") if uid is not None else "—"

    def team(self, tid: int | None) -> str:
        """A team's name, or an em dash."""
        return self.directory.teams.get(tid, "—") if tid is not None else "—"

    def panel(self, detail: WorkOrderDetail) -> SlaPanel | None:
        """The SLA panel of ``detail`` with its policy's warning share."""
        pid = detail.order.policy_id
        share = self.directory.warn_shares.get(pid, 0.8) if pid is not None else 0.8
        return sla_panel(detail.report, share)


@dataclass(frozen=True, slots=True)
class Failure:
    """A write the services refused: HTTP status, kind, the service's English message
    (``detail``) and, when the error has one, its message code and params, which the
    page shows in its own language instead."""

    status: int
    kind: str  # "conflict", "invalid", "missing", "forbidden", "busy"
    detail: str
    current_version: int | None = None
    code: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)


def refused(status: int, kind: str, exc: CodedError, current_version: int | None = None) -> Failure:
    """The ``Failure`` that shows ``exc``: its English message, code and params."""
    return Failure(status, kind, str(exc), current_version, exc.code, dict(exc.params))


def analysis_failure(exc: DomainError | InputError) -> Failure:
    """An analysis refused: an option it cannot take (400, in the page's language when the
    error has a code) or data it cannot read (422, naming the file, row and column)."""
    if isinstance(exc, InputError):
        return Failure(422, "invalid", str(exc), code=exc.code, params=exc.params)
    return refused(400, "invalid", exc)


def attempt(call: Callable[[], T]) -> T | Failure:
    """Run one service write, turning its refusals into a ``Failure`` to show."""
    try:
        return call()
    except ConflictError as exc:
        return refused(409, "conflict", exc, exc.current_version)
    except BusyError as exc:
        return refused(503, "busy", exc)
    except NotFoundError as exc:
        return refused(404, "missing", exc)
    except ForbiddenError as exc:
        return refused(403, "forbidden", exc)
    except DomainError as exc:
        return refused(400, "invalid", exc)
