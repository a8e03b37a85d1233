"""The background refresh of the whole merge-candidate list (issue 21, item 3): time and
memory of ``services.merge_refresh.refresh_merge_candidates`` over a seeded desk.

Seeds ``--customers`` customers with ``bench/merge_candidates.py``'s seeder (skewed
Chinese names, pinyin and Latin ones, phones, e-mails, 2% planted duplicates) into a
SQLite file (or ``--url``), unless ``--reuse``; then, in a fresh process so that the
seeding's memory is not counted, runs one refresh and prints its wall time, the pairs
it wrote and the process's peak resident memory.

Targets (issue 21): <= 120 s and <= 1 GB at 1,000,000 customers on 2 cores.

    .venv/bin/python -m bench.merge_refresh --customers 1000000 --file /tmp/refresh.sqlite3
    .venv/bin/python -m bench.merge_refresh --reuse --file /tmp/refresh.sqlite3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.merge_candidates import NOW, seeded_database
from touchpoint.services.merge_refresh import refresh_merge_candidates
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.merge_candidates import count_stored


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (Linux
    keeps ``ru_maxrss`` across exec: a child would report its seeding parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refresh(url: str) -> dict[str, float]:
    """One refresh in this process: seconds, pairs written and stored, peak RSS (MB)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            start = time.perf_counter()
            summary = refresh_merge_candidates(session, NOW)
            seconds = time.perf_counter() - start
            stored = count_stored(session)
    finally:
        engine.dispose()
    return {
        "seconds": seconds,
        "written": summary.written,
        "stored": stored,
        "skipped_blocks": summary.skipped_blocks,
        "parts": summary.parts,
        "peak_rss_mb": _peak_mb(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--url", help="database URL (default: a SQLite file, see --file)")
    ap.add_argument("--file", type=Path, help="SQLite file to seed or reuse")
    ap.add_argument("--reuse", action="store_true", help="refresh an already seeded database")
    ap.add_argument("--refresh-only", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.refresh_only:
        print(json.dumps(_refresh(args.refresh_only)))
        return
    url = seeded_database(args, "merge-refresh-")
    cmd = [sys.executable, "-m", "bench.merge_refresh", "--refresh-only", url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"database: {url}")
    print(
        f"refresh: {r['seconds']:.1f} s, {r['written']:,} pairs written ({r['stored']:,} stored),"
        f" {r['skipped_blocks']:,} blocks over the cap skipped, {r['parts']} parts,"
        f" peak RSS {r['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
