"""Benchmark of issue 6: ``touchpoint sla whatif`` over 1,000,000 events, and the batch replay.

1. Generates a seeded export of about 200,000 orders' timelines over a quarter
   (2026 Q1, Asia/Shanghai desk hours with a lunch break, Spring Festival holidays and
   make-up working days): 1,000,000 events with a realistic mix of replies, repeated
   customer messages, internal notes, waits on the customer and third parties,
   resolutions, closures and reopens. Written as Parquet and CSV to ``bench/out/``.
2. Times whole processes, several runs each, and reports medians side by side:
   ``touchpoint sla whatif FILE --calendar --policy --against`` and a plain DuckDB scan
   of the same file (count, min and max instant per order) in a fresh Python process.
3. Times the batch replay (:func:`touchpoint.domain.sla.replay_many`) over 1,000,000
   open orders in process: the escalation sweep of issue 3 (target ≤ 5 s).

Run: ``.venv/bin/python bench/sla_whatif.py [--runs 5] [--events 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from touchpoint.domain.calendar import BusinessCalendar
from touchpoint.domain.sla import OrderStatus, SlaPolicy, Timelines, replay_many

OUT = Path(__file__).parent / "out"
QUARTER_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
QUARTER_END = int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())

CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {
        day: [["08:30", "12:00"], ["13:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")
    }
    | {"sat": [["09:00", "12:00"]]},
    # Spring Festival 2026 and New Year's Day; Sundays 2026-01-04 and 2026-02-14 and
    # 2026-02-28 worked in exchange (调休).
    "holidays": [
        "2026-01-01",
        "2026-01-02",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
        "2026-02-23",
    ],
    "special_days": {
        "2026-01-04": [["08:30", "12:00"], ["13:30", "17:30"]],
        "2026-02-14": [["08:30", "12:00"], ["13:30", "17:30"]],
        "2026-02-28": [["08:30", "12:00"], ["13:30", "17:30"]],
        "2026-02-24": [["08:30", "12:00"]],
    },
}
POLICY = {
    "first_response_minutes": 30,
    "next_update_minutes": 120,
    "next_update_from": "customer_message",
    "resolution_minutes": 480,
}
AGAINST = {
    "first_response_minutes": 60,
    "next_update_minutes": 240,
    "next_update_from": "agent_reply",
    "resolution_minutes": 960,
}


def _order_events(rng: random.Random, start: int) -> list[tuple[int, str, str | None]]:
    """One order's timeline: (epoch second, type, status) in time order."""
    t = start
    events: list[tuple[int, str, str | None]] = []

    def later(mean_minutes: float) -> int:
        nonlocal t
        t += int(rng.expovariate(1 / (mean_minutes * 60))) + 1
        return t

    first = rng.choices(["new", "assigned", "waiting_customer"], [80, 15, 5])[0]
    events.append((t, "created", first))
    if first == "new" and rng.random() < 0.7:
        events.append((later(20), "status", "assigned"))
    for _ in range(rng.choices([0, 1, 2], [65, 27, 8])[0]):
        events.append((later(15), "customer_message", None))
    events.append((later(45), "agent_reply", None))
    if rng.random() < 0.4:
        events.append((later(10), "status", "in_progress"))
    if rng.random() < 0.2:
        waiting = rng.choice(["waiting_customer", "waiting_third_party"])
        events.append((later(60), "status", waiting))
        if rng.random() < 0.5:
            events.append((later(600), "customer_message", None))
        events.append((later(300), "status", "in_progress"))
    if rng.random() < 0.1:
        events.append((later(30), "internal_note", None))
    if rng.random() < 0.15:
        events.append((later(120), "customer_message", None))
        events.append((later(90), "agent_reply", None))
    if rng.random() < 0.18:
        return events  # still open at the end of the quarter
    events.append((later(240), "status", "resolved"))
    if rng.random() < 0.06:
        events.append((later(1440), "customer_message", None))
        events.append((later(30), "status", "in_progress"))
        events.append((later(120), "agent_reply", None))
        events.append((later(240), "status", "resolved"))
    if rng.random() < 0.2:
        events.append((later(2880), "status", "closed"))
    return events


def generate(n_events: int, seed: int = 6) -> tuple[Path, Path]:
    """Write the seeded export as Parquet and CSV; returns both paths."""
    rng = random.Random(seed)
    order_ids: list[str] = []
    ats: list[int] = []
    types: list[str] = []
    statuses: list[str | None] = []
    order = 0
    while len(ats) < n_events:
        order += 1
        start = rng.randrange(QUARTER_START, QUARTER_END - 86_400)
        for at, kind, status in _order_events(rng, start)[: n_events - len(ats)]:
            order_ids.append(f"WO-{order:07d}")
            ats.append(at)
            types.append(kind)
            statuses.append(status)
    table = pa.table(
        {
            "order_id": pa.array(order_ids),
            "at": pa.array(np.array(ats, dtype="datetime64[s]"), pa.timestamp("s", tz="UTC")),
            "type": pa.array(types).dictionary_encode(),
            "status": pa.array(statuses).dictionary_encode(),
        }
    )
    OUT.mkdir(exist_ok=True)
    parquet = OUT / f"events_{n_events}.parquet"
    csv = OUT / f"events_{n_events}.csv"
    pq.write_table(table, parquet)
    iso = pa.array([datetime.fromtimestamp(a, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for a in ats])
    text = table.set_column(1, "at", iso).set_column(
        2, "type", table.column("type").cast(pa.string())
    )
    text = text.set_column(3, "status", table.column("status").cast(pa.string()))
    pacsv.write_csv(text, csv)
    print(f"generated {len(ats):,} events of {order:,} orders: {parquet.name}, {csv.name}")
    return parquet, csv


def _time(command: list[str], runs: int) -> tuple[float, str]:
    timings = []
    out = ""
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        timings.append(time.perf_counter() - began)
        out = done.stdout
    return statistics.median(timings), out


# Per order: rows, first and last instant; the outer count keeps the result one number.
SCAN_PARQUET = (
    'SELECT count(*) FROM (SELECT order_id, count(*) AS n, min("at") AS first, '
    'max("at") AS last FROM read_parquet(?) GROUP BY 1)'
)
SCAN_CSV = (
    'SELECT count(*) FROM (SELECT order_id, count(*) AS n, min("at") AS first, '
    'max("at") AS last FROM read_csv_auto(?) GROUP BY 1)'
)


def _duckdb_scan(path: Path) -> list[str]:
    query = SCAN_PARQUET if path.suffix == ".parquet" else SCAN_CSV
    code = f"import sys, duckdb; print(duckdb.execute({query!r}, [sys.argv[1]]).fetchone()[0])"
    return [sys.executable, "-c", code, str(path)]


def bench_whatif(files: list[Path], runs: int) -> None:
    """Whole-process medians: ``touchpoint sla whatif`` beside a DuckDB scan."""
    OUT.mkdir(exist_ok=True)
    calendar, policy, against = OUT / "calendar.json", OUT / "policy.json", OUT / "against.json"
    calendar.write_text(json.dumps(CALENDAR))
    policy.write_text(json.dumps(POLICY))
    against.write_text(json.dumps(AGAINST))
    rows = []
    for path in files:
        whatif = [sys.executable, "-m", "touchpoint", "sla", "whatif", str(path)]
        whatif += ["--calendar", str(calendar), "--policy", str(policy), "--against", str(against)]
        whatif_s, out = _time(whatif, runs)
        scan_s, scanned = _time(_duckdb_scan(path), runs)
        result = json.loads(out)
        assert result["orders"] == int(scanned), (result["orders"], scanned)
        rows.append((path.suffix[1:], result["orders"], whatif_s, scan_s))
        print(json.dumps(result), file=sys.stderr)
    size = files[0].name.split("_")[1].split(".")[0]
    print(f"\n### `touchpoint sla whatif` ({int(size):,} events, median of {runs} runs)\n")
    cache = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"Python bytecode writing {cache}; {os.cpu_count()} CPUs; includes interpreter start.\n")
    print("| file | orders | whatif (s) | DuckDB scan (s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for kind, orders, whatif_s, scan_s in rows:
        print(f"| {kind} | {orders:,} | {whatif_s:.2f} | {scan_s:.2f} | {whatif_s / scan_s:.1f}× |")


def bench_sweep(n_orders: int, runs: int, seed: int = 7) -> None:
    """In-process batch replay of ``n_orders`` open orders (issue 3's sweep)."""
    rng = np.random.default_rng(seed)
    # Three events per open order: created (new), a customer message, and either an
    # agent reply or a wait on the customer, spread over the quarter.
    created = rng.integers(QUARTER_START, QUARTER_END - 86_400, n_orders)
    second = created + rng.integers(60, 7_200, n_orders)
    third = second + rng.integers(60, 14_400, n_orders)
    at = np.stack([created, second, third], axis=1).ravel()
    order = np.repeat(np.arange(n_orders), 3)
    waits = rng.random(n_orders) < 0.3
    kinds = np.stack([np.zeros(n_orders), np.ones(n_orders), np.where(waits, 4, 2)], axis=1).ravel()
    status_wait = OrderStatus.WAITING_CUSTOMER.code
    statuses = np.stack(
        [np.zeros(n_orders), np.full(n_orders, -1), np.where(waits, status_wait, -1)], axis=1
    ).ravel()
    began = time.perf_counter()
    timelines = Timelines.from_columns(order, at, kinds, statuses)
    checked = time.perf_counter() - began
    calendar = BusinessCalendar.from_json(CALENDAR)
    policy = SlaPolicy.from_json(POLICY)
    now = datetime(2026, 3, 31, 12, tzinfo=UTC)
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        report = replay_many(calendar, policy, timelines, now)
        timings.append(time.perf_counter() - began)
    escalating = int((report.next_escalation_at != np.iinfo(np.int64).min).sum())
    print(f"\n### Batch replay of {n_orders:,} open orders ({len(at):,} events), in process\n")
    print("| step | median (s) |")
    print("|---|---:|")
    print(f"| check and group columns (`Timelines.from_columns`) | {checked:.2f} |")
    print(
        f"| replay, 3 targets, with now (`replay_many`), {runs} runs | "
        f"{statistics.median(timings):.2f} |"
    )
    print(f"\n{escalating:,} orders have a next escalation instant.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000, help="open orders to sweep")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    parquet, csv = generate(args.events)
    bench_whatif([parquet, csv], args.runs)
    bench_sweep(args.orders, args.runs)


if __name__ == "__main__":
    main()
