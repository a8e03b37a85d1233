"""Write throughput of the service desk's HTTP API beside a no-op endpoint, same server, same run.

Starts uvicorn on 127.0.0.1 (one process) on a fresh SQLite file, and on PostgreSQL when
``TOUCHPOINT_TEST_PG_URL`` is set (e.g. ``bash scripts/with-services.sh .venv/bin/python
bench/api_writes.py``), seeds one agent, then in each run sends a bounded number of
requests from a concurrent httpx client: the authenticated no-op, work-order creations
(POST) and updates (PATCH with the version). Prints a markdown table of the median over
the runs: requests/s, p50 and p99 latency, and the ratio to the no-op rate.

Targets (issue 3): >= 1,000 writes/s on SQLite, p99 < 50 ms, >= 40% of the no-op rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"  # noqa: S105 (throwaway benchmark login)


def app_factory() -> Any:
    """The app uvicorn serves (settings from ``TOUCHPOINT_*`` variables)."""
    from touchpoint.api.app import create_app
    from touchpoint.settings import Settings

    return create_app(Settings())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str) -> tuple[int, int]:
    """Migrate and seed an agent, a team and a customer; returns (customer id, team id)."""
    from touchpoint.domain.roles import Role
    from touchpoint.services.auth import (
        TeamDraft,
        UserDraft,
        actor_for,
        create_team,
        create_user,
    )
    from touchpoint.services.base import Actor
    from touchpoint.services.customers import CustomerDraft, create_customer
    from touchpoint.services.sla_admin import PolicyDraft, create_calendar, create_policy
    from touchpoint.storage.db import make_engine, make_session_factory
    from touchpoint.storage.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as s:
        system = Actor.system()
        agent = create_user(s, system, UserDraft("bench", PASSWORD, Role.AGENT), now=now)
        team = create_team(s, system, TeamDraft("bench team", member_ids=(agent.id,)), now=now)
        cal = create_calendar(
            s,
            system,
            "24x7",
            {
                "timezone": "Asia/Shanghai",
                "hours": {
                    d: [["00:00", "24:00"]]
                    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                },
            },
            now=now,
        )
        create_policy(
            s,
            system,
            PolicyDraft(
                name="bench",
                calendar_id=cal.id,
                definition={
                    "first_response_minutes": 60,
                    "next_update_minutes": 120,
                    "next_update_from": "customer_message",
                    "resolution_minutes": 480,
                },
            ),
            now=now,
        )
        cust = create_customer(
            s, actor_for(s, agent), CustomerDraft(name="Bench Customer"), now=now
        )
        ids = (cust.customer.id, team.id)
    engine.dispose()
    return ids


async def _phase(
    client: httpx.AsyncClient,
    make: Any,
    n: int,
    concurrency: int,
    timeout_s: float,
    on_ok: Any = None,
) -> tuple[float, list[float], int]:
    """Send ``n`` requests with ``concurrency`` workers; returns (rate, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    deadline = time.perf_counter() + timeout_s

    async def worker(w: int) -> None:
        nonlocal errors
        state: dict[str, Any] = {}
        for _i in counter:
            if time.perf_counter() > deadline:
                return
            method, url, body = make(w, state)
            t = time.perf_counter()
            r = await client.request(method, url, json=body)
            latencies.append(time.perf_counter() - t)
            if r.status_code >= 300:
                errors += 1
            else:
                state["last"] = r.json()
                if on_ok is not None:
                    on_ok(w, state["last"])

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, latencies, errors


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def _run_backend(name: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    customer_id, team_id = _prepare(url)
    port = _free_port()
    env = {
        **os.environ,
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_SECRET_KEY": "bench-secret",
        "TOUCHPOINT_DATA_DIR": args.data_dir,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.api_writes:app_factory",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    results: list[dict[str, Any]] = []
    try:
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            tok = (
                await client.post(
                    "/api/auth/token", data={"username": "bench", "password": PASSWORD}
                )
            ).json()
            client.headers["Authorization"] = f"Bearer {tok['access_token']}"

            def noop(_w: int, _s: dict[str, Any]) -> tuple[str, str, Any]:
                return "GET", "/api/noop", None

            def create(_w: int, _s: dict[str, Any]) -> tuple[str, str, Any]:
                return (
                    "POST",
                    "/api/work-orders",
                    {
                        "customer_id": customer_id,
                        "type": "repair",
                        "channel": "hotline",
                        "subject": "bench order",
                        "team_id": team_id,
                    },
                )

            def update(w: int, s: dict[str, Any]) -> tuple[str, str, Any]:
                last = orders[w % len(orders)]
                return (
                    "PATCH",
                    f"/api/work-orders/{last['id']}",
                    {
                        "version": last["version"],
                        "priority": "high" if last["priority"] == "normal" else "normal",
                    },
                )

            orders = []
            for _ in range(args.concurrency):
                _m, url_, body_ = create(0, {})
                orders.append((await client.post(url_, json=body_)).json())

            def keep(w: int, order: dict[str, Any]) -> None:
                orders[w % len(orders)] = order  # the next PATCH sends the new version

            await _phase(client, noop, 200, args.concurrency, 10)  # warm-up
            per_op: dict[str, list[tuple[float, float, float, int]]] = {
                "no-op": [],
                "create": [],
                "update": [],
            }
            for _run in range(args.runs):
                for op, make in (("no-op", noop), ("create", create), ("update", update)):
                    rate, lat, errs = await _phase(
                        client,
                        make,
                        args.requests,
                        args.concurrency,
                        args.max_seconds,
                        on_ok=keep if op == "update" else None,
                    )
                    per_op[op].append((rate, _p(lat, 0.5), _p(lat, 0.99), errs))
            base_rate = statistics.median(r for r, *_ in per_op["no-op"])
            for op, rows in per_op.items():
                rate = statistics.median(r for r, *_ in rows)
                results.append(
                    {
                        "backend": name,
                        "op": op,
                        "rate": rate,
                        "p50": statistics.median(p for _, p, _, _ in rows),
                        "p99": statistics.median(p for _, _, p, _ in rows),
                        "errors": sum(e for *_, e in rows),
                        "ratio": rate / base_rate if base_rate else float("nan"),
                    }
                )
    finally:
        server.terminate()
        server.wait(timeout=20)
    return results


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=2000, help="requests per operation per run")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--max-seconds", type=float, default=30.0, help="cap per phase")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="touchpoint-bench-") as tmp:
        args.data_dir = tmp
        rows += asyncio.run(_run_backend("SQLite (WAL)", f"sqlite:///{tmp}/bench.sqlite3", args))
        pg = os.environ.get("TOUCHPOINT_TEST_PG_URL")
        if pg:
            from touchpoint.storage.db import make_engine

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(pg)
            with admin.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                sep = "&" if "?" in pg else "?"
                rows += asyncio.run(
                    _run_backend("PostgreSQL", f"{pg}{sep}options=-csearch_path%3D{schema}", args)
                )
            finally:
                with admin.begin() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(
        f"\n{args.runs} runs × {args.requests} requests per operation, concurrency "
        f"{args.concurrency}, one uvicorn process, client on the same host; medians.\n"
    )
    print("| backend | operation | requests/s | p50 ms | p99 ms | vs no-op | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['op']} | {r['rate']:.0f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['ratio']:.0%} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
