"""Sample input files of ``touchpoint sla``, written by ``touchpoint demo-data``.

A calendar, a policy, an events export of a fortnight of 95598 hotline orders
(seeded) and a replay case holding one of those orders: each file in exactly
the format described in ``docs/sla-formats.md``, so that every ``touchpoint
sla`` command can be tried on them as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np

from touchpoint.engine.sla_events import COLUMNS

__all__ = [
    "EVENT_COLUMNS",
    "SAMPLE_CALENDAR",
    "SAMPLE_POLICY",
    "pretty_json",
    "sample_case",
    "sample_events",
    "write_sla_samples",
]

_WORKDAY: Final = [["08:30", "12:00"], ["13:30", "17:30"]]

#: Asia/Shanghai office hours, Saturday mornings, two holidays, a half day before
#: them and a Saturday worked in exchange (调休).
SAMPLE_CALENDAR: Final[dict[str, Any]] = {
    "timezone": "Asia/Shanghai",
    "hours": {
        "mon": _WORKDAY,
        "tue": _WORKDAY,
        "wed": _WORKDAY,
        "thu": _WORKDAY,
        "fri": _WORKDAY,
        "sat": [["09:00", "12:00"]],
    },
    "holidays": ["2026-10-01", "2026-10-02"],
    "special_days": {"2026-09-30": [["08:30", "12:00"]], "2026-10-10": _WORKDAY},
}

SAMPLE_POLICY: Final[dict[str, Any]] = {
    "first_response_minutes": 60,
    "next_update_minutes": 120,
    "next_update_from": "customer_message",
    "resolution_minutes": 480,
}

#: The columns of an events export, in order: those ``touchpoint sla whatif`` reads.
EVENT_COLUMNS: Final = COLUMNS

#: Local time of the sample (China Standard Time, no daylight saving).
_CST: Final = timezone(timedelta(hours=8))
_FIRST_DAY: Final = date(2026, 9, 28)  # a Monday
_ORDERS: Final = 40

Event = tuple[str, datetime, str, str | None]


def _order_events(order_id: str, rng: np.random.Generator) -> list[Event]:
    """One order's timeline: created, assigned, replies, waits, maybe resolved and closed."""
    day = _FIRST_DAY + timedelta(days=int(rng.integers(12)))
    opened = timedelta(minutes=int(rng.integers(660)))
    at = datetime.combine(day, time(7, 30), tzinfo=_CST) + opened
    events: list[Event] = [(order_id, at, "created", "new")]

    def add(low: int, high: int, kind: str, status: str | None = None) -> None:
        nonlocal at
        at += timedelta(minutes=int(rng.integers(low, high, endpoint=True)))
        events.append((order_id, at, kind, status))

    add(1, 20, "status", "assigned")
    add(5, 150, "agent_reply")
    add(0, 5, "status", "in_progress")
    if rng.random() < 0.5:
        add(30, 600, "customer_message")
        add(10, 240, "agent_reply")
    if rng.random() < 0.3:
        add(5, 60, "status", "waiting_customer")
        add(60, 2_000, "customer_message")
        add(1, 30, "status", "in_progress")
    if rng.random() < 0.2:
        add(1, 60, "internal_note")
    if rng.random() < 0.75:
        add(30, 900, "status", "resolved")
        if rng.random() < 0.5:
            add(60, 1_440, "status", "closed")
    return events


def sample_events(seed: int, orders: int = _ORDERS) -> list[Event]:
    """Every order's events, sorted by time across orders as a plain export might be."""
    rng = np.random.default_rng(seed)
    events = [e for k in range(1, orders + 1) for e in _order_events(f"WO-{k:04d}", rng)]
    # A stable sort: an order's events at the same instant keep their order.
    return sorted(events, key=lambda event: event[1])


def _instant(at: datetime) -> str:
    return at.isoformat()


def sample_case(events: Sequence[Event], order_id: str = "WO-0001") -> dict[str, Any]:
    """The replay case of one order: the sample calendar and policy and its events."""
    timeline: list[dict[str, str]] = []
    for order, at, kind, status in events:
        if order != order_id:
            continue
        event = {"at": _instant(at), "type": kind}
        if status is not None:
            event["status" if kind == "created" else "to"] = status
        timeline.append(event)
    return {"calendar": SAMPLE_CALENDAR, "policy": SAMPLE_POLICY, "events": timeline}


#: Values whose JSON fits this many characters stay on one line.
_LINE: Final = 88


def pretty_json(value: object, indent: str = "") -> str:
    """JSON indented by two spaces, with any value short enough kept on one line.

    ``json.dumps(indent=2)`` would spread every ``["08:30", "12:00"]`` over four
    lines; a person reads and edits a calendar more easily with a range per line.
    """
    flat = json.dumps(value, ensure_ascii=False)
    inner = indent + "  "
    if isinstance(value, dict) and value and (indent == "" or len(indent + flat) > _LINE):
        items = [f"{inner}{json.dumps(k)}: {pretty_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and len(indent + flat) > _LINE:
        items = [inner + pretty_json(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return flat


def _write_json(path: Path, data: object) -> Path:
    path.write_text(pretty_json(data) + "\n", encoding="utf-8")
    return path


def _write_events_csv(path: Path, events: Sequence[Event]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        for order, at, kind, status in events:
            writer.writerow([order, _instant(at), kind, status or ""])
    return path


def _write_events_parquet(path: Path, events: Sequence[Event]) -> Path:
    """Parquet keeps types: ``at`` is a UTC timestamp, ``status`` null where empty."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    order, at, kind, status = zip(*events, strict=True)
    table = pa.table(
        {
            "order_id": pa.array(order, pa.string()),
            "at": pa.array(at, pa.timestamp("s", tz="UTC")),
            "type": pa.array(kind, pa.string()),
            "status": pa.array(status, pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


def write_sla_samples(out_dir: Path, seed: int, formats: Sequence[str]) -> list[Path]:
    """Write the sample calendar, policy, events (CSV and/or Parquet) and case."""
    events = sample_events(seed)
    written = [
        _write_json(out_dir / "sla_calendar.json", SAMPLE_CALENDAR),
        _write_json(out_dir / "sla_policy.json", SAMPLE_POLICY),
    ]
    if "csv" in formats:
        written.append(_write_events_csv(out_dir / "sla_events.csv", events))
    if "parquet" in formats:
        written.append(_write_events_parquet(out_dir / "sla_events.parquet", events))
    written.append(_write_json(out_dir / "sla_case.json", sample_case(events)))
    return written
