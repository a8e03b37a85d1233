"""Fragment search of customers on a desk of a million customers (issue 21, item 4).

Seeds a SQLite file (default) with ``--customers`` customers (default 1,000,000), and a
fresh schema of the PostgreSQL database at ``$TOUCHPOINT_TEST_PG_URL`` too when that is
set (``--no-postgresql`` skips it): Chinese names with a skewed surname and given-name
distribution (9 in 10; a few surnames carry a large share, as on a real desk), Latin
names for the rest, a mobile phone each, an e-mail for one in two, an electricity
account number for three in five. Rows go in by SQLAlchemy Core ``executemany`` in
batches, through revision 0006's search index as every write does: on SQLite the
triggers fill the FTS5 table row by row, on PostgreSQL the GIN indexes take each row.

Then it calls ``services.customer_search.search_customers`` (what ``GET
/api/customers?q=`` and the call screen call, limit 50) for exact, prefix and fragment
searches of a customer in the middle of the table, common fragments that match
hundreds of thousands of customers, and a fragment that matches none (no early stop),
once to warm up and ``--repeat`` times more, and prints the median and the slowest time
of each, per database, with the number of customers found (50 = the page was full).

Target (issue 21): <= 100 ms per search at 1,000,000 customers.

    .venv/bin/python bench/customer_search.py --customers 1000000
    TOUCHPOINT_TEST_PG_URL=postgresql+psycopg://u@127.0.0.1:5432/db \\
        .venv/bin/python bench/customer_search.py --file /tmp/search.sqlite3 --reuse
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text

from touchpoint.domain.customers import IdentityKind, normalise_identity
from touchpoint.domain.roles import Role
from touchpoint.services.base import Actor
from touchpoint.services.customer_search import search_customers
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import Customer, CustomerIdentity

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BATCH = 20_000
PG_ENV = "TOUCHPOINT_TEST_PG_URL"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩"
    "冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥"
    "玲芬燕彬鹏辉建国志新亮林春梅海波宇浩然子轩欣怡"
)
LATIN = ("John", "Mary", "Anna", "David", "Peter", "Linda", "Grace", "Tom", "Lucy", "Mark")
LATIN_FAMILY = ("Smith", "Brown", "Miller", "Wilson", "Taylor", "Clark", "Lewis", "Young")
MAIL_WORDS = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "sun", "zhou")
DOMAINS = ("qq.com", "163.com", "126.com", "example.cn", "sina.com")


def _cumulative(n: int, offset: int) -> list[float]:
    """Weights ``1 / (rank + offset)`` as cumulative sums: a few common, many rare."""
    out, total = [], 0.0
    for rank in range(n):
        total += 1 / (rank + offset)
        out.append(total)
    return out


SURNAME_CUM = _cumulative(len(SURNAMES), 3)
GIVEN_CUM = _cumulative(len(GIVEN), 5)


def _person(rng: random.Random, cid: int) -> tuple[str, list[tuple[IdentityKind, str]]]:
    """A customer's name and identities (values as an agent would have typed them)."""
    if rng.random() < 0.1:
        name = f"{rng.choice(LATIN)} {rng.choice(LATIN_FAMILY)}"
    else:
        given = rng.choices(GIVEN, cum_weights=GIVEN_CUM, k=rng.choice((1, 2, 2)))
        name = rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0] + "".join(given)
    idents = [(IdentityKind.PHONE, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}")]
    if rng.random() < 0.5:
        mail = f"{rng.choice(MAIL_WORDS)}.{rng.randrange(10**5)}@{rng.choice(DOMAINS)}"
        idents.append((IdentityKind.EMAIL, mail))
    if rng.random() < 0.6:
        idents.append((IdentityKind.ACCOUNT, f"31{cid:08d}"))
    return name, idents


def _batches(n: int, seed: int) -> Iterator[list[tuple[int, str, list[tuple[IdentityKind, str]]]]]:
    rng = random.Random(seed)
    batch = []
    for cid in range(1, n + 1):
        batch.append((cid, *_person(rng, cid)))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(engine: Engine, customers: int, seed_value: int) -> None:
    """Bulk-insert customers and identities; the search index follows as on any write."""
    started = time.perf_counter()
    for batch in _batches(customers, seed_value):
        rows, ident_rows = [], []
        for cid, name, idents in batch:
            rows.append(
                {"id": cid, "name": name, "preferences": {}, "created_at": NOW, "updated_at": NOW}
            )
            ident_rows += [
                {
                    "customer_id": cid,
                    "kind": k.value,
                    "value": v,
                    "normalised": normalise_identity(k, v),
                }
                for k, v in idents
            ]
        with engine.begin() as conn:
            conn.execute(insert(Customer), rows)
            conn.execute(insert(CustomerIdentity), ident_rows)
        done = batch[-1][0]
        if done % 200_000 < BATCH:
            print(f"  {done:,} customers, {time.perf_counter() - started:.0f} s", flush=True)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    took = time.perf_counter() - started
    print(f"seeded {customers:,} customers in {took:.0f} s ({customers / took:,.0f}/s)", flush=True)


@dataclass(frozen=True, slots=True)
class Search:
    """One timed search: what it shows, and the text typed."""

    label: str
    typed: str


def searches(engine: Engine) -> list[Search]:
    """Searches about the customer in the middle of the table, and common ones."""
    with engine.connect() as conn:
        middle = int(conn.scalar(select(func.max(Customer.id))) or 1) // 2
        rows = conn.execute(
            select(Customer.id, Customer.name, CustomerIdentity.kind, CustomerIdentity.normalised)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(Customer.id >= middle, Customer.name.not_like("% %"))
            .order_by(Customer.id)
            .limit(40)
        ).all()
    by_kind = {kind: (cid, name, value) for cid, name, kind, value in reversed(rows)}
    _cid, name, phone = by_kind["phone"]
    email = by_kind["email"][2]
    account = by_kind["account"][2]
    return [
        Search("phone, exact", phone),
        Search("phone, prefix (7 digits)", phone[:7]),
        Search("phone, fragment (8 digits)", phone[3:]),
        Search("phone, fragment typed 1234-5678", f"{phone[3:7]}-{phone[7:]}"),
        Search("phone, fragment (4 digits, common)", phone[-4:]),
        Search("e-mail, exact", email),
        Search("e-mail, fragment", email[2:10]),
        Search("e-mail, fragment (common: domain)", "163.com"),
        Search("account, exact", account),
        Search("account, fragment (6 digits)", account[-6:]),
        Search("name, exact (Chinese)", name),
        Search("name, prefix (1 character, common)", name[0]),
        Search("name, end (2 characters)", name[-2:] if len(name) >= 3 else name),
        Search("name, fragment (Latin)", "ohn Smi"),
        Search("no match (10 digits)", "2000000002"),
        Search("no match (name, 3 characters)", "龘龘龘"),
    ]


def measure(engine: Engine, plan: list[Search], repeat: int) -> dict[str, tuple[float, float, int]]:
    """label -> (median ms, max ms, customers found) over ``repeat`` warm runs."""
    factory = make_session_factory(engine)
    agent = Actor(user_id=None, username="bench", role=Role.AGENT)
    out = {}
    for s in plan:
        with factory() as session:
            found = len(search_customers(session, agent, q=s.typed, limit=50))  # warm-up
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                search_customers(session, agent, q=s.typed, limit=50)
                times.append((time.perf_counter() - t) * 1000)
        out[s.label] = (statistics.median(times), max(times), found)
    return out


def _postgresql_url(base: str, schema: str, reuse: bool) -> tuple[str, bool]:
    """A URL whose search_path is ``schema`` and whether it must be seeded."""
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            )
            if exists and not reuse:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            if not exists or not reuse:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", not (exists and reuse)


def run(
    url: str, *, seed_it: bool, customers: int, seed_value: int, repeat: int
) -> dict[str, tuple[float, float, int]]:
    """Migrate and seed ``url`` (when asked), then time the searches."""
    if seed_it:
        upgrade(url)
    engine = make_engine(url)
    try:
        if seed_it:
            seed(engine, customers, seed_value)
        plan = searches(engine)
        for s in plan:
            print(f"  {s.label}: {s.typed!r}", flush=True)
        return measure(engine, plan, repeat)
    finally:
        engine.dispose()


def print_table(results: dict[str, dict[str, tuple[float, float, int]]], customers: int) -> None:
    """One row per search, a column (median / max ms, found) per database."""
    names = list(results)
    head = f"{'search (limit 50)':<38}" + "".join(
        f"{n + ' median/max ms (found)':>36}" for n in names
    )
    print(f"\n{customers:,} customers")
    print(head)
    print("-" * len(head))
    for label in next(iter(results.values())):
        cells = ""
        for n in names:
            med, worst, found = results[n][label]
            cells += f"{f'{med:.1f} / {worst:.1f}  ({found})':>36}"
        print(f"{label:<38}{cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7, help="timed runs per search (median)")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--file", type=Path, help="SQLite file to seed or reuse")
    ap.add_argument("--reuse", action="store_true", help="measure already seeded databases")
    ap.add_argument("--no-postgresql", action="store_true", help=f"ignore ${PG_ENV}")
    args = ap.parse_args()
    path = args.file or Path(tempfile.mkdtemp(prefix="search-bench-")) / "desk.sqlite3"
    if path.exists() and not args.reuse:
        raise SystemExit(f"{path} exists: pass --reuse to measure it, or another --file")
    targets = {"sqlite": (f"sqlite:///{path}", not args.reuse)}
    pg_base = os.environ.get(PG_ENV)
    if pg_base and not args.no_postgresql:
        schema = f"bench_customer_search_{args.customers}"
        targets["postgresql"] = _postgresql_url(pg_base, schema, args.reuse)
    results = {}
    for name, (url, seed_it) in targets.items():
        print(f"{name}: {url}", flush=True)
        results[name] = run(
            url,
            seed_it=seed_it,
            customers=args.customers,
            seed_value=args.seed,
            repeat=args.repeat,
        )
    print_table(results, args.customers)


if __name__ == "__main__":
    main()
