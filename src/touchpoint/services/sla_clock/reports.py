"""An order's SLA report as the desk uses it: replayed from storage or from memory,
printed as JSON and kept in the order's sweep/sort cache columns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from touchpoint.domain.sla import SlaReport, TimelineEvent, replay
from touchpoint.services.sla_clock.batch import replay_batches
from touchpoint.services.sla_clock.policies import compiled_policy
from touchpoint.storage.models import WorkOrder

__all__ = [
    "refresh_sla_cache",
    "replay_order",
    "sla_cache_values",
    "sla_json",
    "sla_report",
    "sla_reports",
]


def sla_report(session: Session, order: WorkOrder, *, now: datetime) -> SlaReport | None:
    """Replay the order's stored timeline under its policy; None without a policy."""
    return sla_reports(session, [order], now=now)[order.id]


def sla_reports(
    session: Session, orders: Sequence[WorkOrder], *, now: datetime
) -> dict[int, SlaReport | None]:
    """SLA reports of many orders: timelines in one query, one replay per policy."""
    session.flush()  # events added in this transaction count
    out: dict[int, SlaReport | None] = {o.id: None for o in orders}
    tracked = sorted({(o.id, o.policy_id) for o in orders if o.policy_id is not None})
    if not tracked:
        return out
    ids = np.array([i for i, _ in tracked], dtype=np.int64)
    pids = np.array([p for _, p in tracked], dtype=np.int64)
    for batch in replay_batches(session, ids, pids, now=now):
        for i, oid in enumerate(batch.report.order_ids.tolist()):
            out[oid] = batch.report.report(i)
    return out


def replay_order(
    session: Session,
    policy_id: int | None,
    events: Sequence[TimelineEvent],
    *,
    now: datetime,
) -> SlaReport | None:
    """Replay a timeline held in memory (e.g. a new order's) under a policy; no event query."""
    if policy_id is None:
        return None
    _row, cal, pol = compiled_policy(session, policy_id)
    return replay(cal, pol, events, now=now)


def sla_json(report: SlaReport | None) -> dict[str, Any] | None:
    """The report exactly as ``touchpoint sla replay`` prints it."""
    return None if report is None else dict(report.to_json())


def sla_cache_values(report: SlaReport | None) -> dict[str, Any]:
    """The sweep/sort cache columns for a replay's report, as column values."""
    if report is None:
        return {"sla_next_escalation_at": None, "sla_breached": False}
    return {
        "sla_next_escalation_at": report.next_escalation_at,
        "sla_breached": any(
            t is not None and t.breached
            for t in (report.first_response, report.next_update, report.resolution)
        ),
    }


def refresh_sla_cache(order: WorkOrder, report: SlaReport | None) -> None:
    """Keep the sweep/sort cache columns in step with the replay."""
    for key, value in sla_cache_values(report).items():
        setattr(order, key, value)
