"""Surveys (issue 22): answers through the respondent link, and a wave's export.

``--part a``: completed responses per second through ``POST /s/<token>`` (JSON
``{"answers": {...}}``, answered 201) on SQLite (WAL), one uvicorn worker
(the API with the pages and the sweep, as ``touchpoint serve`` runs it), beside two no-ops of the
same server under the same wrk load and concurrency: ``GET /api/noop`` (authenticated:
token -> user -> actor, as in ``bench/api_writes.py``) and ``GET /healthz`` (no
database). The desk is seeded through the services: a supervisor, a survey from a
template (``--template``, default ``csat``), one wave, customers (Core inserts) and one
``link`` invitation each (``survey_invitations.invite``); each invitation's url gives its
token. Every request of a phase posts a token of its own (single-use): wrk threads (one
connection each) take the tokens of a file in turn (the Lua script and the token files go to a
temporary directory). After each respond phase the bench checks the database: the stored
responses grew by at least the 201s wrk counted (at most one more per connection: wrk
drops the answers still in flight when it stops), and as many invitations are completed
as responses are stored. ``--responses`` is the number of tokens per run (a thread that
runs out stops counting and the run is refused).

``--part b``: a wave of ``--responses`` (default 1,000,000) stored SERVQUAL responses
(answers ``E1``..``E22``, ``P1``..``P22``, integers 1-7; seeded with Core ``insert``
executemany, the survey and wave through ``create_survey(template="servqual")`` and
``create_wave``) exported to Parquet by ``services.survey_exports.export_wave``, beside a
plain pandas ``read_sql`` of the same rows, the answers JSON expanded with
``pd.json_normalize`` into the 44 columns, then ``to_parquet``. Each step runs in a fresh
process (``python -m bench.surveys --step ...``): the bench reports the step's own time
(measured inside the process), the whole process's wall time and its peak RSS
(``wait4``'s ``ru_maxrss``). ``--file`` keeps the seeded SQLite database between
invocations (seeded once, reused when it already holds the wave); ``--url`` uses another
database (e.g. PostgreSQL) instead.

Goals (issue 22): (a) >= 300 responses/s with p99 < 100 ms; (b) <= 30 s.
``--profile a|b`` prints a cProfile of the service side instead (N respond calls on a
fresh desk, or one export of the wave).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select

from bench.api_writes import PASSWORD, SECRET, _free_port, _server_cpu

ROOT = Path(__file__).resolve().parents[1]
SUPERVISOR = "bench"
WAVE_NAME = "bench wave"
ANSWERS = {
    "csat": {"CSAT": 4},
    "nps": {"NPS": 9},
    "servqual": {
        **{f"E{i}": 1 + i % 7 for i in range(1, 23)},
        **{f"P{i}": 1 + (i * 3) % 7 for i in range(1, 23)},
    },
}

# wrk script: one operation per phase (noop, healthz or respond), one connection per thread.
LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("slot", counter)
  table.insert(threads, thread)
end

local op, method, path, body
local headers = {}
local tokens, next_token, draining = {}, 1, false
ok, failed, spent = 0, 0, 0

function init(args)
  op = args[1]
  if op == "noop" then
    method, path = "GET", "/api/noop"
    headers["Authorization"] = "Bearer " .. args[2]
  elseif op == "healthz" then
    method, path = "GET", "/healthz"
  elseif op == "respond" then
    method, body = "POST", args[2]
    headers["Content-Type"] = "application/json"
    local nthreads, i = tonumber(args[4]), 0
    for line in io.lines(args[3]) do
      if i % nthreads == slot - 1 then table.insert(tokens, line) end
      i = i + 1
    end
  else
    error("unknown operation " .. tostring(op))
  end
end

function request()
  if op == "respond" then
    if next_token > #tokens then
      draining = true
      return wrk.format("GET", "/healthz")
    end
    path = "/s/" .. tokens[next_token]
    next_token = next_token + 1
  end
  return wrk.format(method, path, headers, body)
end

function response(status, _headers, _body)
  if draining then
    spent = spent + 1
  elseif status >= 200 and status < 300 then
    ok = ok + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, _requests)
  local n_ok, n_failed, n_spent = 0, 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_failed = n_failed + t:get("failed")
    n_spent = n_spent + t:get("spent")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non_2xx":%d,"spent":%d,' ..
      '"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, n_ok, n_failed, n_spent,
    e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(99)
  ))
end
"""


@dataclass(frozen=True)
class Phase:
    """What wrk measured in one phase."""

    rate: float  # 2xx answers per second
    p50: float  # ms
    p99: float  # ms
    ok: int
    failed: int  # non-2xx answers, socket errors, timeouts
    cpu_ms: float  # the server's CPU per 2xx answer


def site_factory() -> Any:
    """What ``touchpoint serve`` serves: the API with the pages (``/s/<token>`` is a page
    route), the escalation sweep on; settings from ``TOUCHPOINT_*`` variables."""
    from touchpoint.settings import Settings
    from touchpoint.web import create_site

    return create_site(Settings(), sweep=True)


def serve(port: int) -> None:
    """One uvicorn worker serving ``site_factory`` on 127.0.0.1:``port``, on a socket made
    as TCP so that asyncio sets TCP_NODELAY (see ``bench.api_writes.serve``)."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    config = uvicorn.Config(
        "bench.surveys:site_factory", factory=True, log_level="warning", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def _now() -> datetime:
    return datetime.now(UTC)


def _desk(engine: Engine, template: str, now: datetime) -> tuple[Any, int, int]:
    """A supervisor (the bench's login), a survey from ``template`` and its wave:
    (the supervisor's actor, survey id, wave id)."""
    from touchpoint.domain.roles import Role
    from touchpoint.services.auth import UserDraft, actor_for, create_user
    from touchpoint.services.base import Actor
    from touchpoint.services.surveys import create_survey, create_wave
    from touchpoint.storage.db import make_session_factory

    with make_session_factory(engine)() as s:
        user = create_user(
            s, Actor.system(), UserDraft(SUPERVISOR, PASSWORD, Role.SUPERVISOR), now=now
        )
        actor = actor_for(s, user)
        survey = create_survey(s, actor, name=f"bench {template}", template=template, now=now)
        wave = create_wave(s, actor, survey.id, name=WAVE_NAME, expires_in_days=30, now=now)
        return actor, survey.id, wave.id


def _actor(engine: Engine) -> Any:
    from touchpoint.services.auth import actor_for
    from touchpoint.storage.db import make_session_factory
    from touchpoint.storage.models import User

    with make_session_factory(engine)() as s:
        user = s.scalars(select(User).where(User.username == SUPERVISOR)).one()
        return actor_for(s, user)


def _customers(engine: Engine, n: int, now: datetime) -> list[int]:
    """``n`` customers by Core inserts; their ids."""
    from touchpoint.storage.models import Customer

    with engine.begin() as c:
        first = int(c.scalar(select(func.coalesce(func.max(Customer.id), 0))) or 0) + 1
        ids = list(range(first, first + n))
        for i in range(0, n, 10_000):
            rows: list[dict[str, Any]] = [
                {
                    "id": cid,
                    "name": f"Bench Customer {cid}",
                    "customer_class": ("normal", "vip", "key_account")[cid % 3],
                    "preferences": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for cid in ids[i : i + 10_000]
            ]
            c.execute(insert(Customer), rows)
    return ids


def _tokens(engine: Engine, actor: Any, wave_id: int, customer_ids: list[int]) -> list[str]:
    """One ``link`` invitation per customer (``invite``, at most 10,000 a call); their
    tokens, in the order of ``customer_ids``."""
    from touchpoint.services.survey_invitations import (
        MAX_INVITATIONS_PER_CALL,
        Channel,
        invite,
    )
    from touchpoint.services.survey_links import SurveyLinks
    from touchpoint.storage.db import make_session_factory

    links = SurveyLinks(SECRET)
    tokens: list[str] = []
    factory = make_session_factory(engine)
    for i in range(0, len(customer_ids), MAX_INVITATIONS_PER_CALL):
        with factory() as s:
            result = invite(
                s,
                actor,
                links,
                wave_id,
                customer_ids=customer_ids[i : i + MAX_INVITATIONS_PER_CALL],
                channel=Channel.LINK,
                now=_now(),
            )
        if result.skipped:
            raise SystemExit(f"surveys: invitations skipped: {result.skipped[:3]}")
        tokens += [view.url.split("/s/", 1)[1] for view in result.invitations]
    return tokens


def _wrk(base: str, args: argparse.Namespace, seconds: int, *op: str) -> Phase:
    n = args.connections
    cmd = [args.wrk, f"-t{n}", f"-c{n}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    cmd += ["-s", str(args.lua), base, "--", *op]
    cpu_before = _server_cpu(args.server_pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = _server_cpu(args.server_pid) - cpu_before
    line = next((x for x in out.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(line.removeprefix("WRK_RESULT "))
    if r["spent"]:
        raise SystemExit(f"surveys: a wrk thread ran out of tokens ({r}); raise --responses")
    return Phase(
        rate=r["ok"] / (r["duration_us"] / 1e6),
        p50=r["p50_us"] / 1000,
        p99=r["p99_us"] / 1000,
        ok=r["ok"],
        failed=r["non_2xx"] + r["socket_errors"] + r["timeouts"],
        cpu_ms=cpu / r["ok"] * 1000 if r["ok"] else float("nan"),
    )


def _stored(engine: Engine) -> tuple[int, int]:
    """(responses stored, invitations completed)."""
    from touchpoint.storage.survey_models import SurveyInvitation, SurveyResponse

    with engine.connect() as c:
        responses = c.scalar(select(func.count()).select_from(SurveyResponse))
        completed = c.scalar(
            select(func.count())
            .select_from(SurveyInvitation)
            .where(SurveyInvitation.status == "completed")
        )
    return int(responses or 0), int(completed or 0)


def part_a(args: argparse.Namespace, tmp: Path) -> None:
    """Responses per second through ``POST /s/<token>`` beside the no-ops."""
    from touchpoint.storage.db import make_engine
    from touchpoint.storage.migrate import upgrade

    per_run = args.responses or 12_000
    warm_tokens = 2_000
    url = f"sqlite:///{args.file}" if args.file else f"sqlite:///{tmp}/surveys-a.sqlite3"
    if args.file and Path(args.file).exists():
        raise SystemExit(f"surveys: {args.file} exists; part a needs a fresh database")
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    now = _now()
    actor, _survey_id, wave_id = _desk(engine, args.template, now)
    customers = _customers(engine, warm_tokens + per_run * args.runs, now)
    tokens = _tokens(engine, actor, wave_id, customers)
    print(
        f"seeded {len(tokens)} invitations ({args.template}) in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    files = []
    for k, chunk in enumerate(
        [tokens[:warm_tokens]]
        + [
            tokens[warm_tokens + r * per_run : warm_tokens + (r + 1) * per_run]
            for r in range(args.runs)
        ]
    ):
        path = tmp / f"tokens-{k}.txt"
        path.write_text("\n".join(chunk) + "\n")
        files.append(path)
    args.lua = tmp / "surveys.lua"
    args.lua.write_text(LUA)
    body = json.dumps({"answers": ANSWERS[args.template]}, separators=(",", ":"))
    n = str(args.connections)

    port = _free_port()
    env = {
        **os.environ,
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_SECRET_KEY": SECRET,
        "TOUCHPOINT_DATA_DIR": str(tmp),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.surveys", "--serve", str(port)], cwd=ROOT, env=env
    )
    args.server_pid = server.pid
    base = f"http://127.0.0.1:{port}"
    phases: dict[str, list[Phase]] = {
        "GET /api/noop": [],
        "GET /healthz": [],
        "POST /s/<token>": [],
    }
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            bearer = client.post(
                "/api/auth/token", data={"username": SUPERVISOR, "password": PASSWORD}
            ).json()["access_token"]
        _wrk(base, args, 2, "noop", bearer)  # warm-up
        _wrk(base, args, 2, "healthz")
        _wrk(base, args, 2, "respond", body, str(files[0]), n)
        for run in range(args.runs):
            phases["GET /api/noop"].append(_wrk(base, args, args.seconds, "noop", bearer))
            phases["GET /healthz"].append(_wrk(base, args, args.seconds, "healthz"))
            before, _ = _stored(engine)
            phase = _wrk(base, args, args.seconds, "respond", body, str(files[run + 1]), n)
            time.sleep(0.5)  # requests still in flight when wrk stopped
            stored, completed = _stored(engine)
            grew = stored - before
            if not (phase.ok <= grew <= phase.ok + args.connections and stored == completed):
                raise SystemExit(
                    f"surveys: {phase.ok} answered 201, {grew} responses stored, "
                    f"{stored} stored in all and {completed} invitations completed"
                )
            phases["POST /s/<token>"].append(phase)
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()

    noop = statistics.median(p.rate for p in phases["GET /api/noop"])
    print(
        f"\n{args.runs} runs x {args.seconds} s per route; wrk, {args.connections} connections "
        f"(one per thread), on the same host; one uvicorn worker on SQLite (WAL); template "
        f"{args.template}, body {body}; medians (server CPU from /proc).\n"
    )
    print(
        "| route | 2xx req/s | p50 ms | p99 ms | vs /api/noop | server CPU ms/req "
        "| non-2xx+errors | req/s per run |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for route, runs in phases.items():
        rate = statistics.median(p.rate for p in runs)
        print(
            f"| `{route}` | {rate:.0f} | {statistics.median(p.p50 for p in runs):.1f} "
            f"| {statistics.median(p.p99 for p in runs):.1f} | {rate / noop:.0%} "
            f"| {statistics.median(p.cpu_ms for p in runs):.2f} "
            f"| {sum(p.failed for p in runs)} of {sum(p.ok + p.failed for p in runs)} "
            f"| {', '.join(f'{p.rate:.0f}' for p in runs)} |"
        )


# ---------------------------------------------------------------- part b


def _servqual_rows(
    wave_id: int, version: int, customers: list[int], start: int, n: int, now: datetime
) -> Iterator[dict[str, Any]]:
    import numpy as np

    rng = np.random.default_rng(22 + start)
    values = rng.integers(1, 8, size=(n, 44)).tolist()
    ids = [f"E{i}" for i in range(1, 23)] + [f"P{i}" for i in range(1, 23)]
    for k, row in enumerate(values):
        cid = customers[(start + k) % len(customers)]
        yield {
            "wave_id": wave_id,
            "invitation_id": None,
            "survey_version": version,
            "customer_id": cid,
            "channel": "link",
            "work_order_id": None,
            "touchpoint": "",
            "answers": dict(zip(ids, row, strict=True)),
            "segments": {"customer_class": ("normal", "vip", "key_account")[cid % 3]},
            "submitted_at": now - timedelta(seconds=start + k),
        }


def seed_b(url: str, n: int) -> int:
    """A SERVQUAL survey, its wave and ``n`` responses (10,000 customers); the wave's id.
    A database that already holds the bench wave with ``n`` responses is reused."""
    from touchpoint.storage.db import make_engine
    from touchpoint.storage.migrate import upgrade
    from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            wave_id = c.scalar(select(SurveyWave.id).where(SurveyWave.name == WAVE_NAME))
            if wave_id is not None:
                have = c.scalar(
                    select(func.count())
                    .select_from(SurveyResponse)
                    .where(SurveyResponse.wave_id == wave_id)
                )
                if have == n:
                    print(f"reusing wave {wave_id} ({n} responses)", file=sys.stderr)
                    return int(wave_id)
                raise SystemExit(f"surveys: the database holds a bench wave of {have}, not {n}")
        started = time.perf_counter()
        now = _now()
        _, _survey_id, wave_id = _desk(engine, "servqual", now)
        with engine.connect() as c:
            version = int(
                c.scalar(select(SurveyWave.survey_version).where(SurveyWave.id == wave_id)) or 1
            )
        customers = _customers(engine, 10_000, now)
        batch = 50_000
        for start in range(0, n, batch):
            rows = list(
                _servqual_rows(wave_id, version, customers, start, min(batch, n - start), now)
            )
            with engine.begin() as c:
                c.execute(insert(SurveyResponse), rows)
        print(
            f"seeded {n} SERVQUAL responses in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        return int(wave_id)
    finally:
        engine.dispose()


def step_export(url: str, wave_id: int, out: Path) -> dict[str, Any]:
    """``export_wave`` to Parquet (in this process)."""
    from touchpoint.services.survey_exports import ExportFormat, export_wave
    from touchpoint.storage.db import make_engine, make_session_factory

    engine = make_engine(url)
    actor = _actor(engine)
    started = time.perf_counter()
    with make_session_factory(engine)() as s, out.open("wb") as f:
        rows = export_wave(s, actor, wave_id, ExportFormat.PARQUET, f, now=_now())
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"rows": rows, "seconds": seconds}


def step_pandas(url: str, wave_id: int, out: Path) -> dict[str, Any]:
    """The plain pandas way: ``read_sql`` of the wave's rows, the answers JSON expanded with
    ``json_normalize`` into the 44 columns (and the segments' customer class), ``to_parquet``."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    started = time.perf_counter()
    query = text(
        "SELECT id AS respondent, answers, customer_id, channel, submitted_at, "
        "work_order_id, touchpoint, segments FROM survey_responses "
        "WHERE wave_id = :wave ORDER BY id"
    )
    with engine.connect() as c:
        df = pd.read_sql(query, c, params={"wave": wave_id})
    ids = [f"E{i}" for i in range(1, 23)] + [f"P{i}" for i in range(1, 23)]

    def parsed(column: pd.Series) -> list[Any]:
        return [json.loads(v) if isinstance(v, str) else v for v in column]

    answers = pd.json_normalize(parsed(df.pop("answers"))).reindex(columns=ids)
    segments = pd.json_normalize(parsed(df.pop("segments")))
    frame = pd.concat(
        [df[["respondent"]], answers, df.drop(columns="respondent"), segments], axis=1
    )
    frame.to_parquet(out, index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"rows": len(frame), "seconds": seconds}


def _child(step: str, url: str, wave_id: int, out: Path) -> dict[str, Any]:
    """Run ``step`` in a fresh process: its own timing, wall time and peak RSS."""
    cmd = [sys.executable, "-m", "bench.surveys", "--step", step, url, str(wave_id), str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"surveys: step {step} failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result.update(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        size_mb=out.stat().st_size / 1e6,
    )
    return result


def _same_answers(a: Path, b: Path) -> None:
    """Both files hold the same respondents and answers, in the same order."""
    import pyarrow.parquet as pq

    ids = ["respondent"] + [f"E{i}" for i in range(1, 23)] + [f"P{i}" for i in range(1, 23)]
    ta, tb = pq.read_table(a, columns=ids), pq.read_table(b, columns=ids)
    if ta.num_rows != tb.num_rows or not all(ta[c].equals(tb[c].cast(ta[c].type)) for c in ids):
        raise SystemExit(f"surveys: {a.name} and {b.name} differ")


def part_b(args: argparse.Namespace, tmp: Path) -> None:
    """Export of a wave to Parquet beside pandas ``read_sql`` + ``to_parquet``."""
    n = args.responses or 1_000_000
    url = args.url or f"sqlite:///{args.file or tmp / 'surveys-b.sqlite3'}"
    wave_id = seed_b(url, n)
    steps = {"export_wave (parquet)": "export", "pandas read_sql + to_parquet": "pandas"}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in steps}
    for run in range(args.runs):
        for name, step in steps.items():
            r = _child(step, url, wave_id, tmp / f"{step}.parquet")
            print(
                f"run {run + 1} {name}: {r['rows']} rows, step {r['seconds']:.1f} s, "
                f"process {r['wall']:.1f} s (CPU {r['cpu']:.1f} s), peak RSS {r['rss_mb']:.0f} MB",
                file=sys.stderr,
            )
            if r["rows"] != n:
                raise SystemExit(f"surveys: {name} wrote {r['rows']} rows, not {n}")
            results[name].append(r)
        if run == 0:
            _same_answers(tmp / "export.parquet", tmp / "pandas.parquet")
    print(
        f"\n{n} SERVQUAL responses, one wave, {url.split(':', 1)[0]}; each step in a fresh "
        f"process, {args.runs} runs, medians; step = its own time inside the process, "
        f"process = the whole process's wall and CPU (user + system) time, imports included.\n"
    )
    print("| step | step s | process s | process CPU s | peak RSS MB | file MB | step s per run |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, runs in results.items():
        print(
            f"| {name} | {statistics.median(r['seconds'] for r in runs):.1f} "
            f"| {statistics.median(r['wall'] for r in runs):.1f} "
            f"| {statistics.median(r['cpu'] for r in runs):.1f} "
            f"| {statistics.median(r['rss_mb'] for r in runs):.0f} "
            f"| {runs[0]['size_mb']:.0f} "
            f"| {', '.join(format(r['seconds'], '.1f') for r in runs)} |"
        )


# ---------------------------------------------------------------- profiles


def profile(args: argparse.Namespace, tmp: Path) -> None:
    """cProfile of the service side: ``a``, ``--responses`` (default 2,000)
    ``submit_response`` calls on a fresh desk, timed first without the profiler (after
    200 to warm up); ``b``, one ``export_wave`` of the seeded wave (``--file``)."""
    import cProfile
    import pstats

    from touchpoint.storage.db import make_engine, make_session_factory
    from touchpoint.storage.migrate import upgrade

    prof = cProfile.Profile()
    if args.profile == "b":
        url = args.url or f"sqlite:///{args.file or tmp / 'surveys-b.sqlite3'}"
        wave_id = seed_b(url, args.responses or 1_000_000)
        prof.enable()
        step_export(url, wave_id, tmp / "profile.parquet")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        return
    from touchpoint.services.survey_links import SurveyLinks
    from touchpoint.services.survey_responses import submit_response

    n = args.responses or 2_000
    url = f"sqlite:///{tmp}/profile-a.sqlite3"
    upgrade(url)
    engine = make_engine(url)
    actor, _survey_id, wave_id = _desk(engine, args.template, _now())
    tokens = _tokens(engine, actor, wave_id, _customers(engine, 2 * n + 200, _now()))
    links = SurveyLinks(SECRET)
    factory = make_session_factory(engine)
    answers = ANSWERS[args.template]

    def respond(batch: list[str]) -> float:
        started = time.perf_counter()
        for token in batch:
            with factory() as s:
                submit_response(s, links, token, answers, now=_now())
        return (time.perf_counter() - started) / len(batch) * 1000

    respond(tokens[:200])  # warm-up: statement caches
    plain = respond(tokens[200 : 200 + n])
    prof.enable()
    profiled = respond(tokens[200 + n :])
    prof.disable()
    stats = pstats.Stats(prof)
    print(
        f"submit_response ({args.template}), {n} calls: {plain:.2f} ms each without a "
        f"profiler, {profiled:.2f} ms under cProfile"
    )
    stats.sort_stats("cumulative").print_stats(40)
    engine.dispose()


def main() -> None:
    """Run the benchmark and print its table(s)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--part", choices=("a", "b", "all"), default="all")
    ap.add_argument(
        "--responses",
        type=int,
        help="a: tokens (invitations) per run, default 12,000; b: the wave's responses, "
        "default 1,000,000",
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10, help="a: wrk duration per route per run")
    ap.add_argument("--connections", type=int, default=16, help="a: wrk connections (= threads)")
    ap.add_argument("--template", choices=tuple(ANSWERS), default="csat", help="a: the survey")
    ap.add_argument(
        "--file", help="the SQLite file (b: kept and reused between invocations; a: fresh)"
    )
    ap.add_argument("--url", help="b: a database URL instead of --file (e.g. PostgreSQL)")
    ap.add_argument("--profile", choices=("a", "b"), help="instead: cProfile the service side")
    ap.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--step", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    if args.step is not None:
        step, url, wave, out = args.step
        fn = step_export if step == "export" else step_pandas
        print(json.dumps(fn(url, int(wave), Path(out))))
        return
    with tempfile.TemporaryDirectory(prefix="touchpoint-surveys-") as tmp:
        if args.profile:
            profile(args, Path(tmp))
            return
        if args.part in ("a", "all"):
            args.wrk = shutil.which("wrk")
            if args.wrk is None:
                raise SystemExit("surveys: wrk not found; run scripts/bench-deps.sh")
            part_a(args, Path(tmp))
        if args.part in ("b", "all"):
            part_b(args, Path(tmp))


if __name__ == "__main__":
    main()
