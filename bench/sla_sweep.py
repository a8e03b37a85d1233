"""The SLA escalation sweep (``escalate_due``) over a million open orders on SQLite.

Seeds a SQLite file (WAL) with ``--orders`` open work orders (default 1,000,000) plus
10% resolved ones, three events per order on average, spread over the last week, under
three policies on two calendars (split-shift office hours with holidays, and 24x7).
Users, the team, calendars and policies go through the service layer; customers, orders
and events are bulk-inserted with SQLAlchemy Core ``executemany`` (not the service
layer), with the orders' SLA cache columns computed by ``replay_many`` as a sweep a
minute earlier would have left them. The first sweep over a fresh file records the
backlog of warnings and breaches (the catch-up, timed and shown but not in the
median); then the sweep runs ``--runs`` times, ``--every`` minutes apart, each timed as
a whole (load + replay + writes, one call of ``escalate_due``), and the median is
printed beside its breakdown:

- load: reading the open orders and their events as integer columns (two queries),
- replay: ``Timelines.from_columns`` + ``replay_many``, once per policy,
- plan: the vectorised warning/breach test and the look-up of steps already taken,
- write: the write transaction (escalation rows, tier-ups, outbox, changed caches, audit).

With ``--reuse`` the sweeps continue ``--every`` minutes after the last sweep recorded
in the file, so each run meets the warnings and breaches that fell due since (a few
hundred per minute), as a sweep on a schedule would; ``--from-seed`` first restores the
copy of the freshly seeded file that ``--seed-only`` leaves beside it (``FILE.seeded``),
to time the catch-up again.

``--side-writes``: while the catch-up sweep runs, another process makes one small write
(a write unit with its audit row) every 100 ms and reports how long each waited for the
file's writer lock and how many gave up (``BusyError`` after 10 s): what the desk's
agents meet while a backlog is swept.

Target (issue 3): <= 5 s for 1,000,000 open orders.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from touchpoint.domain.calendar import NEVER
from touchpoint.domain.roles import Role
from touchpoint.domain.sla import NO_INSTANT, EventType, OrderStatus, Timelines, replay_many
from touchpoint.services import escalation_sweep
from touchpoint.services.auth import TeamDraft, UserDraft, create_team, create_user
from touchpoint.services.base import Actor, write
from touchpoint.services.errors import BusyError
from touchpoint.services.sla_admin import (
    PolicyDraft,
    create_calendar,
    create_policy,
    escalate_due,
)
from touchpoint.services.sla_clock import batch as sla_batch
from touchpoint.services.sla_clock import compiled_policy
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import AuditEntry

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
OFFICE = {
    "timezone": "Asia/Shanghai",
    "hours": {
        **{d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed", "thu")},
        "fri": [["08:30", "12:00"], ["13:30", "16:00"]],
        "sat": [["09:00", "12:00"]],
        "sun": [],
    },
    "holidays": ["2026-10-01", "2026-10-02", "2026-12-31"],
    "special_days": {"2026-11-22": [["08:30", "17:30"]]},
}
ALL_HOURS = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
POLICIES = (  # name, calendar, definition, share of orders
    (
        "standard",
        "office",
        {
            "first_response_minutes": 240,
            "next_update_minutes": 480,
            "next_update_from": "customer_message",
            "resolution_minutes": 2400,
        },
        0.6,
    ),
    (
        "repair 24x7",
        "24x7",
        {
            "first_response_minutes": 120,
            "next_update_minutes": 720,
            "next_update_from": "agent_reply",
            "resolution_minutes": 4320,
        },
        0.3,
    ),
    (
        "key accounts",
        "office",
        {
            "first_response_minutes": 60,
            "next_update_minutes": 240,
            "next_update_from": "customer_message",
            "resolution_minutes": 1440,
        },
        0.1,
    ),
)
_T = {t: t.code for t in EventType}
_S = {s: s.code for s in OrderStatus}
_S_TEXT = [s.value for s in OrderStatus]
_T_TEXT = [t.value for t in EventType]


def _stamp(epoch: np.ndarray) -> list[str]:
    """Epoch seconds as SQLAlchemy's SQLite DATETIME text (UTC)."""
    base = np.datetime64("1970-01-01T00:00:00", "s")
    text = np.datetime_as_string(base + epoch.astype("timedelta64[s]"), unit="s")
    return [t.replace("T", " ") + ".000000" for t in text.tolist()]


def _timelines(
    rng: np.random.Generator, n_open: int, n_done: int, now_s: int
) -> dict[str, np.ndarray]:
    """Event columns (order index, at, type, status codes) of open and resolved orders."""
    n = n_open + n_done
    created = np.empty(n, dtype=np.int64)
    created[:n_open] = now_s - rng.integers(5 * 60, 7 * 86_400, n_open)
    created[n_open:] = now_s - rng.integers(8 * 86_400, 30 * 86_400, n_done)
    second = np.minimum(created + rng.integers(60, 3 * 3600, n), now_s - 120)
    third = np.minimum(second + rng.integers(60, 86_400, n), now_s - 60)
    second = np.maximum(second, created)
    third = np.maximum(third, second)
    # Second event: assigned (80%) or a first reply; third: a mix of issue 6's types.
    t2 = np.where(rng.random(n) < 0.8, _T[EventType.STATUS], _T[EventType.AGENT_REPLY])
    s2 = np.where(t2 == _T[EventType.STATUS], _S[OrderStatus.ASSIGNED], -1)
    pick = rng.random(n)
    t3 = np.select(
        [pick < 0.35, pick < 0.60, pick < 0.70],
        [_T[EventType.AGENT_REPLY], _T[EventType.CUSTOMER_MESSAGE], _T[EventType.INTERNAL_NOTE]],
        _T[EventType.STATUS],
    )
    s3 = np.where(
        t3 == _T[EventType.STATUS],
        np.where(pick < 0.85, _S[OrderStatus.WAITING_CUSTOMER], _S[OrderStatus.IN_PROGRESS]),
        -1,
    )
    t3[n_open:] = _T[EventType.STATUS]
    s3[n_open:] = _S[OrderStatus.RESOLVED]
    # A few orders have only their creation and one event: about 3 events per order.
    keep3 = np.ones(n, dtype=bool)
    keep3[: n_open // 50] = False
    order = np.concatenate([np.arange(n), np.arange(n), np.flatnonzero(keep3)])
    at = np.concatenate([created, second, third[keep3]])
    kind = np.concatenate([np.full(n, _T[EventType.CREATED]), t2, t3[keep3]])
    status = np.concatenate([np.full(n, _S[OrderStatus.NEW]), s2, s3[keep3]])
    sort = np.lexsort((np.repeat([0, 1, 2], [n, n, int(keep3.sum())]), order))
    order, at, kind, status = order[sort], at[sort], kind[sort], status[sort]
    # The order's status is its last status event's.
    last = np.where(status >= 0, np.arange(len(status)), -1)
    last = np.maximum.accumulate(last)
    ends = np.append(np.flatnonzero(np.diff(order)), len(order) - 1)
    final = status[last[ends]]
    return {"order": order, "at": at, "type": kind, "status": status, "final": final}


def sla_cache(
    engine: Engine, tl: dict[str, np.ndarray], policy_of: np.ndarray, now: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Per order, the next escalation (epoch s, or NO_INSTANT) and breached flag, by
    ``replay_many`` one minute before ``now``: the SLA cache a sweep would have left."""
    n = len(policy_of)
    next_esc = np.full(n, NO_INSTANT, dtype=np.int64)
    breached = np.zeros(n, dtype=bool)
    ev_policy = policy_of[tl["order"]]
    with make_session_factory(engine)() as s:
        for pid in np.unique(policy_of).tolist():
            _row, cal, pol = compiled_policy(s, pid)
            mask = ev_policy == pid
            rep = replay_many(
                cal,
                pol,
                Timelines.from_columns(
                    tl["order"][mask], tl["at"][mask], tl["type"][mask], tl["status"][mask]
                ),
                now - timedelta(minutes=1),
            )
            next_esc[rep.order_ids] = rep.next_escalation_at
            for outcome in (rep.first_response, rep.next_update, rep.resolution):
                if outcome is not None:
                    breached[rep.order_ids] |= outcome.breached
    return next_esc, breached


def seed(url: str, n_open: int, *, now: datetime) -> dict[str, Any]:
    """Build the database; returns counts and seeding times."""
    t_start = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = np.random.default_rng(3)
    system = Actor.system()
    at0 = now - timedelta(days=40)
    with factory() as s:
        sup = create_user(
            s,
            system,
            UserDraft("sweep-sup", "bench-password-1", Role.SUPERVISOR, email="sup@example.com"),
            now=at0,
        )
        agent = create_user(
            s, system, UserDraft("sweep-agent", "bench-password-1", Role.AGENT), now=at0
        )
        team = create_team(
            s,
            system,
            TeamDraft("sweep team", supervisor_id=sup.id, member_ids=(agent.id,)),
            now=at0,
        )
        cals = {
            "office": create_calendar(s, system, "office", OFFICE, now=at0).id,
            "24x7": create_calendar(s, system, "24x7", ALL_HOURS, now=at0).id,
        }
        pids = [
            create_policy(
                s,
                system,
                PolicyDraft(name=name, definition=d, calendar_id=cals[cal], rank=10 + i),
                now=at0,
            ).id
            for i, (name, cal, d, _share) in enumerate(POLICIES)
        ]
        agent_id, team_id = agent.id, team.id
    n_done = n_open // 10
    n = n_open + n_done
    now_s = int(now.timestamp())
    tl = _timelines(rng, n_open, n_done, now_s)
    shares = np.array([p[3] for p in POLICIES])
    policy_of = np.array(pids)[rng.choice(len(pids), size=n, p=shares / shares.sum())]
    # The SLA cache as a sweep one minute earlier left it.
    next_esc, breached = sla_cache(engine, tl, policy_of, now)
    t_gen = time.perf_counter()
    n_customers = 5_000
    created = tl["at"][np.flatnonzero(tl["type"] == _T[EventType.CREATED])]
    created_txt = _stamp(created)
    next_txt = [
        None if v in (NO_INSTANT, NEVER) else t
        for v, t in zip(
            next_esc.tolist(),
            _stamp(np.where(next_esc == NO_INSTANT, 0, np.minimum(next_esc, 2**33))),
            strict=True,
        )
    ]
    final = [_S_TEXT[c] for c in tl["final"].tolist()]
    cust = rng.integers(1, n_customers + 1, n).tolist()
    with engine.begin() as conn:
        stamp0 = _stamp(np.array([now_s - 50 * 86_400]))[0]
        conn.exec_driver_sql(
            "INSERT INTO customers (id, kind, customer_class, name, organisation, preferences,"
            " notes, hostage, created_at, updated_at, version)"
            " VALUES (?, 'person', 'normal', ?, '', '{}', '', 0, ?, ?, 1)",
            [(i, f"Customer {i}", stamp0, stamp0) for i in range(1, n_customers + 1)],
        )
        conn.exec_driver_sql(
            "INSERT INTO work_orders (id, customer_id, type, channel, priority, tier, status,"
            " subject, description, owner_id, assignee_id, team_id, policy_id, hostile,"
            " reopen_count, has_return_visit, created_at, updated_at, resolved_at,"
            " sla_next_escalation_at, sla_breached, version)"
            " VALUES (?, ?, 'repair', 'hotline', 'normal', 'L1', ?, 'No power', '', ?, ?, ?, ?,"
            " 0, 0, 0, ?, ?, NULL, ?, ?, 1)",
            [
                (
                    i + 1,
                    cust[i],
                    final[i],
                    agent_id,
                    agent_id,
                    team_id,
                    int(policy_of[i]),
                    created_txt[i],
                    created_txt[i],
                    next_txt[i],
                    int(breached[i]),
                )
                for i in range(n)
            ],
        )
        ats = _stamp(tl["at"])
        kinds = tl["type"].tolist()
        stats = tl["status"].tolist()
        orders = tl["order"].tolist()
        conn.exec_driver_sql(
            "INSERT INTO work_order_events (work_order_id, at, type, status, actor_id, channel,"
            " tag, body) VALUES (?, ?, ?, ?, ?, 'hotline', '', '')",
            [
                (
                    orders[j] + 1,
                    ats[j],
                    _T_TEXT[kinds[j]],
                    None if stats[j] < 0 else _S_TEXT[stats[j]],
                    agent_id,
                )
                for j in range(len(orders))
            ],
        )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    t_end = time.perf_counter()
    engine.dispose()
    return {
        "open": n_open,
        "resolved": n_done,
        "events": len(tl["at"]),
        "generate_s": t_gen - t_start,
        "insert_s": t_end - t_gen,
    }


class _Phases:
    """Wall time spent in the sweep's phases, by wrapping the functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"replay": 0.0, "plan": 0.0, "write": 0.0}

    def wrap(self, module: Any, name: str, phase: str) -> None:
        inner: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - t

        setattr(module, name, timed)

    def wrap_write(self) -> None:
        inner = getattr(escalation_sweep, "write")  # noqa: B009 (the module's import of base.write)

        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            t = time.perf_counter()
            try:
                with inner(*args, **kwargs) as unit:
                    yield unit
            finally:
                self.seconds["write"] += time.perf_counter() - t

        setattr(escalation_sweep, "write", timed)  # noqa: B010 (replaced for the timing run)

    def reset(self) -> None:
        for k in self.seconds:
            self.seconds[k] = 0.0


def _last_sweep(url: str) -> datetime | None:
    """When the file was last swept (the sweep's audit row), or None."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return s.scalar(
                select(func.max(AuditEntry.at)).where(AuditEntry.action == "sla.escalate_due")
            )
    finally:
        engine.dispose()


def _side_writer(url: str, stop: Any, out: Any) -> None:
    """Every 100 ms one write unit (an audit row) until ``stop``; sends back each one's
    seconds and whether it gave up."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    waits: list[tuple[float, bool]] = []
    i = 0
    try:
        while not stop.is_set():
            i += 1
            t = time.perf_counter()
            try:
                with (
                    factory() as s,
                    write(s, Actor.system(), "bench.side_write", now=datetime.now(UTC)) as unit,
                ):
                    unit.audit("bench", i, before=None, after={"i": i})
                waits.append((time.perf_counter() - t, False))
            except BusyError:
                waits.append((time.perf_counter() - t, True))
            time.sleep(0.1)
    finally:
        engine.dispose()
        out.put(waits)


@contextmanager
def side_writes(url: str) -> Iterator[list[str]]:
    """While the block runs, another process writes every 100 ms (``_side_writer``); the
    yielded list gets the report (``_side_report``) when the block ends."""
    ctx = multiprocessing.get_context("fork")
    stop, out = ctx.Event(), ctx.Queue()
    writer = ctx.Process(target=_side_writer, args=(url, stop, out))
    writer.start()
    report: list[str] = []
    try:
        yield report
    finally:
        stop.set()
        report.append(_side_report(out.get(timeout=60)))
        writer.join(60)


def _side_report(waits: list[tuple[float, bool]]) -> str:
    done = sorted(w for w, gave_up in waits if not gave_up)
    failed = sum(1 for _w, gave_up in waits if gave_up)
    if not done:
        return f"side writes: {len(waits)}, all gave up"
    return (
        f"side writes meanwhile: {len(waits)}, gave up (BusyError): {failed}; "
        f"waited median {statistics.median(done) * 1000:.0f} ms, "
        f"max {done[-1] * 1000:.0f} ms"
    )


def main() -> None:
    """Seed, sweep, print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=1_000_000, help="open orders")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--every", type=float, default=1.0, help="minutes between sweeps (default 1)")
    ap.add_argument("--keep", type=Path, help="keep the SQLite file at this path")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: sweep the existing file (migrated to the current schema) "
        "instead of seeding (skips ~40 s), continuing after its last sweep",
    )
    ap.add_argument(
        "--seed-only",
        action="store_true",
        help="seed (into --keep, with a copy FILE.seeded) and stop",
    )
    ap.add_argument(
        "--from-seed",
        action="store_true",
        help="with --reuse: restore FILE.seeded first, so the catch-up sweep runs again",
    )
    ap.add_argument(
        "--side-writes",
        action="store_true",
        help="during the catch-up, time a small write every 100 ms from another process",
    )
    args = ap.parse_args()
    if (args.reuse or args.seed_only) and args.keep is None:
        ap.error("--reuse and --seed-only need --keep")
    if args.from_seed and not args.reuse:
        ap.error("--from-seed needs --reuse")
    phases = _Phases()
    phases.wrap(sla_batch, "replay_many", "replay")  # as replay_batches calls it
    phases.wrap(Timelines, "from_columns", "replay")
    phases.wrap(escalation_sweep, "due_steps", "plan")
    phases.wrap(escalation_sweep, "not_taken", "plan")
    phases.wrap_write()
    every = timedelta(minutes=args.every)
    with tempfile.TemporaryDirectory(prefix="touchpoint-sweep-") as tmp:
        path = args.keep or Path(tmp) / "sweep.sqlite3"
        seeded = path.with_name(path.name + ".seeded")
        url = f"sqlite:///{path}"
        if args.reuse and path.exists():
            if args.from_seed:
                for suffix in ("-wal", "-shm"):
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
                shutil.copyfile(seeded, path)
                print(f"restored {path} from {seeded}")
            upgrade(url)  # files seeded before a schema change
            print(f"reusing {path}")
        else:
            info = seed(url, args.orders, now=NOW)
            print(
                f"seeded {info['open']:,} open + {info['resolved']:,} resolved orders, "
                f"{info['events']:,} events: generated in {info['generate_s']:.1f} s, "
                "bulk-inserted with SQLAlchemy Core executemany (not the service layer) "
                f"in {info['insert_s']:.1f} s"
            )
            if args.seed_only:
                shutil.copyfile(path, seeded)
                print(f"copied to {seeded} (for --reuse --from-seed)")
        if args.seed_only:
            return
        last = _last_sweep(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        rows: list[tuple[str, float, dict[str, float], Any]] = []

        def sweep(label: str, at: datetime) -> None:
            phases.reset()
            with factory() as s:
                t = time.perf_counter()
                summary = escalate_due(s, Actor.system(), now=at)
                total = time.perf_counter() - t
            rows.append((label, total, dict(phases.seconds), summary))

        side: list[str] = []
        if last is None:
            last = NOW - timedelta(minutes=1)
            with side_writes(url) if args.side_writes else nullcontext(side) as side:
                sweep("catch-up (first sweep: records the whole backlog)", last)
        else:
            print(f"last sweep at {last.isoformat()}: continuing {args.every:g} min later")
        start = len(rows)
        for i in range(args.runs):
            at = last + every * (i + 1)
            sweep(f"steady state, run {i + 1} ({at:%H:%M} UTC)", at)
        engine.dispose()
    for line in side:
        print(line)
    print(
        "\nSQLite (WAL) file, one process; 2 shared cores. Times in seconds; "
        "load = total - replay - plan - write.\n"
    )
    print("| sweep | orders checked | new steps | total s | load | replay | plan | write |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, total, ph, summary in rows:
        load = total - ph["replay"] - ph["plan"] - ph["write"]
        print(
            f"| {label} | {summary.orders_checked:,} | {summary.warnings + summary.breaches:,} "
            f"| {total:.2f} | {load:.2f} | {ph['replay']:.2f} | {ph['plan']:.2f} "
            f"| {ph['write']:.2f} |"
        )
    steady = rows[start:]
    if not steady:
        return
    med = statistics.median(r[1] for r in steady)
    parts = {k: statistics.median(r[2][k] for r in steady) for k in ("replay", "plan", "write")}
    load = statistics.median(r[1] - sum(r[2].values()) for r in steady)
    steps = statistics.median(r[3].warnings + r[3].breaches for r in steady)
    print(
        f"| **median of {len(steady)} steady-state sweeps** | {steady[0][3].orders_checked:,} | "
        f"{steps:,.0f} | **{med:.2f}** | {load:.2f} | {parts['replay']:.2f} | "
        f"{parts['plan']:.2f} | {parts['write']:.2f} |"
    )


if __name__ == "__main__":
    main()
