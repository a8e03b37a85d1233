"""Analyses of stored waves at scale (issue 24, "Scale"): every analysis endpoint.

Seeds one SQLite (WAL) file (``--file``, kept and reused) with a wave of ``--responses``
(default 1,000,000) SERVQUAL responses (``E1``..``P22``, integers 1-7, as
``bench/surveys.py`` seeds them) and one of as many NPS responses (0-10), each with its
survey and wave made through ``create_survey`` / ``create_wave`` and the responses by Core
``insert`` executemany over 10,000 customers (``customer_class`` kept as a segment).

Then, for every analysis that applies to those waves, it times the service behind
``GET /api/waves/{id}/analysis/{instrument}`` in-process (``wave_analysis.analyze_wave``
in a fresh session, with the snapshots kept under a scratch data directory, as the app
wires them):

- *first, snapshot absent*: a fresh process (the service imported, nothing called yet),
  the snapshot folder emptied: the first request after a restart on a new data directory
  (or after the wave got new responses);
- *first, snapshot kept*: a fresh process, the snapshot on disk: the first request after a
  restart;
- *warm*: in this process, after one untimed call, the median of ``--runs`` calls;
- *first, after new responses*: a fresh process, the snapshot on disk but the wave grown
  by ``--new`` responses (default 1,000, added before the call and left in the file): the
  snapshot is extended by the new responses, not written afresh;
- *CLI*: ``touchpoint analyze`` on the wave's Parquet export (a subprocess, whole wall
  time), the median of ``--runs``; its JSON must equal the service's (1e-9), else the bench
  refuses to report.

Goal: <= 500 ms warm and <= 3 s first. ``--profile INSTRUMENT`` prints a cProfile of one
warm call and of one snapshot write instead.

    .venv/bin/python -m bench.analytics --file /tmp/tp-analytics.sqlite3 --runs 5
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
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

from sqlalchemy import Engine, func, insert, select

from bench.surveys import _customers, _servqual_rows

ROOT = Path(__file__).resolve().parents[1]
SUPERVISOR = "analytics-bench"
WAVES = {"servqual": "analytics servqual", "nps": "analytics nps"}

_P = ",".join(f"P{i}" for i in range(1, 23))


@dataclass(frozen=True)
class Case:
    """One analysis: the wave's template, the instrument and its query parameters."""

    template: str
    instrument: str
    params: dict[str, str]

    @property
    def label(self) -> str:
        shown = " ".join(f"{k}={v if len(v) < 20 else v[:8] + '…'}" for k, v in self.params.items())
        return f"{self.instrument} {shown}".strip()

    def cli_args(self) -> list[str]:
        out: list[str] = []
        for key, value in self.params.items():
            out += [f"--{key.replace('_', '-')}", value]
        return out


CASES = [
    Case("servqual", "servqual", {}),
    Case("servqual", "servqual", {"by": "customer_class"}),
    Case("servqual", "csi", {"items": _P, "scale": "1-7"}),
    Case("servqual", "drivers", {"outcome": "P1", "items": _P.removeprefix("P1,")}),
    Case("servqual", "loyalty", {"attitude": "P1", "repeat": "E1"}),
    Case("nps", "nps", {}),
    Case("nps", "nps", {"by": "customer_class"}),
    Case("nps", "csat", {"column": "NPS", "scale": "0-10"}),
    Case("nps", "ces", {"column": "NPS", "scale": "0-10"}),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _nps_rows(
    wave_id: int, version: int, customers: list[int], start: int, n: int, now: datetime
) -> Iterator[dict[str, Any]]:
    import numpy as np

    rng = np.random.default_rng(24 + start)
    for k, score in enumerate(rng.integers(0, 11, size=n).tolist()):
        cid = customers[(start + k) % len(customers)]
        yield {
            "wave_id": wave_id,
            "invitation_id": None,
            "survey_version": version,
            "customer_id": cid,
            "channel": "link",
            "work_order_id": None,
            "touchpoint": "",
            "answers": {"NPS": score},
            "segments": {"customer_class": ("normal", "vip", "key_account")[cid % 3]},
            "submitted_at": now - timedelta(seconds=start + k),
        }


def _waves(engine: Engine) -> dict[str, int]:
    from touchpoint.storage.survey_models import SurveyWave

    with engine.connect() as c:
        rows = c.execute(select(SurveyWave.name, SurveyWave.id)).all()
    names = {name: int(wave_id) for name, wave_id in rows}
    return {t: names[name] for t, name in WAVES.items() if name in names}


def seed(url: str, n: int) -> dict[str, int]:
    """The two waves of ``n`` responses (seeded unless the database holds them)."""
    from touchpoint.domain.roles import Role
    from touchpoint.services.auth import UserDraft, actor_for, create_user
    from touchpoint.services.base import Actor
    from touchpoint.services.surveys import create_survey, create_wave
    from touchpoint.storage.db import make_engine, make_session_factory
    from touchpoint.storage.migrate import upgrade
    from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

    upgrade(url)
    engine = make_engine(url)
    try:
        have = _waves(engine)
        if len(have) == len(WAVES):
            print(f"reusing waves {have}", file=sys.stderr)
            return have
        started, now = time.perf_counter(), _now()
        with make_session_factory(engine)() as s:
            user = create_user(
                s,
                Actor.system(),
                UserDraft(SUPERVISOR, "bench-password-1", Role.SUPERVISOR),
                now=now,
            )
            actor = actor_for(s, user)
            for template, name in WAVES.items():
                survey = create_survey(s, actor, name=name, template=template, now=now)
                create_wave(s, actor, survey.id, name=name, expires_in_days=30, now=now)
        customers = _customers(engine, 10_000, now)
        waves = _waves(engine)
        for template, wave_id in waves.items():
            with engine.connect() as c:
                version = int(
                    c.scalar(select(SurveyWave.survey_version).where(SurveyWave.id == wave_id)) or 1
                )
            rows_of = _servqual_rows if template == "servqual" else _nps_rows
            for begin in range(0, n, 50_000):
                rows = list(
                    rows_of(wave_id, version, customers, begin, min(50_000, n - begin), now)
                )
                with engine.begin() as c:
                    c.execute(insert(SurveyResponse), rows)
            with engine.connect() as c:
                stored = c.scalar(
                    select(func.count())
                    .select_from(SurveyResponse)
                    .where(SurveyResponse.wave_id == wave_id)
                )
            print(f"seeded wave {wave_id} ({template}): {stored}", file=sys.stderr)
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load, before the timings: without the
            # visibility map the snapshot key's count over the wave's index reads the
            # table too (about 0.2 s more a call until autovacuum has run).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE survey_responses")
        return waves
    finally:
        engine.dispose()


class Service:
    """The service behind the endpoint, as the app calls it: a fresh session a call."""

    def __init__(self, url: str, data_dir: Path) -> None:
        from touchpoint.services.auth import actor_for
        from touchpoint.services.wave_analysis import analyze_wave
        from touchpoint.services.wave_snapshots import WaveSnapshots
        from touchpoint.storage.db import make_engine, make_session_factory
        from touchpoint.storage.models import User

        self.engine = make_engine(url)
        self.factory = make_session_factory(self.engine)
        with self.factory() as s:
            user = s.scalars(select(User).where(User.username == SUPERVISOR)).one()
            self.actor = actor_for(s, user)
        self.snapshots = WaveSnapshots(data_dir / "wave-snapshots")
        self.analyze = analyze_wave

    def __call__(self, wave_id: int, case: Case) -> tuple[float, dict[str, Any]]:
        from touchpoint.services.wave_analysis import AnalysisOptions, Instrument

        started = time.perf_counter()
        with self.factory() as s:
            result = self.analyze(
                s,
                self.actor,
                wave_id,
                Instrument(case.instrument),
                AnalysisOptions(**case.params),  # type: ignore[arg-type]
                snapshots=self.snapshots,
            )
        return time.perf_counter() - started, result


def _first(url: str, data_dir: Path, wave_id: int, case: Case) -> float:
    """The first call in a fresh process (the service imported before the clock starts)."""
    cmd = [sys.executable, "-m", "bench.analytics", "--step", url, str(data_dir), str(wave_id)]
    cmd += [json.dumps([case.template, case.instrument, case.params])]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"analytics: first call of {case.label} failed:\n{done.stderr}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def _grow(url: str, wave_id: int, template: str, n: int) -> None:
    """Add ``n`` responses to the wave, as the seed writes them."""
    from touchpoint.storage.db import make_engine
    from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

    engine = make_engine(url)
    try:
        with engine.begin() as c:
            version = int(
                c.scalar(select(SurveyWave.survey_version).where(SurveyWave.id == wave_id)) or 1
            )
            ids = c.scalars(select(SurveyResponse.customer_id).limit(100))
            customers = [int(i) for i in ids if i is not None]
            stored = int(
                c.scalar(select(func.count()).where(SurveyResponse.wave_id == wave_id)) or 0
            )
            rows_of = _servqual_rows if template == "servqual" else _nps_rows
            rows = list(rows_of(wave_id, version, customers, stored, n, _now()))
            c.execute(insert(SurveyResponse), rows)
    finally:
        engine.dispose()


def _step(url: str, data_dir: str, wave: str, raw: str) -> None:
    template, instrument, params = json.loads(raw)
    service = Service(url, Path(data_dir))
    seconds, _ = service(int(wave), Case(template, instrument, params))
    print(json.dumps({"seconds": seconds}))


def _export(url: str, wave_id: int, out: Path) -> None:
    from touchpoint.services.survey_exports import ExportFormat, write_wave
    from touchpoint.storage.db import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as s, out.open("wb") as f:
        write_wave(s, wave_id, ExportFormat.PARQUET, f)
    engine.dispose()


def _cli(path: Path, case: Case) -> tuple[float, dict[str, Any]]:
    cmd = [sys.executable, "-m", "touchpoint", "analyze", case.instrument, str(path)]
    cmd += [*case.cli_args(), "--format", "json"]
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(ROOT / "bench" / "out" / "pycache")}
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"analytics: touchpoint analyze {case.label} failed:\n{done.stderr}")
    return seconds, json.loads(done.stdout)


def _same(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            raise SystemExit(f"analytics: keys differ at {where}")
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, abs_tol=1e-9):
            raise SystemExit(f"analytics: API and CLI differ at {where}: {a} != {b}")
    elif a != b:
        raise SystemExit(f"analytics: API and CLI differ at {where}: {a!r} != {b!r}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def measure(url: str, waves: dict[str, int], runs: int, tmp: Path, new: int) -> None:
    data_dir = tmp / "data"
    service = Service(url, data_dir)
    exports: dict[str, Path] = {}
    for template, wave_id in waves.items():
        exports[template] = tmp / f"{template}.parquet"
        _export(url, wave_id, exports[template])
    print(
        "| wave | analysis | first, snapshot absent (ms) | first, snapshot kept (ms) "
        "| warm median (ms) | warm min–max (ms) | `touchpoint analyze` on the export (ms) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for case in CASES:
        wave_id = waves[case.template]
        shutil.rmtree(data_dir, ignore_errors=True)
        absent = _first(url, data_dir, wave_id, case)
        kept = _first(url, data_dir, wave_id, case)
        _, result = service(wave_id, case)
        warm = [service(wave_id, case)[0] for _ in range(runs)]
        cli_times = []
        for _ in range(runs):
            seconds, printed = _cli(exports[case.template], case)
            cli_times.append(seconds)
        _same(result, printed)
        print(
            f"| {case.template} | {case.label} | {_ms(absent)} | {_ms(kept)} "
            f"| **{_ms(statistics.median(warm))}** | {_ms(min(warm))}–{_ms(max(warm))} "
            f"| {_ms(statistics.median(cli_times))} |",
            flush=True,
        )
    print(f"\n| wave | analysis | first, after {new:,} new responses (ms) |\n|---|---|---:|")
    for template, wave_id in waves.items():
        case = next(c for c in CASES if c.template == template)
        _first(url, data_dir, wave_id, case)  # the snapshot of the wave as it stands
        _grow(url, wave_id, template, new)
        extended = _first(url, data_dir, wave_id, case)
        print(f"| {template} | {case.label} | {_ms(extended)} |", flush=True)
    service.engine.dispose()


def profile(url: str, waves: dict[str, int], instrument: str, tmp: Path) -> None:
    case = next(c for c in CASES if c.instrument == instrument)
    wave_id = waves[case.template]
    service = Service(url, tmp / "data")
    for title in ("snapshot absent", "warm"):
        profiler = cProfile.Profile()
        profiler.enable()
        seconds, _ = service(wave_id, case)
        profiler.disable()
        print(f"## {case.label}, {title}: {seconds:.3f} s under cProfile")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    """Seed (or reuse) the waves and print the table."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--file", default="bench/out/analytics.sqlite3", help="the SQLite file")
    ap.add_argument("--url", help="a database URL instead of --file")
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--new", type=int, default=1_000, help="responses added before the last call")
    ap.add_argument("--profile", metavar="INSTRUMENT", help="instead: cProfile one analysis")
    ap.add_argument("--seed-only", action="store_true", help="seed the waves and stop")
    ap.add_argument("--step", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step is not None:
        _step(*args.step)
        return
    url = args.url or f"sqlite:///{Path(args.file).resolve()}"
    waves = seed(url, args.responses)
    if args.seed_only:
        return
    with tempfile.TemporaryDirectory(prefix="touchpoint-analytics-") as tmp:
        if args.profile:
            profile(url, waves, args.profile, Path(tmp))
        else:
            measure(url, waves, args.runs, Path(tmp), args.new)


if __name__ == "__main__":
    main()
