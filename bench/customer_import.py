"""Customer import throughput: ``services.imports.import_customers`` in process on a fresh
SQLite file, for a generated file of ``--rows`` customers (name, phone, account, class),
``--runs`` times, each on its own database; prints the median wall time and rows/s.
``--side-writes``: meanwhile another process makes one small write every 100 ms (as in
``bench/sla_sweep.py``) and each run reports how long they waited: on SQLite every
other write of the desk waits while the import's transaction holds the writer lock.

What a web request can take within its time limit (``TOUCHPOINT_REQUEST_SECONDS``, 30 s)
and what ``touchpoint import customers`` does with a utility's file.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from datetime import UTC, datetime


def _file(rows: int) -> bytes:
    lines = ["name,phone,account,customer_class"]
    lines += [f"客户{i},139{i:08d},{9_000_000_000 + i},normal" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _once(content: bytes, with_side_writes: bool) -> float:
    from bench.sla_sweep import side_writes
    from touchpoint.services.base import Actor
    from touchpoint.services.imports import import_customers
    from touchpoint.storage.db import make_engine, make_session_factory
    from touchpoint.storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="touchpoint-import-") as tmp:
        url = f"sqlite:///{tmp}/desk.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        try:
            side: list[str] = []
            with (
                side_writes(url) if with_side_writes else contextlib.nullcontext(side) as side,
                make_session_factory(engine)() as session,
            ):
                started = time.perf_counter()
                import_customers(session, Actor.system(), content, "c.csv", now=datetime.now(UTC))
                took = time.perf_counter() - started
            for line in side:
                print(f"  {took:.2f} s; {line}")
            return took
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--side-writes", action="store_true")
    args = parser.parse_args()
    content = _file(args.rows)
    times = [_once(content, args.side_writes) for _ in range(args.runs)]
    median = statistics.median(times)
    print(
        f"{args.rows} customers ({len(content) / 1e6:.1f} MB): median {median:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in times)}), {args.rows / median:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
