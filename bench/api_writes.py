"""Write throughput of the service desk's HTTP API beside a no-op endpoint, same server, same run.

Starts uvicorn on 127.0.0.1 serving what ``touchpoint serve`` and ``make run`` serve (the
API with the pages, the server's own sweep and outbox dispatcher, uvicorn's log at
"info" with a line per request, written to ``server.log`` in the run's data folder), in
worker processes forked on one port (see ``serve``: one on SQLite, ``--sqlite-workers``,
as ``touchpoint serve`` runs it; two on PostgreSQL, ``--pg-workers``) on a fresh SQLite
file (WAL), and on PostgreSQL when
``TOUCHPOINT_TEST_PG_URL`` is set
(e.g. ``bash scripts/with-services.sh .venv/bin/python bench/api_writes.py``), seeds one
agent, a team, a customer and a 24x7 SLA policy, then in each run drives the server with
wrk (``bench/api_writes.lua``, one connection per wrk thread) for ``--seconds`` per
operation:

- no-op: ``GET /api/noop``, authenticated like the writes (token → user → actor),
- create: ``POST /api/work-orders``,
- update: ``PATCH /api/work-orders/{id}`` with the version read from the previous answer,
  one order per connection, toggling the priority (each one a real change).

Every answer outside 2xx counts as a failure and is reported. After each write phase the
bench checks the database and stops if it disagrees: at least one audit row per 2xx write
(at most one more per connection: wrk drops the answers still in flight when it stops),
and the orders' versions moved by exactly the number of audited updates.

Prints a markdown table of the median over the runs: successful requests/s, p50 and p99
latency (wrk's ``--latency`` percentiles), ratio to the no-op rate, failures.

Floors (issue 20): >= 800 creates/s and updates/s through one SQLite worker, p99 < 50
ms; >= 400/s on PostgreSQL. The ratio to the no-op is reported, not a target.
``scripts/bench-deps.sh`` installs wrk (Debian's package). ``--profile create|update``
instead prints a cProfile of the service side of the writes (see ``profile``), and
``--in-process N`` times the three requests through the ASGI app called directly, with
and without their service calls (see ``in_process``), and ``--phases create|update|reply``
the wall time of the service side of ``--profile-writes`` writes and of its parts (see
``phases``; ``--backend postgresql`` for either on PostgreSQL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_suffix(".lua")
PASSWORD = "bench-password-1"  # noqa: S105 (throwaway benchmark login)
SECRET = "bench-secret"  # noqa: S105 (throwaway token-signing key)
OPS = ("no-op", "create", "update")


def app_factory() -> Any:
    """The app ``touchpoint serve`` and ``make run`` serve: the API with the pages, and
    the server's own escalation sweep and outbox dispatcher (settings from
    ``TOUCHPOINT_*`` variables)."""
    from touchpoint.settings import Settings
    from touchpoint.web import create_site

    return create_site(Settings(), sweep=True)


def serve(port: int, workers: int) -> None:
    """Serve ``app_factory`` on 127.0.0.1:``port`` from ``workers`` forked uvicorn processes.

    Each worker listens on its own socket bound with ``SO_REUSEPORT`` (gunicorn's
    ``--reuse-port``), so the kernel spreads wrk's connections over the workers. With one
    shared socket (``uvicorn --workers``) the first worker to wake accepts every
    connection wrk opens at once, and as they are kept alive the other worker idles for
    the whole run: half the CPU, by chance, in some runs and not in others. The sockets
    are made as TCP: ``uvicorn --workers`` creates its socket with protocol number 0, so
    asyncio does not set TCP_NODELAY on the accepted connections, and each answer
    (headers and body written separately) then waits on the client's delayed ACK.
    """
    import signal

    import uvicorn

    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own socket, event loop, app and database engine
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(2048)
            # As ``touchpoint serve`` logs: uvicorn at "info", a line per request, here
            # into a file beside the database instead of a terminal.
            log = os.open(os.environ["BENCH_SERVER_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(log, 1)
            os.dup2(log, 2)
            config = uvicorn.Config("bench.api_writes:app_factory", factory=True, log_level="info")
            uvicorn.Server(config).run(sockets=[sock])
            os._exit(0)
        children.append(pid)

    def stop(_sig: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)


@contextlib.contextmanager
def _service_writes(op: str, url: str) -> Iterator[Callable[[], None]]:
    """One write of ``op`` as the server runs it, without HTTP, on a freshly prepared
    ``url``: one session, the bearer token's user and actor read, then the service call.
    ``create`` opens an order; ``update`` toggles the priority of one order (its
    timeline stays one event); ``reply`` adds an internal note to one order, whose
    timeline grows by one event each time."""
    from touchpoint.domain.contacts import Channel
    from touchpoint.domain.work_orders import Priority, WorkOrderType
    from touchpoint.services import work_orders as svc
    from touchpoint.services.auth import TokenSigner, principal_for_token
    from touchpoint.storage.db import make_engine, make_session_factory

    customer_id, team_id = _prepare(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    signer = TokenSigner(SECRET)
    token = _bench_token(url)
    draft = svc.WorkOrderDraft(
        customer_id=customer_id,
        type=WorkOrderType.REPAIR,
        channel=Channel.HOTLINE,
        subject="bench order",
        team_id=team_id,
    )
    state: dict[str, Any] = {}

    def one() -> None:
        now = datetime.now(UTC)
        with factory() as s:
            _user, actor = principal_for_token(s, signer, token)
            if op == "create" or "order" not in state:
                state["order"] = svc.open_work_order(s, actor, draft, now=now).order
                return
            o = state["order"]
            if op == "reply":
                kind = svc.MessageKind.INTERNAL_NOTE
                state["order"] = svc.reply(s, actor, o.id, kind, "bench note", now=now).order
                return
            priority = Priority.HIGH if o.priority == Priority.NORMAL.value else Priority.NORMAL
            changes = svc.WorkOrderChanges(priority=priority)
            state["order"] = svc.update_work_order(
                s, actor, o.id, changes, version=o.version, now=now
            ).order

    try:
        yield one
    finally:
        engine.dispose()


@contextlib.contextmanager
def _bench_database(backend: str) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema on ``TOUCHPOINT_TEST_PG_URL``."""
    if backend != "postgresql":
        with tempfile.TemporaryDirectory(prefix="touchpoint-profile-") as tmp:
            yield f"sqlite:///{tmp}/profile.sqlite3"
        return
    from touchpoint.storage.db import make_engine

    pg = os.environ.get("TOUCHPOINT_TEST_PG_URL")
    if not pg:
        raise SystemExit("api_writes: set TOUCHPOINT_TEST_PG_URL (scripts/with-services.sh)")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in pg else "?"
        yield f"{pg}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def profile(op: str, n: int, backend: str = "sqlite") -> None:
    """cProfile ``n`` writes of ``op`` (see ``_service_writes``) after 200 to warm up.
    Prints the functions by cumulative time."""
    import cProfile
    import pstats

    with _bench_database(backend) as url, _service_writes(op, url) as one:
        for _ in range(200):  # warm-up: statement caches, parsed policies
            one()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            one()
        prof.disable()
    stats = pstats.Stats(prof)
    print(f"{op}: {stats.total_tt / n * 1000:.2f} ms per write under cProfile")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(40)


def phases(op: str, n: int, backend: str = "sqlite") -> None:
    """Wall time of ``n`` writes of ``op`` (see ``_service_writes``) after 300 to warm
    up, and of their parts, in µs per write: each part is timed by wrapping its
    function (inclusive: parts nest, e.g. ``Session.flush`` inside ``WriteUnit.finish``),
    and the driver's own time by SQLAlchemy's cursor-execute events. No profiler: the
    times are the real ones, give or take a microsecond per wrapped call."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from touchpoint.services import auth, base, order_opening, order_write
    from touchpoint.services import work_orders as svc
    from touchpoint.storage import order_store, writer_lock

    spent: dict[str, float] = {}
    wrapped: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, label: str) -> None:
        real = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        wrapped.append((owner, name, real))
        setattr(owner, name, timed)

    service = {"create": "open_work_order", "update": "update_work_order", "reply": "reply"}[op]
    wrap(svc, service, f"service call ({service})")
    wrap(auth, "principal_for_token", "token -> user -> actor (also the no-op's)")
    wrap(order_write, "load_for_write", "read the order with its timeline")
    wrap(order_write, "snapshot", "audit snapshots (an order's write)")
    wrap(base.WriteUnit, "audit", "audit row: JSON values")
    wrap(base.WriteUnit, "webhook_targets", "webhook subscriptions")
    wrap(order_write, "replay", "SLA replay (an order's write)")
    wrap(order_opening, "replay", "SLA replay (opening)")
    wrap(order_opening, "_check_opening", "opening's checks (customer, team, policy)")
    wrap(order_store, "add_order", "insert the order and its first event")
    wrap(svc, "snapshot", "audit snapshots (edits)")
    wrap(order_opening, "snapshot", "audit snapshots (opening)")
    wrap(order_write, "save_order", "save the order (its UPDATE)")
    wrap(Session, "flush", "ORM flush (events, contacts)")
    wrap(base.WriteUnit, "finish", "audit row + outbox (with a flush)")
    wrap(writer_lock.FileWriterLock, "acquire", "writer lock: acquire")
    wrap(Session, "commit", "commit")
    started_at: list[float] = []

    def before(*_args: Any) -> None:
        started_at.append(time.perf_counter())

    def after(*_args: Any) -> None:
        label = "driver: statements (execute)"
        spent[label] = spent.get(label, 0.0) + time.perf_counter() - started_at.pop()

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        with _bench_database(backend) as url, _service_writes(op, url) as one:
            for _ in range(300):  # warm-up: statement caches, parsed policies
                one()
            spent.clear()
            started = time.perf_counter()
            for _ in range(n):
                one()
            total = time.perf_counter() - started
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
        for owner, name, real in wrapped:
            setattr(owner, name, real)
    print(f"{op} on {backend}: {total / n * 1e6:.0f} us per write (session, token, service)")
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / n * 1e6:8.1f} us  {label}")


def in_process(n: int, rounds: int = 5) -> None:
    """Time the three requests through the ASGI app called directly (no server, no
    socket), on a fresh SQLite file: the best of ``rounds`` rounds of ``n`` each, in ms
    per request. What the app itself costs, without HTTP parsing or the load generator;
    then again with the create and update service calls answering from memory (see
    ``_remembered_answers``), which leaves what the routes cost around them."""
    import asyncio

    async def run(app: Any, token: str, customer_id: int, team_id: int) -> dict[str, float]:
        auth = (b"authorization", b"Bearer " + token.encode())

        async def call(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
            raw = b"" if body is None else json.dumps(body).encode()
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": method,
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "root_path": "",
                "headers": [
                    (b"host", b"bench"),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(raw)).encode()),
                    auth,
                ],
                "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 80),
            }
            messages = [{"type": "http.request", "body": raw, "more_body": False}]
            answer: dict[str, Any] = {"body": b""}

            async def receive() -> dict[str, Any]:
                if messages:
                    return messages.pop()
                await asyncio.sleep(3600)  # pragma: no cover - the app never asks twice
                return {"type": "http.disconnect"}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                else:
                    answer["body"] += message.get("body", b"")

            await app(scope, receive, send)
            if answer["status"] >= 300:
                raise SystemExit(f"{method} {path}: {answer['status']} {answer['body'][:300]!r}")
            result: dict[str, Any] = json.loads(answer["body"])
            return result

        new = {
            "customer_id": customer_id,
            "type": "repair",
            "channel": "hotline",
            "subject": "bench order",
            "team_id": team_id,
        }
        order = await call("POST", "/api/work-orders", new)

        async def one(op: str) -> None:
            nonlocal order
            if op == "no-op":
                await call("GET", "/api/noop", None)
            elif op == "create":
                await call("POST", "/api/work-orders", new)
            else:
                priority = "high" if order["priority"] == "normal" else "normal"
                change = {"priority": priority, "version": order["version"]}
                order = await call("PATCH", f"/api/work-orders/{order['id']}", change)

        for op in OPS:  # warm-up: statement caches, parsed policies
            for _ in range(200):
                await one(op)
        best = dict.fromkeys(OPS, float("inf"))
        for _ in range(rounds):
            for op in OPS:
                started = time.perf_counter()
                for _ in range(n):
                    await one(op)
                best[op] = min(best[op], (time.perf_counter() - started) / n * 1000)
        return best

    with tempfile.TemporaryDirectory(prefix="touchpoint-asgi-") as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        customer_id, team_id = _prepare(url)
        os.environ.update(
            TOUCHPOINT_DATABASE_URL=url,
            TOUCHPOINT_SECRET_KEY=SECRET,
            TOUCHPOINT_DATA_DIR=tmp,
        )
        app = app_factory()

        async def main() -> tuple[dict[str, float], dict[str, float]]:
            async with app.router.lifespan_context(app):
                token = _bench_token(url)
                full = await run(app, token, customer_id, team_id)
                with _remembered_answers():
                    route_only = await run(app, token, customer_id, team_id)
                return full, route_only

        full, route_only = asyncio.run(main())
    print(f"in process, best of {rounds} rounds of {n}, ms per request:")
    print("  operation  request  (x the no-op)  without the service call")
    for op in OPS:
        ratio = full[op] / full["no-op"]
        print(f"  {op:9s}  {full[op]:.3f}    ({ratio:.2f}x)         {route_only[op]:.3f}")


@contextlib.contextmanager
def _remembered_answers() -> Iterator[None]:
    """Make the create and update service calls answer what they answered first, without
    running again: the routes then cost what they cost beyond their service call."""
    from touchpoint.services import work_orders as svc

    real: dict[str, Callable[..., Any]] = {
        "open_work_order": svc.open_work_order,
        "update_work_order": svc.update_work_order,
    }
    answers: dict[str, Any] = {}

    def remembered(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name not in answers:
                answers[name] = real[name](*args, **kwargs)
            return answers[name]

        return call

    try:
        for name in real:
            setattr(svc, name, remembered(name))
        yield
    finally:
        for name, fn in real.items():
            setattr(svc, name, fn)


def _bench_token(url: str) -> str:
    """A bearer token for the bench user, issued directly (no login request)."""
    from sqlalchemy import select as select_

    from touchpoint.services.auth import TokenSigner
    from touchpoint.storage.db import make_engine, make_session_factory
    from touchpoint.storage.models import User

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return TokenSigner(SECRET).issue(s.scalars(select_(User)).one())
    finally:
        engine.dispose()


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


@dataclass(frozen=True)
class Phase:
    """What wrk measured in one phase."""

    rate: float  # successful (2xx) requests per second
    p50: float  # ms
    p99: float  # ms
    ok: int
    failed: int  # non-2xx answers, socket errors and timeouts
    cpu_ms: float  # the app server's CPU (its processes' user + system time) per 2xx answer
    cores: float  # the app server's CPU seconds per second of the phase


def _server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its children (the
    uvicorn workers), from ``/proc``; 0 where there is no ``/proc`` or no ``pid``."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids = [pid, *map(int, f.read().split())]
        total = 0
        for p in pids:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    except OSError:
        return 0.0
    return total / os.sysconf("SC_CLK_TCK")


def _wrk(base: str, args: argparse.Namespace, op: str, *extra: str) -> Phase:
    n = args.connections
    cmd = [
        args.wrk,
        f"-t{n}",
        f"-c{n}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        base,
        "--",
        op,
        *extra,
    ]
    pid = getattr(args, "server_pid", None)
    cpu_before = _server_cpu(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = _server_cpu(pid) - cpu_before
    line = next((x for x in out.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(line.removeprefix("WRK_RESULT "))
    seconds = r["duration_us"] / 1e6
    return Phase(
        rate=r["ok"] / seconds,
        p50=r["p50_us"] / 1000,
        p99=r["p99_us"] / 1000,
        ok=r["ok"],
        failed=r["non_2xx"] + r["socket_errors"] + r["timeouts"],
        cpu_ms=cpu / r["ok"] * 1000 if r["ok"] else float("nan"),
        cores=cpu / seconds,
    )


def _count_audit(engine: Any, action: str) -> int:
    from touchpoint.storage.models import AuditEntry

    with engine.connect() as c:
        return int(
            c.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
        )


def _versions(engine: Any, ids: list[int]) -> dict[int, int]:
    from touchpoint.storage.models import WorkOrder

    with engine.connect() as c:
        rows = c.execute(select(WorkOrder.id, WorkOrder.version).where(WorkOrder.id.in_(ids)))
        return {int(i): int(v) for i, v in rows}


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"api_writes: integrity check failed: {what}")


def _run_backend(
    name: str, url: str, args: argparse.Namespace, workers: int
) -> list[dict[str, Any]]:
    from touchpoint.storage.db import make_engine

    customer_id, team_id = _prepare(url)
    engine = make_engine(url)
    port = _free_port()
    env = {
        **os.environ,
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_SECRET_KEY": SECRET,
        "TOUCHPOINT_DATA_DIR": args.data_dir,
        "BENCH_SERVER_LOG": str(Path(args.data_dir) / "server.log"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.api_writes",
            "--serve",
            str(port),
            str(workers),
        ],
        cwd=ROOT,
        env=env,
    )
    args.server_pid = server.pid
    base = f"http://127.0.0.1:{port}"
    results: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            tok = client.post(
                "/api/auth/token", data={"username": "bench", "password": PASSWORD}
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {tok}"
            client.headers["Content-Type"] = "application/json"
            create_body = json.dumps(
                {
                    "customer_id": customer_id,
                    "type": "repair",
                    "channel": "hotline",
                    "subject": "bench order",
                    "team_id": team_id,
                },
                separators=(",", ":"),
            )
            order_ids = []
            for _ in range(args.connections):  # one order per wrk connection
                r = client.post("/api/work-orders", content=create_body)
                r.raise_for_status()
                order_ids.append(int(r.json()["id"]))

        def orders_arg() -> tuple[str, dict[int, int]]:
            versions = _versions(engine, order_ids)
            return ",".join(f"{i}:{versions[i]}" for i in order_ids), versions

        # Warm-up (every worker process compiles its statements and caches its policies).
        warm = argparse.Namespace(**{**vars(args), "seconds": 2})
        _wrk(base, warm, "noop", tok)
        _wrk(base, warm, "create", tok, create_body)
        _wrk(base, warm, "update", tok, orders_arg()[0])

        per_op: dict[str, list[Phase]] = {op: [] for op in OPS}
        for _run in range(args.runs):
            per_op["no-op"].append(_wrk(base, args, "noop", tok))

            before = _count_audit(engine, "work_order.open")
            phase = _wrk(base, args, "create", tok, create_body)
            time.sleep(0.5)  # let requests still in flight when wrk stopped finish
            opened = _count_audit(engine, "work_order.open") - before
            _check(
                phase.ok <= opened <= phase.ok + args.connections,
                f"{phase.ok} creates answered 2xx, {opened} audited",
            )
            per_op["create"].append(phase)

            spec, old = orders_arg()
            before = _count_audit(engine, "work_order.update")
            phase = _wrk(base, args, "update", tok, spec)
            time.sleep(0.5)
            audited = _count_audit(engine, "work_order.update") - before
            moved = sum(v - old[i] for i, v in _versions(engine, order_ids).items())
            _check(
                phase.ok <= audited <= phase.ok + args.connections and audited == moved,
                f"{phase.ok} updates answered 2xx, {audited} audited, versions moved {moved}",
            )
            per_op["update"].append(phase)

        base_rate = statistics.median(p.rate for p in per_op["no-op"])
        for op, phases in per_op.items():
            rate = statistics.median(p.rate for p in phases)
            results.append(
                {
                    "backend": name,
                    "workers": workers,
                    "op": op,
                    "rate": rate,
                    "p50": statistics.median(p.p50 for p in phases),
                    "p99": statistics.median(p.p99 for p in phases),
                    "cpu_ms": statistics.median(p.cpu_ms for p in phases),
                    "cores": statistics.median(p.cores for p in phases),
                    "ok": sum(p.ok for p in phases),
                    "failed": sum(p.failed for p in phases),
                    "ratio": rate / base_rate if base_rate else float("nan"),
                    "runs": [round(p.rate) for p in phases],
                }
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
    return results


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration per operation per run")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (= threads)")
    ap.add_argument(
        "--sqlite-workers",
        type=int,
        default=1,
        help="uvicorn worker processes on SQLite (one, as `touchpoint serve` runs it)",
    )
    ap.add_argument(
        "--pg-workers", type=int, default=2, help="uvicorn worker processes on PostgreSQL"
    )
    ap.add_argument(
        "--backend",
        choices=("all", "sqlite", "postgresql"),
        default="all",
        help="PostgreSQL runs when TOUCHPOINT_TEST_PG_URL is set",
    )
    ap.add_argument(
        "--profile",
        choices=("create", "update", "reply"),
        help="instead: cProfile the service side of N writes (see --profile-writes)",
    )
    ap.add_argument(
        "--phases",
        choices=("create", "update", "reply"),
        help="instead: wall time of N service-side writes and of their parts",
    )
    ap.add_argument("--profile-writes", type=int, default=2000)
    ap.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        help="instead: time N requests of each kind through the ASGI app, no server",
    )
    ap.add_argument(
        "--serve", type=int, nargs=2, metavar=("PORT", "WORKERS"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.serve is not None:  # the server process started by _run_backend
        serve(*args.serve)
        return
    backend = "postgresql" if args.backend == "postgresql" else "sqlite"
    if args.profile is not None:
        profile(args.profile, args.profile_writes, backend)
        return
    if args.phases is not None:
        phases(args.phases, args.profile_writes, backend)
        return
    if args.in_process is not None:
        in_process(args.in_process)
        return
    args.wrk = shutil.which("wrk")
    if args.wrk is None:
        raise SystemExit("api_writes: wrk not found; run scripts/bench-deps.sh")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="touchpoint-bench-") as tmp:
        args.data_dir = tmp
        if args.backend in ("all", "sqlite"):
            sqlite = f"sqlite:///{tmp}/bench.sqlite3"
            rows += _run_backend("SQLite (WAL)", sqlite, args, args.sqlite_workers)
        pg = os.environ.get("TOUCHPOINT_TEST_PG_URL")
        if pg and args.backend in ("all", "postgresql"):
            with _bench_database("postgresql") as url:
                rows += _run_backend("PostgreSQL", url, args, args.pg_workers)
    print(
        f"\n{args.runs} runs × {args.seconds} s per operation; wrk, {args.connections} "
        f"connections (one per thread); uvicorn worker processes as in the table; "
        f"load generator on the same host; medians. Server CPU: the app server's "
        f"processes (not the database's, nor wrk's), from /proc.\n"
    )
    print(
        "| backend | workers | operation | 2xx req/s | p50 ms | p99 ms | vs no-op "
        "| server CPU ms/req | server cores busy | non-2xx+errors | req/s per run |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['workers']} | {r['op']} | {r['rate']:.0f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['ratio']:.0%} | {r['cpu_ms']:.2f} | {r['cores']:.2f} | "
            f"{r['failed']} of {r['ok'] + r['failed']} | {', '.join(map(str, r['runs']))} |"
        )


if __name__ == "__main__":
    main()
