"""Precision and recall of merge candidates on a labelled synthetic desk (issue 21,
item 3).

Generates ``--customers`` customers (default 20,000) of known people, with a fixed
seed: Chinese names drawn with a skewed surname and given-name distribution (the same
tables as ``bench/merge_candidates.py``, so that common names such as 王伟 recur among
different people, as on a real desk), Latin names, mobile phones, some landlines,
e-mails and account numbers. Into it are planted:

* duplicates, second records of one person as another agent would type them, each made
  from a contact and so carrying the caller's phone (as typed or in another format) or
  e-mail: a typo (one letter; one wrong hanzi in a name of three or more), a homophone
  hanzi, simplified/traditional characters, pinyin for hanzi (either name order, with
  or without a space), swapped family and given names, another phone format (+86,
  dashes, spaces), only the household landline the first record also has, an e-mail
  alias (``+tag``, Gmail dots) with the name or its pinyin;
* look-alikes that are different people: the same common name, a homophone name
  (张伟/张玮), a close Latin name (Catherine Miller/Mills), family members sharing a
  phone or landline.

Not planted, as undetectable by design: a second record with a name alone (no
identity: a common name cannot be told from another person's, and even a rare one
stays under an even chance, ``match_weights.name_only_ceiling``), a new phone with the
same name (that is two people of one name), a wrong hanzi in a two-hanzi name (another
given name: with a shared phone, that is the family look-alike).

Every pair the desk's rules return (``domain.merge.search_candidates``: blocking keys,
then ``score_pair``'s match weights at the default threshold 88) is checked against the
labels: precision = pairs of one person found / pairs found; recall = planted pairs (a
later record and the first record it duplicates) found / planted pairs. Two later
records of one person are listed apart: merged into the first, they are merged with
each other. A table per kind of planted pair (found or missed) and per kind of false
pair follows.

    .venv/bin/python -m bench.merge_quality
    .venv/bin/python -m bench.merge_quality --customers 20000 --seed 7 --threshold 88
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench.merge_candidates import GIVEN_WEIGHTS, HOMOPHONE, SURNAME_WEIGHTS
from touchpoint.domain.blocking import spelled
from touchpoint.domain.customers import Identity, IdentityKind
from touchpoint.domain.merge import CustomerProfile, MergeCandidate, search_candidates

PHONE, EMAIL, ACCOUNT = IdentityKind.PHONE, IdentityKind.EMAIL, IdentityKind.ACCOUNT
Idents = list[tuple[IdentityKind, str]]

# Simplified → traditional for the tables' characters that differ (OpenCC's mapping).
TRADITIONAL = dict(
    zip(
        "张刘陈杨黄赵吴孙马郭罗郑谢许韩冯邓萧叶苏吕卢姜钟谭陆汪贾韦邹闫雷龙贺顾龚钱严"
        "伟秀丽强军艳杰娟涛兰华玉红娥玲凤辉国亮梅波浩轩涵诗嘉琪晨博俊宏飞鑫瑞佳泽"
        "翔晓东成健龙云颖蕾丹倩",
        "張劉陳楊黃趙吳孫馬郭羅鄭謝許韓馮鄧蕭葉蘇呂盧姜鍾譚陸汪賈韋鄒閆雷龍賀顧龔錢嚴"
        "偉秀麗強軍艷傑娟濤蘭華玉紅娥玲鳳輝國亮梅波浩軒涵詩嘉琪晨博俊宏飛鑫瑞佳澤"
        "翔曉東成健龍雲穎蕾丹倩",
        strict=True,
    )
)
LATIN_GIVEN = (
    "John",
    "Mary",
    "Anna",
    "David",
    "Peter",
    "Linda",
    "Grace",
    "Thomas",
    "Lucy",
    "Mark",
    "Catherine",
    "Robert",
    "Susan",
    "Michael",
    "Karen",
    "Daniel",
    "Laura",
    "Steven",
    "Emily",
    "Andrew",
    "Olivia",
    "James",
    "Sophie",
    "Henry",
    "Claire",
)
LATIN_FAMILY = (
    "Smith",
    "Brown",
    "Miller",
    "Wilson",
    "Taylor",
    "Clark",
    "Lewis",
    "Young",
    "Walker",
    "Harris",
    "Martin",
    "Thompson",
    "Robinson",
    "Wright",
    "Hughes",
    "Edwards",
    "Turner",
    "Parker",
    "Collins",
    "Morgan",
    "Bennett",
    "Fischer",
    "Berg",
)
DOMAINS = ("example.cn", "163.com", "qq.com", "gmail.com", "example.com")


@dataclass
class Record:
    """One customer: the person it is, its name and raw identities."""

    person: int
    name: str
    idents: Idents
    kind: str = "original"  # how it was made: original, a duplicate kind, a look-alike


def _draw(rng: random.Random, weighted: tuple[str, list[float]]) -> str:
    items, cum = weighted
    return rng.choices(items, cum_weights=cum)[0]


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _person(rng: random.Random, pid: int) -> Record:
    """A person as first recorded: a Chinese name (85%) or a Latin one, a mobile (90%),
    a household landline (15%), an e-mail (35%), an account number (20%)."""
    if rng.random() < 0.15:
        name = f"{rng.choice(LATIN_GIVEN)} {rng.choice(LATIN_FAMILY)}"
    else:
        given = "".join(_draw(rng, GIVEN_WEIGHTS) for _ in range(rng.choice((1, 2, 2))))
        name = _draw(rng, SURNAME_WEIGHTS) + given
    idents: Idents = []
    if rng.random() < 0.9:
        idents.append((PHONE, _mobile(rng)))
    if rng.random() < 0.15:
        idents.append((PHONE, f"0{rng.randrange(10, 99)}-{rng.randrange(10**7, 10**8)}"))
    if rng.random() < 0.35:
        local = spelled(name).replace(" ", rng.choice((".", "", "_"))) or "user"
        idents.append((EMAIL, f"{local}{rng.randrange(1000)}@{rng.choice(DOMAINS)}"))
    if rng.random() < 0.2:
        idents.append((ACCOUNT, f"ACC-{rng.randrange(10**8):08d}"))
    return Record(pid, name, idents)


def _of(idents: Idents, kind: IdentityKind) -> list[str]:
    return [v for k, v in idents if k is kind]


def _typo(rng: random.Random, name: str) -> str:
    """One wrong letter (Latin) or one wrong given-name character (hanzi)."""
    if name.isascii():
        i = rng.randrange(1, len(name))
        if name[i] == " ":
            i -= 1
        return name[:i] + rng.choice("aeiounrst") + name[i + 1 :]
    i = rng.randrange(1, len(name))
    return name[:i] + _draw(rng, GIVEN_WEIGHTS) + name[i + 1 :]


def _pinyin(rng: random.Random, name: str) -> str:
    syllables = spelled(name).split()
    family, given = syllables[0].title(), "".join(syllables[1:])
    return rng.choice((f"{family} {given.title()}", f"{given.title()} {family}", family + given))


def _reformat(phone: str) -> str:
    if phone.startswith("1") and len(phone) == 11:
        return f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
    return phone.replace("-", " ")


def _alias(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    if domain == "gmail.com" and len(local) > 3:
        return f"{local[:2]}.{local[2:]}@googlemail.com"
    return f"{local}+{rng.choice(('shop', 'news', 'vip'))}@{domain}"


def _duplicate(rng: random.Random, rec: Record) -> Record | None:
    """A second record of ``rec``'s person, of a kind drawn at random; None if the
    drawn kind does not fit the person (no landline for the household kind...)."""
    phones, emails = _of(rec.idents, PHONE), _of(rec.idents, EMAIL)
    hanzi = not rec.name.isascii()
    # A desk record is made from a contact: it carries the caller's phone (as typed,
    # or in another format) or, without one, the person's e-mail.
    if phones:
        some: Idents = [(PHONE, rng.choice((phones[0], _reformat(phones[0]))))]
    elif emails:
        some = [(EMAIL, emails[0])]
    else:
        return None
    kind = rng.choice(
        (
            "typo",
            "homophone",
            "traditional",
            "pinyin",
            "swapped",
            "phone_format",
            "household_phone",
            "email_alias",
        )
    )
    # A wrong hanzi in a two-hanzi name is another given name: with the phone shared,
    # that is the family look-alike below, undetectable by design, so not planted.
    if kind == "typo" and (not hanzi or len(rec.name) >= 3):
        return Record(rec.person, _typo(rng, rec.name), some, kind)
    if kind == "homophone" and hanzi and any(ch in HOMOPHONE for ch in rec.name):
        name = "".join(HOMOPHONE.get(ch, ch) for ch in rec.name)
        return Record(rec.person, name, some, kind)
    if kind == "traditional" and hanzi and any(ch in TRADITIONAL for ch in rec.name):
        name = "".join(TRADITIONAL.get(ch, ch) for ch in rec.name)
        return Record(rec.person, name, some, kind)
    if kind == "pinyin" and hanzi:
        return Record(rec.person, _pinyin(rng, rec.name), some, kind)
    if kind == "swapped" and not hanzi and " " in rec.name:
        given, family = rec.name.split(" ", 1)
        return Record(
            rec.person, rng.choice((f"{family} {given}", f"{family}, {given}")), some, kind
        )
    if kind == "phone_format" and phones:
        return Record(rec.person, rec.name, [(PHONE, _reformat(phones[0]))], kind)
    landlines = [p for p in phones if p.startswith("0")]
    if kind == "household_phone" and landlines:
        return Record(rec.person, rec.name, [(PHONE, _reformat(landlines[0]))], kind)
    if kind == "email_alias" and emails:
        name = _pinyin(rng, rec.name) if hanzi and rng.random() < 0.5 else rec.name
        return Record(rec.person, name, [(EMAIL, _alias(rng, emails[0]))], kind)
    return None


def _lookalike(rng: random.Random, rec: Record, pid: int) -> Record | None:
    """A different person who looks like ``rec``'s."""
    phones = _of(rec.idents, PHONE)
    kind = rng.choice(("family_phone", "homophone_name", "close_latin_name"))
    if kind == "family_phone" and phones:
        if rec.name.isascii():
            name = f"{rng.choice(LATIN_GIVEN)} {rec.name.split()[-1]}"
        else:
            name = rec.name[0] + "".join(_draw(rng, GIVEN_WEIGHTS) for _ in range(2))
        return Record(pid, name, [(PHONE, rng.choice(phones))], "lookalike_family_phone")
    if kind == "homophone_name" and any(ch in HOMOPHONE for ch in rec.name):
        name = "".join(HOMOPHONE.get(ch, ch) for ch in rec.name)
        return Record(pid, name, [(PHONE, _mobile(rng))], "lookalike_homophone")
    if kind == "close_latin_name" and rec.name.isascii():
        name = _typo(rng, rec.name)
        return Record(pid, name, [(PHONE, _mobile(rng))], "lookalike_close_name")
    return None


def generate(
    n: int, seed: int, *, dup_share: float = 0.1, lookalike_share: float = 0.05
) -> list[Record]:
    """``n`` records: people, planted duplicates (about ``dup_share``) and look-alikes
    (about ``lookalike_share``) of earlier people."""
    rng = random.Random(seed)
    records: list[Record] = []
    # Duplicates and look-alikes are made of first records only, so that each planted
    # pair has one kind.
    originals: list[Record] = []
    pid = 0
    while len(records) < n:
        roll = rng.random()
        made: Record | None = None
        if originals and roll < dup_share:
            made = _duplicate(rng, rng.choice(originals))
        elif originals and roll < dup_share + lookalike_share:
            pid += 1
            made = _lookalike(rng, rng.choice(originals), pid)
        if made is None:
            pid += 1
            made = _person(rng, pid)
            originals.append(made)
        records.append(made)
    return records


def profiles(records: list[Record]) -> list[CustomerProfile]:
    """The records as the desk sees them: ids 1…, identities normalised."""
    return [
        CustomerProfile(
            i, r.name, frozenset((k, Identity.of(k, v).normalised) for k, v in r.idents)
        )
        for i, r in enumerate(records, start=1)
    ]


def true_pairs(records: list[Record]) -> set[tuple[int, int]]:
    """Pairs of record ids of one person."""
    by_person: dict[int, list[int]] = {}
    for i, r in enumerate(records, start=1):
        by_person.setdefault(r.person, []).append(i)
    return {(a, b) for ids in by_person.values() for i, a in enumerate(ids) for b in ids[i + 1 :]}


@dataclass(frozen=True)
class Quality:
    """Counts and rates of one run."""

    found: int
    true_found: int
    planted: int
    planted_found: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.true_found / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.planted_found / self.planted if self.planted else 1.0


Search = Callable[[list[CustomerProfile]], list[MergeCandidate]]


def measure(records: list[Record], search: Search) -> tuple[Quality, Counter[str], Counter[str]]:
    """Quality of ``search`` on ``records``: precision over every pair found (a pair of
    one person's records is true), recall over the planted pairs (a later record with
    the first record it duplicates); with missed pairs by kind (two later records of one
    person included, outside the recall: merged into the first, they are merged with
    each other) and false pairs by the kinds of their two records."""
    truth = true_pairs(records)
    planted = {(a, b) for a, b in truth if records[a - 1].kind == "original"}
    start = time.perf_counter()
    found = {(m.a_id, m.b_id) for m in search(profiles(records))}
    seconds = time.perf_counter() - start
    missed = Counter(_pair_kind(records, a, b) for a, b in truth - found)
    false = Counter(_pair_kind(records, a, b) for a, b in found - truth)
    quality = Quality(len(found), len(found & truth), len(planted), len(found & planted), seconds)
    return quality, missed, false


def _pair_kind(records: list[Record], a: int, b: int) -> str:
    kinds = [k for k in (records[a - 1].kind, records[b - 1].kind) if k != "original"]
    if not kinds:
        return "two first records"
    if len(kinds) > 1:
        return "two later records"
    return kinds[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--threshold", type=float, default=88.0)
    args = parser.parse_args()
    records = generate(args.customers, args.seed)
    truth = true_pairs(records)
    planted = Counter(_pair_kind(records, a, b) for a, b in truth)

    def search(ps: list[CustomerProfile]) -> list[MergeCandidate]:
        return search_candidates(ps, name_threshold=args.threshold).candidates

    quality, missed, false = measure(records, search)
    print(f"{args.customers} customers, seed {args.seed}, threshold {args.threshold:g}")
    print(
        "| rule | pairs found | true found | planted | planted found | precision | recall "
        "| seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    q = quality
    print(
        f"| the desk's (match weights, score >= {args.threshold:g}) | {q.found} "
        f"| {q.true_found} | {q.planted} | {q.planted_found} | {q.precision:.3f} "
        f"| {q.recall:.3f} | {q.seconds:.1f} |"
    )
    print("\nThe desk's rule, by kind of pair:")
    print("\n| planted duplicate kind | planted | missed | recall |")
    print("|---|---:|---:|---:|")
    for kind, count in sorted(planted.items()):
        print(f"| {kind} | {count} | {missed[kind]} | {1 - missed[kind] / count:.3f} |")
    print("\n| false pair (kinds of its records) | pairs |")
    print("|---|---:|")
    for kind, count in false.most_common():
        print(f"| {kind} | {count} |")


if __name__ == "__main__":
    main()
