"""The desk's merge candidates side by side with Splink on DuckDB (issue 21, item 3):
time, peak memory, precision and recall over the same customers.

Two sets of customers, each with its labels (which records are one person):

``--set quality``
    ``bench/merge_quality.py``'s labelled synthetic desk (``--customers``, default
    20,000, seed 21): the desk's rule is ``domain.merge.search_candidates`` in memory.
``--set desk --file F``
    A SQLite desk seeded by ``bench/merge_candidates.py`` (1,000,000 customers, seed
    21); its labels are the seeder's own (``labelled_customers``). The desk's rule is
    the background refresh (``services.merge_refresh``) over the stored blocking keys;
    its pairs are read back from the stored list.

Splink (``splink`` of the ``bench`` dependency group, imported only here) gets the
same customers as one row each: the normalised name (term-frequency adjusted), its
spelling without spaces as sorted letters (one for 張偉 / 张伟 / Zhang Wei / Wei
Zhang) and written (for Jaro–Winkler), the phones and their 7-digit tails (arrays), the
e-mail's mailbox, the account. Its model: the name compared exact / same spelling /
Jaro–Winkler >= 0.92 / >= 0.8 / else, phones by array intersection, mailbox and
account exact; pairs from the same identity blocks the desk pairs at threshold 88
(phone, phone tail, mailbox, account); ``u`` by random sampling (10 million pairs), the
prior from deterministic rules (same first phone, same mailbox) at recall 0.8, ``m`` by
EM on pairs blocked by the first phone, by mailbox, and by name and the phone's first
three digits (training rules cannot explode arrays); candidates at match probability
>= 0.88.

Each engine runs in a fresh process (its peak RSS is its own); the preparation of
Splink's input table from the customers (names spelled in Python) is timed apart.

    .venv/bin/uv run --group bench python -m bench.merge_splink --set quality
    .venv/bin/uv run --group bench python -m bench.merge_splink --set desk \\
        --file /tmp/mr1m/desk.sqlite3
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from touchpoint.domain.blocking import PHONE_TAIL_DIGITS, mailbox
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.match_weights import name_forms
from touchpoint.domain.merge import CustomerProfile

Pair = tuple[int, int]
THRESHOLD = 0.88


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (Linux
    keeps ``ru_maxrss`` across exec, so a child would inherit its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quality_set(customers: int, seed: int) -> tuple[list[CustomerProfile], list[int], list[str]]:
    """``bench/merge_quality.py``'s desk: profiles, each record's person, each's kind."""
    from bench import merge_quality

    records = merge_quality.generate(customers, seed)
    return merge_quality.profiles(records), [r.person for r in records], [r.kind for r in records]


def desk_profiles(path: Path) -> list[CustomerProfile]:
    """Every live customer of a SQLite desk file, read once."""
    conn = sqlite3.connect(path)
    idents: dict[int, set[tuple[IdentityKind, str]]] = defaultdict(set)
    for cid, kind, norm in conn.execute(
        "SELECT customer_id, kind, normalised FROM customer_identities"
    ):
        idents[cid].add((IdentityKind(kind), norm))
    rows = conn.execute("SELECT id, name FROM customers WHERE merged_into_id IS NULL ORDER BY id")
    out = [CustomerProfile(cid, name, frozenset(idents.get(cid, ()))) for cid, name in rows]
    conn.close()
    return out


def desk_labels(customers: int, seed: int) -> tuple[list[int], list[str]]:
    """Each seeded customer's person (its first record's id) and kind."""
    from bench.merge_candidates import labelled_customers

    people, kinds = [], []
    for _cid, _name, _idents, first, kind in labelled_customers(customers, seed):
        people.append(first)
        kinds.append(kind)
    return people, kinds


def splink_rows(profiles: Iterable[CustomerProfile]) -> dict[str, list[Any]]:
    """Splink's input table, column by column."""
    cols: dict[str, list[Any]] = defaultdict(list)
    for p in profiles:
        forms = name_forms(p.name)
        compact = forms.compact[0] if forms.compact else None
        phones = sorted(v for k, v in p.identities if k is IdentityKind.PHONE)
        mails = sorted(mailbox(v) for k, v in p.identities if k is IdentityKind.EMAIL)
        accounts = sorted(v for k, v in p.identities if k is IdentityKind.ACCOUNT)
        cols["unique_id"].append(p.id)
        cols["name"].append(forms.exact_key.removeprefix("tok:") or None)
        cols["spelling"].append("".join(sorted(compact)) if compact else None)
        cols["written"].append(compact)
        cols["phones"].append(phones or None)
        cols["phone1"].append(phones[0] if phones else None)
        tails = sorted({v[-PHONE_TAIL_DIGITS:] for v in phones if len(v) >= PHONE_TAIL_DIGITS})
        cols["tails"].append(tails or None)
        cols["mailbox"].append(mails[0] if mails else None)
        cols["account"].append(accounts[0] if accounts else None)
    return cols


def _settings(splink: Any) -> Any:
    cl = importlib.import_module("splink.comparison_library")
    cll = importlib.import_module("splink.comparison_level_library")
    block_on = splink.block_on
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("spelling", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("written", 0.92),
            cll.JaroWinklerLevel("written", 0.8),
            cll.ElseLevel(),
        ],
    )
    return splink.SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            name,
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ExactMatch("mailbox"),
            cl.ExactMatch("account"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("phones", arrays_to_explode=["phones"]),
            block_on("tails", arrays_to_explode=["tails"]),
            block_on("mailbox"),
            block_on("account"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink(rows_file: Path, out: Path) -> dict[str, float]:
    """Train and predict with Splink on DuckDB in this process; writes the pairs."""
    pq = importlib.import_module("pyarrow.parquet")
    splink = importlib.import_module("splink")
    start = time.perf_counter()
    db_api = splink.DuckDBAPI()
    table = db_api.register(pq.read_table(rows_file), table_name="customers")
    linker = splink.Linker(table, _settings(splink), log_level=None)
    block_on = splink.block_on
    # Training rules cannot explode arrays: the first phone stands for them.
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone1"), block_on("mailbox")], recall=0.8
    )
    # 10 million random pairs: fewer never see two customers share a phone.
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone1"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("mailbox"))
    # Phones are left free by a name block; the phone prefix keeps its pairs few.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name", "substr(phone1, 1, 3)")
    )
    trained = time.perf_counter()
    found = linker.inference.predict(threshold_match_probability=THRESHOLD)
    pairs = found.as_duckdbpyrelation().select("unique_id_l, unique_id_r").fetchall()
    done = time.perf_counter()
    out.write_text(json.dumps([[min(a, b), max(a, b)] for a, b in pairs]))
    return {"train_s": trained - start, "predict_s": done - trained, "peak_mb": _peak_mb()}


def run_desk_quality(customers: int, seed: int, out: Path) -> dict[str, float]:
    """The desk's rule in memory on the quality set, in this process."""
    from touchpoint.domain.merge import search_candidates

    profiles, _, _ = quality_set(customers, seed)
    start = time.perf_counter()
    found = search_candidates(profiles).candidates
    seconds = time.perf_counter() - start
    out.write_text(json.dumps([[m.a_id, m.b_id] for m in found]))
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def run_desk_refresh(path: Path, out: Path) -> dict[str, float]:
    """The background refresh over a stored desk, in this process; its stored pairs."""
    from bench.merge_candidates import NOW
    from touchpoint.services.merge_refresh import refresh_merge_candidates
    from touchpoint.storage.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as session:
        start = time.perf_counter()
        refresh_merge_candidates(session, NOW)
        seconds = time.perf_counter() - start
    engine.dispose()
    conn = sqlite3.connect(path)
    pairs = conn.execute("SELECT survivor_id, merged_id FROM merge_candidates").fetchall()
    conn.close()
    out.write_text(json.dumps(pairs))
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def write_rows(profiles: list[CustomerProfile], path: Path) -> float:
    """Splink's input table as Parquet; returns the seconds it took."""
    pa = importlib.import_module("pyarrow")
    pq = importlib.import_module("pyarrow.parquet")
    start = time.perf_counter()
    pq.write_table(pa.table(splink_rows(profiles)), path)
    return time.perf_counter() - start


FIRST = frozenset({"original", "first"})
#: Planted kinds no rule can find: the seeder's same name with only a new phone is, to
#: anyone, two people of one name. Recall is also given without them.
UNDETECTABLE = frozenset({"new_phone_only"})


def quality_of(
    found: Iterable[Pair], people: list[int], kinds: list[str]
) -> tuple[dict[str, float], Counter[str], Counter[str]]:
    """Precision over the pairs found (one person's records are true), recall over the
    planted pairs (a later record with its person's first record), and the planted
    and missed pairs by kind."""
    found = set(found)
    firsts = {people[i]: i + 1 for i, k in enumerate(kinds) if k in FIRST}
    planted = {
        (firsts[people[i]], i + 1): kinds[i]
        for i, k in enumerate(kinds)
        if k not in FIRST and people[i] in firsts
    }
    true = sum(people[a - 1] == people[b - 1] for a, b in found)
    hits = sum(pair in found for pair in planted)
    by_kind = Counter(planted.values())
    missed = Counter(kind for pair, kind in planted.items() if pair not in found)
    detectable = [pair for pair, kind in planted.items() if kind not in UNDETECTABLE]
    rates = {
        "recall_detectable": (
            sum(pair in found for pair in detectable) / len(detectable) if detectable else 1.0
        ),
        "found": len(found),
        "true": true,
        "planted": len(planted),
        "planted_found": hits,
        "precision": true / len(found) if found else 1.0,
        "recall": hits / len(planted) if planted else 1.0,
    }
    return rates, by_kind, missed


def _child(args: list[str]) -> dict[str, float]:
    cmd = [sys.executable, "-m", "bench.merge_splink", *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--set", choices=("quality", "desk"), default="quality")
    ap.add_argument("--customers", type=int, default=20_000, help="quality set size")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--file", type=Path, help="the seeded SQLite desk (--set desk)")
    ap.add_argument("--run", choices=("splink", "desk-quality", "desk-refresh"))
    ap.add_argument("--rows", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run == "splink":
        print(json.dumps(run_splink(args.rows, args.out)))
        return
    if args.run == "desk-quality":
        print(json.dumps(run_desk_quality(args.customers, args.seed, args.out)))
        return
    if args.run == "desk-refresh":
        print(json.dumps(run_desk_refresh(args.file, args.out)))
        return
    compare(args)


def compare(args: argparse.Namespace) -> None:
    """Both engines on one set, in fresh processes; prints the tables."""
    work = Path(tempfile.mkdtemp(prefix="merge-splink-"))
    rows, desk_out, splink_out = work / "rows.parquet", work / "desk.json", work / "splink.json"
    start = time.perf_counter()
    if args.set == "quality":
        profiles, people, kinds = quality_set(args.customers, args.seed)
        desk_args = ["--run", "desk-quality", "--customers", str(args.customers)]
        desk_args += ["--seed", str(args.seed), "--out", str(desk_out)]
    else:
        profiles = desk_profiles(args.file)
        people, kinds = desk_labels(len(profiles), args.seed)
        desk_args = ["--run", "desk-refresh", "--file", str(args.file), "--out", str(desk_out)]
    read = time.perf_counter() - start
    prep = write_rows(profiles, rows)
    idents = {p.id: p.identities for p in profiles}
    del profiles
    desk = _child(desk_args)
    spl = _child(["--run", "splink", "--rows", str(rows), "--out", str(splink_out)])
    print(f"{len(people):,} customers ({args.set}, seed {args.seed}); read in {read:.1f} s,")
    print(f"Splink's input table (names spelled in Python) written in {prep:.1f} s\n")
    print(
        "| engine | time | peak RSS | pairs found | true | precision | recall "
        "| recall, detectable kinds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    tables = {}
    false_shared: dict[str, Counter[str]] = {}
    for label, stats, out in (
        ("the desk (match weights, score >= 88)", desk, desk_out),
        ("Splink 5 on DuckDB (probability >= 0.88)", spl, splink_out),
    ):
        found = [(int(a), int(b)) for a, b in json.loads(out.read_text())]
        rates, by_kind, missed = quality_of(found, people, kinds)
        tables[label] = (by_kind, missed)
        false_shared[label] = _false_sharing(found, people, idents)
        seconds = stats.get("seconds", stats.get("train_s", 0) + stats.get("predict_s", 0))
        detail = (
            f" (train {stats['train_s']:.1f} + predict {stats['predict_s']:.1f})"
            if "train_s" in stats
            else ""
        )
        print(
            f"| {label} | {seconds:.1f} s{detail} | {stats['peak_mb']:.0f} MB "
            f"| {rates['found']:,} | {rates['true']:,} | {rates['precision']:.3f} "
            f"| {rates['recall']:.3f} | {rates['recall_detectable']:.3f} |"
        )
    print(
        "\n| planted kind | planted | "
        + " | ".join(f"missed by {k.split(' (')[0]}" for k in tables)
        + " |"
    )
    print("|---|---:|" + "---:|" * len(tables))
    by_kind = next(iter(tables.values()))[0]
    for kind, count in sorted(by_kind.items()):
        missed_cols = " | ".join(str(m[kind]) for _, m in tables.values())
        print(f"| {kind} | {count:,} | {missed_cols} |")

    print("\n| false pairs: identity the two people share | " + " | ".join(tables) + " |")
    print("|---|" + "---:|" * len(tables))
    kinds_seen = sorted({k for c in false_shared.values() for k in c})
    for kind in kinds_seen:
        print(f"| {kind} | " + " | ".join(str(c[kind]) for c in false_shared.values()) + " |")


def _false_sharing(
    found: list[Pair],
    people: list[int],
    idents: dict[int, frozenset[tuple[IdentityKind, str]]],
) -> Counter[str]:
    """False pairs by the kinds of identity value the two different people share
    (``none`` when they share none)."""
    out: Counter[str] = Counter()
    for a, b in found:
        if people[a - 1] != people[b - 1]:
            shared = sorted(
                {k.value for k, _ in idents.get(a, frozenset()) & idents.get(b, frozenset())}
            )
            out["+".join(shared) or "none"] += 1
    return out


if __name__ == "__main__":
    main()
