"""The closed loop's metrics at scale: ``GET /api/loop`` (issue 23, proof 3).

Seeds a desk into a freshly migrated SQLite (WAL) file, and into a fresh schema on
``TOUCHPOINT_TEST_PG_URL`` when that is set (``scripts/with-services.sh``): customers and
orders by ``bench/desk_scale_seed.py``'s seeder (bulk Core inserts over the last 365
days), then, with Core inserts too, the return visits of a sample of the resolved orders
in each month's return-visit wave: ``--responses`` answers in all (default 300,000),
``--detractors`` of the first answers (default 20%) detractors (CSAT 1-2, or NPS 0-6),
each with its service-recovery order (complaint, high, the surveyed order's owner and
team, under the recovery SLA policy, with its timeline: created, assigned, a reply and,
for 85% of them, a resolution within 2 hours to 10 days, half of those closed later),
and half of the resolved recovery orders re-surveyed (65% of the re-surveys not
detractors). The recovery orders are counted in ``--orders`` (default 1,000,000 in all).
Last, the KPI board's stored facts of every order are written by the desk clock's own
sweep (``services.kpi_facts.refresh_kpi_facts``, as ``bench/desk_scale_seed.py`` does;
with ``--reuse``, those the kept desk lacks), as a server would have them.

Then it times the service behind ``GET /api/loop`` in-process
(``services.loop_metrics.loop_metrics`` in a fresh session each call, as the route calls
it, for the supervisor), after one warm-up call, ``--runs`` times each over the last 30
days and the last 365, and prints the medians and the answers. Goal: <= 500 ms each.
``--profile`` prints a cProfile of one 365-day call (after a warm-up) instead.

    .venv/bin/python -m bench.loop --orders 50000 --customers 20000 --responses 15000
    TOUCHPOINT_TEST_PG_PORT=54475 bash scripts/with-services.sh \\
        .venv/bin/python -m bench.loop --pg-only
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, insert, select, text

from bench.desk_scale import _databases
from bench.desk_scale_seed import (
    SUPERVISOR,
    _desk,
    fill_kpi_facts,
    seed_customers,
    seed_orders,
)
from touchpoint.domain.roles import Role
from touchpoint.domain.sla import EventType, OrderStatus
from touchpoint.domain.survey_answers import headline_scores
from touchpoint.services.base import Actor
from touchpoint.services.kpi_surveys import survey_kpis
from touchpoint.services.loop_metrics import LoopMetrics, loop_metrics
from touchpoint.services.recovery_loop import recovery_policy_id
from touchpoint.services.return_visits import month_wave_id
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import User, WorkOrder, WorkOrderEvent
from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse

TZ = "Asia/Shanghai"
HOUR = 3600
BATCH = 50_000
RECOVERED_SHARE = 0.85  # recovery orders resolved
RESURVEYED_SHARE = 0.5  # resolved recovery orders whose re-survey was answered
PROMOTED_SHARE = 0.65  # re-survey answers that are no detractor's


def _instant(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def _answers(rng: np.random.Generator, detractor: np.ndarray) -> list[dict[str, Any]]:
    """CSAT (always) and NPS (for 60%): 1-2 / 0-6 somewhere for a detractor, else 3-5 and
    7-10."""
    n = len(detractor)
    csat_low = rng.integers(1, 3, n)
    csat_ok = rng.choice([3, 4, 5], n, p=[0.15, 0.45, 0.40])
    nps_low = rng.integers(0, 7, n)
    nps_ok = rng.integers(7, 11, n)
    has_nps = rng.random(n) < 0.6
    by_nps = detractor & has_nps & (rng.random(n) < 0.4)  # CSAT fine, NPS low
    csat = np.where(detractor & ~by_nps, csat_low, csat_ok).tolist()
    nps = np.where(detractor & has_nps, nps_low, nps_ok).tolist()
    out: list[dict[str, Any]] = []
    for i in range(n):
        a: dict[str, Any] = {"CSAT": csat[i]}
        if has_nps[i]:
            a["NPS"] = nps[i]
        if detractor[i]:
            a["COMMENT"] = "处理太慢"
        out.append(a)
    return out


def _waves(engine: Engine, instants: np.ndarray) -> dict[str, int]:
    """Each month's return-visit wave (made as a resolution makes it) by ``YYYY-MM``."""
    months: dict[str, int] = {}
    for at in np.unique(instants.astype("datetime64[s]").astype("datetime64[M]")):
        first = datetime.fromisoformat(f"{at}-01T00:00:00+00:00") + timedelta(days=1)
        with engine.begin() as conn:
            months[str(at)] = month_wave_id(conn, first)
    return months


def _respond(
    engine: Engine,
    waves: dict[str, int],
    surveyed: dict[str, np.ndarray],
    submitted: np.ndarray,
    answers: list[dict[str, Any]],
    first_id: int,
) -> None:
    """Invitations (completed) and their responses, ids from ``first_id`` on."""
    n = len(submitted)
    months = (
        surveyed["resolved"].astype("datetime64[s]").astype("datetime64[M]").astype(str).tolist()
    )
    cols = {k: v.tolist() for k, v in surveyed.items()}
    sub = submitted.tolist()
    for lo in range(0, n, BATCH):
        invitations, responses = [], []
        for i in range(lo, min(n, lo + BATCH)):
            rid, wave = first_id + i, waves[months[i]]
            at = _instant(sub[i])
            base = {
                "wave_id": wave,
                "customer_id": cols["customer"][i],
                "channel": "email",
                "work_order_id": cols["id"][i],
            }
            invitations.append(
                {
                    **base,
                    "id": rid,
                    "address": "",
                    "nonce": f"loop{rid}",
                    "status": "completed",
                    "team_id": cols["team"][i],
                    "agent_id": cols["owner"][i],
                    "context": {"order_type": "repair"},
                    "created_at": _instant(cols["resolved"][i]),
                    "expires_at": _instant(cols["resolved"][i] + 14 * 86_400),
                    "opened_at": at,
                }
            )
            responses.append(
                {
                    **base,
                    "id": rid,
                    "invitation_id": rid,
                    "survey_version": 1,
                    "agent_id": cols["owner"][i],
                    "team_id": cols["team"][i],
                    "answers": answers[i],
                    **headline_scores(answers[i]),
                    "submitted_at": at,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(SurveyInvitation), invitations)
            conn.execute(insert(SurveyResponse), responses)


def _recovery_rows(
    rec: dict[str, np.ndarray], first_id: int, policy: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The recovery orders and their events."""
    orders, events = [], []
    cols = {k: v.tolist() for k, v in rec.items()}
    for i in range(len(cols["created"])):
        oid = first_id + i
        created, resolved, closed = cols["created"][i], cols["resolved"][i], cols["closed"][i]
        reply = cols["reply"][i]
        status = "closed" if closed > 0 else "resolved" if resolved > 0 else "in_progress"
        owner = cols["owner"][i]
        orders.append(
            {
                "id": oid,
                "customer_id": cols["customer"][i],
                "type": "complaint",
                "channel": "hotline",
                "priority": "high",
                "status": status,
                "subject": f"服务补救 Service recovery 工单 #{cols['surveyed'][i]}",
                "description": f"回访答卷 #{cols['response'][i]}",
                "owner_id": owner,
                "assignee_id": owner,
                "team_id": cols["team"][i],
                "policy_id": policy,
                "created_at": _instant(created),
                "updated_at": _instant(max(created, resolved, closed)),
                "resolved_at": _instant(resolved) if resolved > 0 else None,
                "closed_at": _instant(closed) if closed > 0 else None,
                "recovery_of": cols["surveyed"][i],
                "origin_response_id": cols["response"][i],
            }
        )
        timeline = [
            (created, EventType.CREATED, OrderStatus.NEW),
            (created + 60, EventType.STATUS, OrderStatus.ASSIGNED),
            (reply, EventType.AGENT_REPLY, None),
            (reply + 60, EventType.STATUS, OrderStatus.IN_PROGRESS),
        ]
        if resolved > 0:
            timeline.append((resolved, EventType.STATUS, OrderStatus.RESOLVED))
        if closed > 0:
            timeline.append((closed, EventType.STATUS, OrderStatus.CLOSED))
        events += [
            {
                "work_order_id": oid,
                "at": _instant(at),
                "type": kind.value,
                "status": None if st is None else st.value,
                "actor_id": owner,
                "channel": "hotline",
                "tag": "",
                "body": "您好，我们已联系您。" if kind == EventType.AGENT_REPLY else "",
            }
            for at, kind, st in timeline
        ]
    return orders, events


def _utc(at: datetime | None) -> datetime:
    assert at is not None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _resolved_orders(engine: Engine) -> dict[str, np.ndarray]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                WorkOrder.id,
                WorkOrder.customer_id,
                WorkOrder.owner_id,
                WorkOrder.team_id,
                WorkOrder.resolved_at,
            )
            .where(WorkOrder.resolved_at.is_not(None))
            .order_by(WorkOrder.id)
        ).all()
    resolved = [int(_utc(r[4]).timestamp()) for r in rows]
    return {
        "id": np.array([r[0] for r in rows]),
        "customer": np.array([r[1] for r in rows]),
        "owner": np.array([r[2] for r in rows]),
        "team": np.array([r[3] for r in rows]),
        "resolved": np.array(resolved),
    }


def _recoveries(
    rng: np.random.Generator, surveyed: dict[str, np.ndarray], submitted: np.ndarray, now: int
) -> dict[str, np.ndarray]:
    """The detractors' recovery orders: created 30 s after the answer, a first reply
    within 10 minutes to 20 hours, 85% resolved 2 hours to 10 days later (if by now),
    half of those closed a day to 5 days after."""
    n = len(submitted)
    created = submitted + 30
    resolved = created + rng.integers(2 * HOUR, 10 * 86_400, n)
    reply = created + np.minimum(rng.integers(600, 20 * HOUR, n), (resolved - created) // 2)
    resolved = np.where((rng.random(n) < RECOVERED_SHARE) & (resolved < now - 60), resolved, 0)
    closed = resolved + rng.integers(86_400, 5 * 86_400, n)
    closed = np.where((resolved > 0) & (rng.random(n) < 0.5) & (closed < now - 60), closed, 0)
    return {
        "customer": surveyed["customer"],
        "owner": surveyed["owner"],
        "team": surveyed["team"],
        "surveyed": surveyed["id"],
        "created": created,
        "reply": np.minimum(reply, now - 120),
        "resolved": resolved,
        "closed": closed,
    }


def seed_loop(
    engine: Engine, args: argparse.Namespace, first_order: int, policy: int, now: datetime
) -> dict[str, int]:
    """Return visits, recovery orders (ids from ``first_order`` on) and re-surveys."""
    rng = np.random.default_rng(args.seed)
    now_s = int(now.timestamp())
    done = _resolved_orders(engine)
    done = {k: v[done["resolved"] < now_s - 2 * 86_400] for k, v in done.items()}
    n_first = _first_answers(args)
    pick = np.sort(rng.choice(len(done["id"]), n_first, replace=False))
    surveyed = {k: v[pick] for k, v in done.items()}
    submitted = np.minimum(surveyed["resolved"] + rng.integers(HOUR, 48 * HOUR, n_first), now_s)
    detractor = np.zeros(n_first, dtype=bool)
    detractor[rng.choice(n_first, _n_recoveries(args), replace=False)] = True
    det = np.flatnonzero(detractor)
    rec = _recoveries(rng, {k: v[det] for k, v in surveyed.items()}, submitted[det], now_s)
    rec["response"] = det + 1
    again = np.flatnonzero((rec["resolved"] > 0) & (rng.random(len(det)) < RESURVEYED_SHARE))
    re_submitted = np.minimum(rec["resolved"][again] + rng.integers(HOUR, 48 * HOUR), now_s)
    waves = _waves(engine, np.concatenate([surveyed["resolved"], rec["resolved"][again]]))
    _respond(engine, waves, surveyed, submitted, _answers(rng, detractor), 1)
    orders, events = _recovery_rows(rec, first_order, policy)
    for lo in range(0, len(orders), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(WorkOrder), orders[lo : lo + BATCH])
    for lo in range(0, len(events), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(WorkOrderEvent), events[lo : lo + BATCH])
    resurveyed = {
        "id": first_order + again,
        "customer": rec["customer"][again],
        "owner": rec["owner"][again],
        "team": rec["team"][again],
        "resolved": rec["resolved"][again],
    }
    promoted = rng.random(len(again)) < PROMOTED_SHARE
    _respond(engine, waves, resurveyed, re_submitted, _answers(rng, ~promoted), n_first + 1)
    return {
        "first answers": n_first,
        "detractors (recovery orders)": len(det),
        "recovery orders resolved": int((rec["resolved"] > 0).sum()),
        "re-surveys answered": len(again),
        "of them not detractors": int(promoted.sum()),
    }


def _n_recoveries(args: argparse.Namespace) -> int:
    return round(_first_answers(args) * float(args.detractors))


def _first_answers(args: argparse.Namespace) -> int:
    """First answers so that with the expected re-surveys ``--responses`` are stored."""
    again = float(args.detractors) * RECOVERED_SHARE * RESURVEYED_SHARE
    return round(int(args.responses) / (1 + again))


def _finish(engine: Engine) -> None:
    """Sequences past the explicit ids (PostgreSQL) and fresh statistics."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("customers", "work_orders", "survey_invitations", "survey_responses"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        conn.execute(text("ANALYZE"))


def seed(engine: Engine, args: argparse.Namespace) -> str:
    """The whole desk; returns what was seeded, with the times."""
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    desk = _desk(engine, now)
    seed_customers(engine, args.customers, now, args.seed)
    t1 = time.perf_counter()
    base = args.orders - _n_recoveries(args)
    n_events = seed_orders(engine, base, args.customers, desk, now, args.seed)
    t2 = time.perf_counter()
    with engine.begin() as conn:
        policy = recovery_policy_id(conn, desk["policies"][0])
    counts = seed_loop(engine, args, base + 1, policy, now)
    t3 = time.perf_counter()
    fill_kpi_facts(engine)
    _finish(engine)
    shown = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    return (
        f"{args.customers:,} customers ({t1 - t0:.0f} s), {base:,} orders and {n_events:,} "
        f"events ({t2 - t1:.0f} s), {args.responses:,} return-visit responses: {shown} "
        f"({t3 - t2:.0f} s)"
    )


def _actor(engine: Engine) -> Actor:
    with make_session_factory(engine)() as s:
        user = s.scalars(select(User).where(User.username == SUPERVISOR)).one()
        return Actor(user_id=user.id, username=user.username, role=Role.SUPERVISOR)


def measure(engine: Engine, runs: int, days: int) -> tuple[list[float], LoopMetrics]:
    """Times (ms) of ``runs`` calls over the last ``days`` local days, after a warm-up."""
    factory = make_session_factory(engine)
    actor = _actor(engine)
    end = datetime.now(ZoneInfo(TZ)).date()
    start = end - timedelta(days=days - 1)
    times, got = [], None
    for i in range(runs + 1):
        with factory() as session:
            t = time.perf_counter()
            got = loop_metrics(session, actor, start=start, end=end, tz=TZ, now=datetime.now(UTC))
            took = (time.perf_counter() - t) * 1000
        if i:
            times.append(took)
    assert got is not None
    return times, got


def measure_board_surveys(engine: Engine, runs: int, days: int) -> tuple[list[float], int]:
    """Times (ms) of the KPI board's survey columns (``services.kpi_surveys``) per team
    over the last ``days`` days, after a warm-up; the answers seen."""
    factory = make_session_factory(engine)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    times, answers = [], 0
    for i in range(runs + 1):
        with factory() as session:
            t = time.perf_counter()
            groups = survey_kpis(session, start, end, "team_id")
            took = (time.perf_counter() - t) * 1000
        answers = sum(g.responses for g in groups.values())
        if i:
            times.append(took)
    return times, answers


def profile(engine: Engine, days: int) -> None:
    """A cProfile of one call over the last ``days`` days, after a warm-up call."""
    factory = make_session_factory(engine)
    actor = _actor(engine)
    end: date = datetime.now(ZoneInfo(TZ)).date()
    start = end - timedelta(days=days - 1)
    with factory() as session:
        loop_metrics(session, actor, start=start, end=end, tz=TZ, now=datetime.now(UTC))
    with factory() as session, cProfile.Profile() as prof:
        loop_metrics(session, actor, start=start, end=end, tz=TZ, now=datetime.now(UTC))
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


def run(name: str, url: str, args: argparse.Namespace) -> None:
    seeded = "reused"
    print(f"{name}: {'migrating' if args.reuse else 'seeding'}", flush=True)
    upgrade(url)  # a kept desk gains the revisions made since it was seeded
    engine = make_engine(url)
    try:
        if args.reuse:
            fill_kpi_facts(engine)  # those it lacks, as the desk clock would store them
        else:
            seeded = seed(engine, args)
            print(f"  {seeded}", flush=True)
        if args.profile:
            profile(engine, 365)
            return
        print(f"\n{name} ({url.split('@')[-1]}): {seeded}\n")
        print("| period | median ms | min ms | max ms | goal 500 ms | answer |")
        print("|---|---:|---:|---:|---|---|")
        for days in (30, 365):
            times, got = measure(engine, args.runs, days)
            med = statistics.median(times)
            print(
                f"| last {days} days | {med:.1f} | {min(times):.1f} | {max(times):.1f} "
                f"| {'met' if med <= 500 else '**missed**'} | {_shown(got)} |",
                flush=True,
            )
        print("\n| board survey columns, per team | median ms | min ms | max ms | goal 500 ms |")
        print("|---|---:|---:|---:|---|")
        for days in (30, 365):
            times, answers = measure_board_surveys(engine, args.runs, days)
            med = statistics.median(times)
            verdict = "met" if med <= 500 else "**missed**"
            print(
                f"| the last {days} days ({answers:,} answers) | {med:.1f} "
                f"| {min(times):.1f} | {max(times):.1f} | {verdict} |",
                flush=True,
            )
    finally:
        engine.dispose()


def _shown(m: LoopMetrics) -> str:
    median = m.median_business_hours_to_close
    rate = m.recovery_rate
    return (
        f"triggered {m.triggered:,}, closed {m.closed:,}, within target "
        f"{m.closed_within_target:,}, median {'-' if median is None else f'{median:.1f}'} h, "
        f"resurveyed {m.resurveyed:,}, recovered {m.recovered:,}, rate "
        f"{'-' if rate is None else f'{rate:.3f}'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=300_000)
    ap.add_argument("--orders", type=int, default=1_000_000, help="recovery orders included")
    ap.add_argument("--responses", type=int, default=300_000)
    ap.add_argument("--detractors", type=float, default=0.2, help="share of first answers")
    ap.add_argument("--runs", type=int, default=5, help="timed calls per period")
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--file", help="SQLite file to seed (kept) or --reuse")
    ap.add_argument("--pg-schema", help="PostgreSQL schema to seed or --reuse")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    ap.add_argument("--reuse", action="store_true", help="measure already seeded databases")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--pg-only", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile one 365-day call")
    args = ap.parse_args()
    if args.reuse and not (args.file or args.pg_schema):
        ap.error("--reuse needs --file and/or --pg-schema")
    with _databases(args) as dbs:
        for name, url in dbs:
            run(name, url, args)
    print(f"\ncommand: {' '.join(['.venv/bin/python', '-m', 'bench.loop', *sys.argv[1:]])}")


if __name__ == "__main__":
    main()
