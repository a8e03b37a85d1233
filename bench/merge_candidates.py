"""One customer's merge candidates on a desk of a million customers (issue 21, item 2).

Seeds a database (a SQLite file by default, or ``--url``) with ``--customers``
customers (default 1,000,000): Chinese names drawn with a skewed surname and
given-name distribution (so that common names make large blocks, as they do on a real
desk), one in ten in pinyin or a Latin name, a mobile phone each, an e-mail for one in
three, and 2% planted duplicates of earlier customers (pinyin spelling, phone typed
with +86 and dashes, e-mail alias, a homophone character). Customers, identities and
blocking keys are bulk-inserted with SQLAlchemy Core ``executemany``; the keys are made
by ``domain.blocking.blocking_keys``, the code the desk's writes use, and the key index
is built after the load.

Then, in a fresh process (so that the seeding's memory is not counted), it calls
``services.merge.search_merge_candidates(customer_id=X)`` (what ``GET
/api/merge/candidates?customer_id=X`` calls) for ``--samples`` random customers and
for the customer whose blocks hold the most members under the cap, after one warm-up
call, and prints the server-side time (median, p95, max) and the growth of the
process's resident memory over those calls (peak RSS after minus RSS before, the peak
reset first through ``/proc/self/clear_refs``).

Targets (issue 21): <= 200 ms per call at 1,000,000 customers, memory growth < 50 MB.

    .venv/bin/python bench/merge_candidates.py --customers 1000000
    .venv/bin/python bench/merge_candidates.py --reuse --file /tmp/merge.sqlite3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from touchpoint.domain.blocking import DEFAULT_BLOCK_CAP, blocking_keys, spelled
from touchpoint.domain.customers import IdentityKind, normalise_identity
from touchpoint.domain.roles import Role
from touchpoint.services.base import Actor
from touchpoint.services.merge import search_merge_candidates
from touchpoint.storage import blocking
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.merge_models import CustomerBlockingKey
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import Customer, CustomerIdentity

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BATCH = 20_000
KEY_INDEX = "ix_customer_blocking_keys_key"

# Surnames roughly by frequency (the first few carry a large share, as in China).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志新亮林春梅海波宇"
    "浩然子轩欣怡梓涵诗雨嘉琪晨博文俊宏飞鑫瑞佳思源一凡泽天翔雪莉婷晓东立成永健金龙凤云琳丹慧颖倩晶蕾"
)
HOMOPHONE = {"伟": "玮", "明": "铭", "华": "骅", "丽": "莉", "静": "婧", "杰": "洁", "军": "君"}
LATIN = ("John", "Mary", "Anna", "David", "Peter", "Linda", "Grace", "Tom", "Lucy", "Mark")
LATIN_FAMILY = ("Smith", "Brown", "Miller", "Wilson", "Taylor", "Clark", "Lewis", "Young")


def _skewed(items: str, offset: int) -> tuple[str, list[float]]:
    """``items`` with cumulative weights ``1 / (rank + offset)``: a few common, many rare."""
    cum, total = [], 0.0
    for rank in range(len(items)):
        total += 1 / (rank + offset)
        cum.append(total)
    return items, cum


SURNAME_WEIGHTS = _skewed(SURNAMES, 3)  # the commonest about 9%, as 王 and 李 are
GIVEN_WEIGHTS = _skewed(GIVEN, 5)


def _draw(rng: random.Random, weighted: tuple[str, list[float]]) -> str:
    items, cum = weighted
    return rng.choices(items, cum_weights=cum)[0]


def _person(rng: random.Random) -> tuple[str, list[tuple[IdentityKind, str]]]:
    if rng.random() < 0.05:
        name = f"{rng.choice(LATIN)} {rng.choice(LATIN_FAMILY)}"
    else:
        given = "".join(_draw(rng, GIVEN_WEIGHTS) for _ in range(rng.choice((1, 2, 2))))
        name = _draw(rng, SURNAME_WEIGHTS) + given
        if rng.random() < 0.05:
            name = spelled(name).title()
    idents = [(IdentityKind.PHONE, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}")]
    if rng.random() < 0.33:
        local = spelled(name).replace(" ", ".") or "user"
        idents.append((IdentityKind.EMAIL, f"{local}{rng.randrange(10**4)}@example.cn"))
    return name, idents


def _duplicate(
    rng: random.Random, name: str, idents: list[tuple[IdentityKind, str]]
) -> tuple[str, list[tuple[IdentityKind, str]], str]:
    """Another record of the same person, as a second agent would type it, and its kind."""
    phone = idents[0][1]
    variant = rng.randrange(4)
    if variant == 0:
        phone_typed = [(IdentityKind.PHONE, f"+86 {phone[:3]}-{phone[3:]}")]
        return spelled(name).title(), phone_typed, "pinyin_phone_format"
    if variant == 1 and len(idents) > 1:
        local, _, domain = idents[1][1].partition("@")
        return name, [(IdentityKind.EMAIL, f"{local}+shop@{domain}")], "email_alias"
    if variant == 2:
        homophone = "".join(HOMOPHONE.get(ch, ch) for ch in name)
        return homophone, [(IdentityKind.PHONE, phone)], "homophone_same_phone"
    new_phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    return name, [(IdentityKind.PHONE, new_phone)], "new_phone_only"


Labelled = tuple[int, str, list[tuple[IdentityKind, str]], int, str]


def labelled_customers(n: int, seed: int) -> Iterator[Labelled]:
    """The seeded customers in order: id, name, raw identities, the id of the person's
    first record (the customer's own id for a first record) and how the record was
    made (``first`` or a duplicate kind)."""
    rng = random.Random(seed)
    recent: list[tuple[int, str, list[tuple[IdentityKind, str]]]] = []
    for cid in range(1, n + 1):
        if recent and rng.random() < 0.02:
            first, first_name, first_idents = rng.choice(recent)
            name, idents, kind = _duplicate(rng, first_name, first_idents)
            yield cid, name, idents, first, kind
            continue
        name, idents = _person(rng)
        if len(recent) < 5000:
            recent.append((cid, name, idents))
        else:
            recent[rng.randrange(5000)] = (cid, name, idents)
        yield cid, name, idents, cid, "first"


def customer_batches(
    n: int, seed: int
) -> Iterator[list[tuple[int, str, list[tuple[IdentityKind, str]]]]]:
    """``labelled_customers`` without the labels, ``BATCH`` at a time."""
    batch: list[tuple[int, str, list[tuple[IdentityKind, str]]]] = []
    for cid, name, idents, _first, _kind in labelled_customers(n, seed):
        batch.append((cid, name, idents))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(engine: Engine, customers: int, seed_value: int) -> None:
    """Bulk-load customers, identities and their blocking keys."""
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {KEY_INDEX}"))
    keys_written = 0
    for batch in customer_batches(customers, seed_value):
        rows, ident_rows, key_rows = [], [], []
        for cid, name, idents in batch:
            rows.append(
                {"id": cid, "name": name, "preferences": {}, "created_at": NOW, "updated_at": NOW}
            )
            normalised = [(k, normalise_identity(k, v)) for k, v in idents]
            ident_rows += [
                {"customer_id": cid, "kind": k.value, "value": v, "normalised": nv}
                for (k, v), (_, nv) in zip(idents, normalised, strict=True)
            ]
            key_rows += [{"customer_id": cid, "key": k} for k in blocking_keys(name, normalised)]
        with engine.begin() as conn:
            conn.execute(insert(Customer), rows)
            conn.execute(insert(CustomerIdentity), ident_rows)
            conn.execute(insert(CustomerBlockingKey), key_rows)
        keys_written += len(key_rows)
        done = batch[-1][0]
        if done % 200_000 < BATCH:
            took = time.perf_counter() - started
            print(f"  {done:,} customers, {keys_written:,} keys, {took:.0f} s", flush=True)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX {KEY_INDEX} ON customer_blocking_keys (key, customer_id)"))
        conn.execute(text("ANALYZE"))
    took = time.perf_counter() - started
    print(f"seeded {customers:,} customers, {keys_written:,} keys in {took:.0f} s", flush=True)


def seeded_database(args: argparse.Namespace, prefix: str) -> str:
    """The URL of ``--url``, or of ``--file`` (a new temporary file by default),
    migrated and seeded with ``--customers`` unless ``--reuse``."""
    path = args.file or Path(tempfile.mkdtemp(prefix=prefix)) / "desk.sqlite3"
    url: str = args.url or f"sqlite:///{path}"
    if not args.reuse:
        upgrade(url)
        engine = make_engine(url)
        try:
            seed(engine, args.customers, args.seed)
        finally:
            engine.dispose()
    return url


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _reset_peak() -> None:
    # Without it (an older kernel) the peak would include the warm-up: an overestimate.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _busiest_customer(session: Session, rng: random.Random, tries: int = 200) -> int:
    """Of ``tries`` random customers, the one whose blocks under the cap hold the most
    members: the most work one call can meet (the blocks it reads, as it reads them)."""
    best, best_size = 1, -1
    total = blocking.desk_size(session)
    for _ in range(tries):
        cid = rng.randrange(1, total + 1)
        size = 0
        for key in blocking.customer_keys(session, cid):
            members = blocking.block_members(session, key, cap=DEFAULT_BLOCK_CAP)
            size += len(members) if members is not None else 0
        if size > best_size:
            best, best_size = cid, size
    return best


def measure(url: str, samples: int, seed_value: int) -> dict[str, Any]:
    """Time ``samples`` random customers' candidates and the busiest one's."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    actor = Actor(user_id=None, username="bench", role=Role.SUPERVISOR)
    rng = random.Random(seed_value + 1)
    with factory() as s:
        total = blocking.desk_size(s)
        busiest = _busiest_customer(s, rng)
    targets = [rng.randrange(1, total + 1) for _ in range(samples)] + [busiest]
    with factory() as s:  # warm-up: imports, pinyin tables, connection, caches
        search_merge_candidates(s, actor, customer_id=rng.randrange(1, total + 1))
    before = _rss_mb()
    _reset_peak()
    times, found, skipped = [], [], []
    for cid in targets:
        with factory() as s:
            t = time.perf_counter()
            result = search_merge_candidates(s, actor, customer_id=cid, limit=50)
            times.append((time.perf_counter() - t) * 1000)
        found.append(len(result.candidates))
        skipped.append(result.skipped_blocks)
    engine.dispose()
    ordered = sorted(times[:-1])
    return {
        "customers": total,
        "samples": samples,
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
        "max_ms": max(ordered),
        "busiest_customer": busiest,
        "busiest_ms": times[-1],
        "busiest_candidates": found[-1],
        "mean_candidates": statistics.mean(found[:-1]),
        "mean_skipped_blocks": statistics.mean(skipped[:-1]),
        "rss_before_mb": before,
        "rss_growth_mb": _peak_mb() - before,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--url", help="database URL (default: a SQLite file, see --file)")
    ap.add_argument("--file", type=Path, help="SQLite file to seed or reuse")
    ap.add_argument("--reuse", action="store_true", help="measure an already seeded database")
    ap.add_argument("--measure-only", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.measure_only, args.samples, args.seed)))
        return
    url = seeded_database(args, "merge-bench-")
    cmd = [sys.executable, __file__, "--measure-only", url, "--samples", str(args.samples)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"database: {url}")
    print(f"customers: {r['customers']:,}")
    print(
        f"one customer's candidates ({r['samples']} random): median {r['median_ms']:.1f} ms,"
        f" p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms;"
        f" {r['mean_candidates']:.1f} candidates, {r['mean_skipped_blocks']:.1f} blocks skipped"
        " on average"
    )
    print(
        f"busiest of 200 random customers (#{r['busiest_customer']}): {r['busiest_ms']:.1f} ms,"
        f" {r['busiest_candidates']} candidates"
    )
    print(
        f"RSS before {r['rss_before_mb']:.0f} MB, growth over the calls {r['rss_growth_mb']:.1f} MB"
    )


if __name__ == "__main__":
    main()
