"""The five-gap report (服务质量差距模型, DOMAIN.md §3.2): per SERVQUAL dimension where the
data allow, which gap to close next.

- gap 5 (customer) = SERVQUAL P - E on the customer wave (``engine.servqual_report``
  through ``services.wave_analysis``: the wave's Parquet snapshot);
- gap 1 (knowledge) = managers' E - customers' E, the managers' wave being the
  ``servqual`` template answered as they believe customers would;
- gap 2 (standards) = the share of high-importance items without a standard in the
  register (``services.gap_registers``); importance is the customer wave's item E means,
  or, given ``weights`` (e.g. the AHP weights of the five dimensions), the weight of the
  item's dimension; high = at or above the mean importance of the 22 items;
- gap 3 (delivery) = for each standard with an SLA metric, the share of the period's
  orders meeting that SLA target against the standard's target share;
- gap 4 (communication) = for each pledge, the share of the period's delivered values
  within the promise, and their median (``services.gap_desk``).

Gaps 3 and 4 need a period (``start``/``end`` dates); without one they are None. Every
gap is then put on one scale, a shortfall from 0 to 1 (``quality.gaps``), and the
report names the largest, its dimension and the items (standards, pledges) behind it.
A tie goes to the lower-numbered gap: the causes (1-4) come before the outcome (5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.domain.time_zones import local_period
from touchpoint.quality import gaps as q
from touchpoint.quality.servqual import SERVQUAL_ITEMS, dimension_of_item
from touchpoint.services.base import Actor, require
from touchpoint.services.gap_desk import desk_delivery
from touchpoint.services.gap_registers import SLA_METRICS, list_pledges, list_standards
from touchpoint.services.wave_analysis import AnalysisOptions, Instrument, analyze_wave
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.gap_models import ServicePledge, ServiceStandard

__all__ = ["NORMALISATION", "GapPeriod", "gap_report"]

NORMALISATION = (
    "Every gap as a shortfall from 0 to 1: gap 5 max(0, E - P) / 6 and gap 1 "
    "|E_managers - E_customers| / 6 (6: the widest difference of two means on the 1-7 "
    "scale); gap 2 the share of high-importance items without a standard; gap 3 "
    "max(0, target - compliance); gap 4 1 - share of delivered values within the promise."
)


@dataclass(frozen=True, slots=True)
class GapPeriod:
    """The desk's period for gaps 3 and 4: local dates ``start`` to ``end`` inclusive."""

    start: date
    end: date
    tz: str = "Asia/Shanghai"

    def instants(self) -> tuple[datetime, datetime]:
        """``[start, end)`` as instants: local midnight to the midnight after ``end``."""
        return local_period(self.start, self.end, self.tz)


def _servqual(
    session: Session, actor: Actor, wave_id: int, snapshots: WaveSnapshots | None
) -> dict[str, Any]:
    return analyze_wave(
        session, actor, wave_id, Instrument.SERVQUAL, AnalysisOptions(), snapshots=snapshots
    )


def _by_dimension(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dimension"]: d for d in report["dimensions"]}


def _by_item(report: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(i["item"]): i for i in report["items"]}


def _gap5(customers: Mapping[str, Any]) -> dict[str, Any]:
    items = _by_item(customers)
    dims = []
    for d in customers["dimensions"]:
        gap = d["gap"]
        behind = sorted(
            (i for i in SERVQUAL_ITEMS[d["dimension"]] if (items[i]["gap"] or 0.0) < 0),
            key=lambda i: (items[i]["gap"], i),
        )
        dims.append(
            {
                "dimension": d["dimension"],
                "expectation": d["expectation"],
                "perception": d["perception"],
                "gap": gap,
                "shortfall": None if gap is None else q.customer_shortfall(gap),
                "items": behind,
            }
        )
    return {"unweighted": customers["unweighted"], "dimensions": dims}


def _gap1(customers: Mapping[str, Any], managers: Mapping[str, Any]) -> dict[str, Any]:
    c_items, m_items = _by_item(customers), _by_item(managers)
    c_dims, m_dims = _by_dimension(customers), _by_dimension(managers)
    dims = []
    for name, numbers in SERVQUAL_ITEMS.items():
        ce, me = c_dims[name]["expectation"], m_dims[name]["expectation"]
        gap = None if ce is None or me is None else me - ce
        differences = {
            i: m_items[i]["expectation"] - c_items[i]["expectation"]
            for i in numbers
            if m_items[i]["expectation"] is not None and c_items[i]["expectation"] is not None
        }
        dims.append(
            {
                "dimension": name,
                "managers_expectation": me,
                "customers_expectation": ce,
                "gap": gap,
                "shortfall": None if gap is None else q.knowledge_shortfall(gap),
                "items": sorted(
                    (i for i, v in differences.items() if v != 0),
                    key=lambda i: (-abs(differences[i]), i),
                ),
            }
        )
    return {"dimensions": dims}


def _importance(
    customers: Mapping[str, Any], weights: Mapping[str, float] | None
) -> dict[int, float]:
    if weights is not None:
        unknown = sorted(set(weights) - set(SERVQUAL_ITEMS))
        if unknown:
            raise DomainError(f"weights: {unknown[0]!r} is not a SERVQUAL dimension")
        return {i: float(weights.get(dimension_of_item(i), 0.0)) for i in range(1, 23)}
    return {
        int(i["item"]): float(i["expectation"])
        for i in customers["items"]
        if i["expectation"] is not None
    }


def _covered(standards: list[ServiceStandard]) -> set[int]:
    covered: set[int] = set()
    for s in standards:
        if s.item is not None:
            covered.add(s.item)
        elif s.dimension is not None:
            covered.update(SERVQUAL_ITEMS[s.dimension])
    return covered


def _gap2(
    importance: dict[int, float], standards: list[ServiceStandard], source: str
) -> dict[str, Any]:
    high = q.high_importance(importance)
    covered = _covered(standards)
    dims = []
    for name, numbers in SERVQUAL_ITEMS.items():
        mine = [i for i in high if i in numbers]
        share = q.standards_shortfall(mine, covered)
        dims.append(
            {
                "dimension": name,
                "high_items": mine,
                "uncovered_items": [i for i in mine if i not in covered],
                "share": share,
                "shortfall": share,
            }
        )
    share = q.standards_shortfall(high, covered)
    return {
        "importance": source,
        "high_items": high,
        "uncovered_items": [i for i in high if i not in covered],
        "share": share,
        "shortfall": share,
        "dimensions": dims,
    }


def _standard_dimension(s: ServiceStandard) -> str:
    return s.dimension if s.dimension is not None else dimension_of_item(int(s.item or 0))


def _standard_items(s: ServiceStandard) -> list[int]:
    return [s.item] if s.item is not None else list(SERVQUAL_ITEMS[_standard_dimension(s)])


def _gap3(standards: list[ServiceStandard], targets: Mapping[str, Any]) -> dict[str, Any]:
    rows, unmeasured = [], []
    for s in standards:
        if s.metric not in SLA_METRICS:
            unmeasured.append(s.id)
            continue
        count = targets.get(SLA_METRICS[s.metric])
        tracked, met = (0, 0) if count is None else (count.tracked, count.met)
        compliance = met / tracked if tracked else None
        rows.append(
            {
                "id": s.id,
                "item": s.item,
                "dimension": _standard_dimension(s),
                "metric": s.metric,
                "target": s.target,
                "orders": tracked,
                "met": met,
                "compliance": compliance,
                "shortfall": None
                if compliance is None
                else q.delivery_shortfall(s.target, compliance),
                "items": _standard_items(s),
            }
        )
    return {"standards": rows, "unmeasured": unmeasured}


def _gap4(pledges: list[ServicePledge], delivered: Mapping[int, list[int]]) -> dict[str, Any]:
    rows = []
    for p in pledges:
        values = delivered.get(p.id, [])
        within = q.share_within(values, p.promised_value)
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "metric": p.metric,
                "promised_value": p.promised_value,
                "dimension": p.dimension,
                "orders": len(values),
                "within": sum(1 for v in values if v <= p.promised_value),
                "share_within": within,
                "median": q.median(values),
                "shortfall": None if within is None else q.promise_shortfall(within),
                "items": [] if p.dimension is None else list(SERVQUAL_ITEMS[p.dimension]),
            }
        )
    return {"pledges": rows}


def _candidate(
    gap: int,
    shortfall: float,
    dimension: str | None,
    items: list[int],
    *,
    standards: tuple[int, ...] = (),
    pledges: tuple[int, ...] = (),
) -> dict[str, Any]:
    return {
        "gap": gap,
        "shortfall": shortfall,
        "dimension": dimension,
        "items": items,
        "standards": list(standards),
        "pledges": list(pledges),
    }


def _candidates(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every measured gap with its shortfall, dimension and what lies behind it."""
    out: list[dict[str, Any]] = []
    for gap in (1, 5):
        part = report[f"gap{gap}"]
        for d in [] if part is None else part["dimensions"]:
            if d["shortfall"] is not None:
                out.append(_candidate(gap, d["shortfall"], d["dimension"], d["items"]))
    g2 = report["gap2"]
    if g2["shortfall"] is not None:
        out.append(_candidate(2, g2["shortfall"], None, g2["uncovered_items"]))
    for s in [] if report["gap3"] is None else report["gap3"]["standards"]:
        if s["shortfall"] is not None:
            out.append(
                _candidate(3, s["shortfall"], s["dimension"], s["items"], standards=(s["id"],))
            )
    for p in [] if report["gap4"] is None else report["gap4"]["pledges"]:
        if p["shortfall"] is not None:
            out.append(
                _candidate(4, p["shortfall"], p["dimension"], p["items"], pledges=(p["id"],))
            )
    return out


def _largest(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The largest shortfall (a tie: the lower gap, then the first found); None when no
    gap could be measured."""
    found = _candidates(report)
    if not found:
        return None
    return max(found, key=lambda c: (c["shortfall"], -c["gap"]))


def gap_report(
    session: Session,
    actor: Actor,
    *,
    customer_wave: int,
    manager_wave: int | None = None,
    period: GapPeriod | None = None,
    weights: Mapping[str, float] | None = None,
    now: datetime,
    snapshots: WaveSnapshots | None = None,
) -> dict[str, Any]:
    """The five-gap report (see the module's docstring); ``engine.InputError`` when a
    wave's responses are not a SERVQUAL wave's. ``snapshots`` keeps the waves' Parquet
    files and compiled SQL between reports, as for
    :func:`~touchpoint.services.wave_analysis.analyze_wave` (none: written afresh)."""
    require(actor, actor.role.can_read_reports, "read the five-gap report")
    bounds = None if period is None else period.instants()
    customers = _servqual(session, actor, customer_wave, snapshots)
    managers = None if manager_wave is None else _servqual(session, actor, manager_wave, snapshots)
    standards, pledges = list_standards(session, actor), list_pledges(session, actor)
    importance = _importance(customers, weights)
    report: dict[str, Any] = {
        "customer_wave": customer_wave,
        "manager_wave": manager_wave,
        "period": None,
        "normalisation": NORMALISATION,
        "gap1": None if managers is None else _gap1(customers, managers),
        "gap2": _gap2(importance, standards, "expectation" if weights is None else "weights"),
        "gap3": None,
        "gap4": None,
        "gap5": _gap5(customers),
    }
    if bounds is not None and period is not None:
        start, end = bounds
        at = min(end, now)
        desk = desk_delivery(session, actor, pledges, start=start, end=end, at=at)
        report["period"] = {
            "from": period.start,
            "to": period.end,
            "tz": period.tz,
            "at": at,
            "orders": desk.orders,
        }
        report["gap3"] = _gap3(standards, desk.targets)
        report["gap4"] = _gap4(pledges, desk.delivered)
    report["largest"] = _largest(report)
    return report
