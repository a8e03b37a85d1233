"""The desk's reads at scale: N customers, N orders, through the HTTP API (issue 21, item 7).

Seeds a desk (``bench/desk_scale_seed.py``: bulk Core inserts, not the service layer)
into a freshly migrated SQLite file (WAL), and into a fresh schema on
``TOUCHPOINT_TEST_PG_URL`` when that is set (``scripts/with-services.sh``), with
``--customers`` customers and ``--orders`` orders (default 1,000,000 each) and their
events, contacts, blocking keys and search index. Then it starts a real server as
``bench/api_writes.py`` does (uvicorn, one worker process, ``python -m bench.api_writes
--serve``), logs in as the supervisor (who sees every team) and times each read, after
one warm-up call, ``--runs`` times (each run on another random order, customer or phone
fragment), and the KPI board ``--kpi-runs`` times (the same period each time):

- queue: ``GET /api/queue`` (the supervisor's: open orders of all teams, 200),
- order page: ``GET /api/work-orders/{id}`` (with its timeline and SLA state),
- customer page: ``GET /api/customers/{id}/360``,
- fragment search: ``GET /api/customers?q=<4 digits from the middle of a phone>``,
- merge candidates: ``GET /api/merge/candidates?customer_id=X``,
- KPI board: ``GET /api/kpi?start=…&end=…`` over the last 30 days, and the last 365.

Times are wall-clock at the client on the same host (loopback HTTP, so server time plus
well under a millisecond). A request over the server's time limit answers 503 and is
reported as such. Prints a markdown table per database (operation, median and p95 ms,
rows in the answer, HTTP status) for ``bench/README.md``. Goal: <= 500 ms each.

    .venv/bin/python -m bench.desk_scale --customers 20000 --orders 20000
    TOUCHPOINT_TEST_PG_PORT=54431 bash scripts/with-services.sh \\
        .venv/bin/python -m bench.desk_scale --customers 1000000 --orders 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from bench.api_writes import ROOT, SECRET, _free_port
from bench.desk_scale_seed import PASSWORD, SUPERVISOR, fill_kpi_facts, seed
from touchpoint.storage.db import make_engine
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import CustomerIdentity

OPS = (
    "queue",
    "order page",
    "customer page (360)",
    "fragment search (4 digits)",
    "merge candidates (one customer)",
    "KPI board, 30 days",
    "KPI board, 365 days",
)


@contextlib.contextmanager
def _databases(args: argparse.Namespace) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of a fresh SQLite file and, with ``TOUCHPOINT_TEST_PG_URL``, a fresh
    PostgreSQL schema (dropped afterwards unless ``--keep``)."""
    with tempfile.TemporaryDirectory(prefix="touchpoint-scale-") as tmp:
        path = args.file or Path(tmp) / "desk.sqlite3"
        dbs = [] if args.pg_only else [("SQLite", f"sqlite:///{path}")]
        pg = os.environ.get("TOUCHPOINT_TEST_PG_URL")
        if not pg or args.sqlite_only:
            yield dbs
            return
        schema = args.pg_schema or f"scale_{uuid.uuid4().hex[:8]}"
        admin = make_engine(pg)
        if not args.reuse:
            with admin.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in pg else "?"
        try:
            yield [*dbs, ("PostgreSQL", f"{pg}{sep}options=-csearch_path%3D{schema}")]
        finally:
            if not args.keep:
                with admin.begin() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@contextlib.contextmanager
def _server(url: str, data_dir: str) -> Iterator[httpx.Client]:
    """A uvicorn worker serving the desk (``bench.api_writes --serve``), and a client
    logged in as the supervisor."""
    port = _free_port()
    env = {
        **os.environ,
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_SECRET_KEY": SECRET,
        "TOUCHPOINT_DATA_DIR": data_dir,
    }
    cmd = [sys.executable, "-m", "bench.api_writes", "--serve", str(port), "1"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/healthz").status_code == 200:
                        break
                time.sleep(0.1)
            form = {"username": SUPERVISOR, "password": PASSWORD}
            r = client.post("/api/auth/token", data=form)
            r.raise_for_status()
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def _requests(url: str, runs: int, kpi_runs: int, rng: random.Random) -> dict[str, list[str]]:
    """The paths each operation asks, one per run plus the warm-up first."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n_orders = int(conn.scalar(text("SELECT max(id) FROM work_orders")) or 1)
            n_customers = int(conn.scalar(text("SELECT max(id) FROM customers")) or 1)
            phones: list[str] = []
            while len(phones) < runs + 1:
                cid = rng.randrange(1, n_customers + 1)
                phone = conn.scalar(
                    select(CustomerIdentity.normalised)
                    .where(CustomerIdentity.customer_id == cid, CustomerIdentity.kind == "phone")
                    .limit(1)
                )
                if phone:
                    digits = "".join(ch for ch in phone if ch.isdigit())
                    phones.append(digits[-8:-4])
    finally:
        engine.dispose()
    now = datetime.now(UTC).replace(microsecond=0)

    def kpi(days: int) -> str:
        start = (now - timedelta(days=days)).isoformat().replace("+00:00", "Z")
        return f"/api/kpi?start={start}&end={now.isoformat().replace('+00:00', 'Z')}"

    k = runs + 1
    customers = [rng.randrange(1, n_customers + 1) for _ in range(2 * k)]
    return {
        "queue": ["/api/queue"] * k,
        "order page": [f"/api/work-orders/{rng.randrange(1, n_orders + 1)}" for _ in range(k)],
        "customer page (360)": [f"/api/customers/{c}/360" for c in customers[:k]],
        "fragment search (4 digits)": [f"/api/customers?q={p}" for p in phones],
        "merge candidates (one customer)": [
            f"/api/merge/candidates?customer_id={c}" for c in customers[k:]
        ],
        "KPI board, 30 days": [kpi(30)] * (kpi_runs + 1),
        "KPI board, 365 days": [kpi(365)] * (kpi_runs + 1),
    }


def _rows(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict) and isinstance(body.get("rows"), list):
        return len(body["rows"])
    if isinstance(body, dict) and isinstance(body.get("work_orders"), list):
        return len(body["work_orders"])
    return 1


def measure(client: httpx.Client, paths: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each operation's warm-up call, then its timed runs."""
    table = []
    for op in OPS:
        times, rows, statuses = [], [], []
        for i, path in enumerate(paths[op]):
            t = time.perf_counter()
            r = client.get(path)
            took = (time.perf_counter() - t) * 1000
            if i == 0:
                continue  # the warm-up
            times.append(took)
            statuses.append(r.status_code)
            rows.append(_rows(r.json()) if r.status_code == 200 else 0)
        ordered = sorted(times)
        table.append(
            {
                "op": op,
                "median": statistics.median(ordered),
                "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                "rows": statistics.median(rows),
                "status": "/".join(str(s) for s in sorted(set(statuses))),
            }
        )
    return table


def _print_table(name: str, url: str, table: list[dict[str, Any]], seeded: str) -> None:
    shown = url.split("@")[-1]
    print(f"\n{name} ({shown}): {seeded}\n")
    print("| operation | median ms | p95 ms | rows | status | goal 500 ms |")
    print("|---|---:|---:|---:|---|---|")
    for r in table:
        ok = "met" if r["median"] <= 500 and r["status"] == "200" else "**missed**"
        print(
            f"| {r['op']} | {r['median']:.1f} | {r['p95']:.1f} | {r['rows']:g} "
            f"| {r['status']} | {ok} |"
        )


def run(name: str, url: str, args: argparse.Namespace, data_dir: str) -> None:
    """Seed (unless ``--reuse``: then migrate the kept desk and store the KPI facts it
    lacks, as the desk clock would), serve, measure, print."""
    seeded = "reused"
    if args.reuse:
        upgrade(url)
        engine = make_engine(url)
        try:
            fill_kpi_facts(engine)
        finally:
            engine.dispose()
    else:
        print(f"{name}: seeding {args.customers:,} customers, {args.orders:,} orders", flush=True)
        t = time.perf_counter()
        upgrade(url)
        engine = make_engine(url)
        try:
            seed(engine, args.customers, args.orders, datetime.now(UTC))
        finally:
            engine.dispose()
        seeded = (
            f"{args.customers:,} customers, {args.orders:,} orders seeded in "
            f"{time.perf_counter() - t:.0f} s"
        )
    paths = _requests(url, args.runs, args.kpi_runs, random.Random(args.seed))
    with _server(url, data_dir) as client:
        table = measure(client, paths)
    _print_table(name, url, table, seeded)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7, help="timed runs per operation")
    ap.add_argument(
        "--kpi-runs", type=int, default=3, help="timed runs of each KPI board (up to 30 s each)"
    )
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--file", type=Path, help="SQLite file to seed (kept) or --reuse")
    ap.add_argument("--pg-schema", help="PostgreSQL schema to seed or --reuse")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    ap.add_argument("--reuse", action="store_true", help="measure already seeded databases")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--pg-only", action="store_true")
    args = ap.parse_args()
    if args.reuse and not (args.file or args.pg_schema):
        ap.error("--reuse needs --file and/or --pg-schema")
    with (
        tempfile.TemporaryDirectory(prefix="touchpoint-scale-data-") as data_dir,
        _databases(args) as dbs,
    ):
        for name, url in dbs:
            run(name, url, args, data_dir)
    print(f"\ncommand: {' '.join(['.venv/bin/python', '-m', 'bench.desk_scale', *sys.argv[1:]])}")


if __name__ == "__main__":
    main()
