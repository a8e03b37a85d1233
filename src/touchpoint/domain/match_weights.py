"""Fellegi–Sunter match weights of a pair of customers (客户合并).

Each comparison of two customers (their names; their phones, e-mails, account numbers
and social ids) falls into one *level*, and each level carries a weight
``log2(m / u)``: ``m`` the share of true duplicate pairs at that level, ``u`` the share
of pairs of different people. The weights add up to the pair's *match weight*, which,
with the prior odds that two customers of the desk are one person, gives the match
probability. This is the model of Splink and of the record-linkage literature.

.. math::

    w = \\log_2 \\frac{\\lambda}{1-\\lambda} + \\sum_k \\log_2 \\frac{m_k}{u_k},
    \\qquad P(\\text{match}) = \\frac{2^w}{1 + 2^w}

Three things make it tell a family from one person, and one 王伟 from another:

* **Term frequency.** Two customers both called 王伟 agree on a name a large part of
  the desk shares: ``u`` of an exact (or same-spelling) name is the share of customers
  with that name, counted from the name-key blocks (``domain.blocking``), so a common
  name is weak evidence and a rare one strong.
* **Conflicts.** Both customers have phones and none is shared: that is evidence
  *against* (a negative weight), where a missing phone is none either way (0).
* **The prior.** With ``n`` customers of whom about ``DUPLICATE_SHARE`` are second
  records, two customers taken at random are one person with probability about
  ``2 · DUPLICATE_SHARE / n``. Agreeing on a phone (``u`` about ``1 / n``) or on a name
  (``u`` = its count over ``n``) scales with ``n`` the same way, so the scores mean the
  same on a desk of ten thousand or ten million.

A consequence used by the refresh: a pair sharing no identity cannot reach even an
even chance (``name_only_ceiling``), so only identity blocks need pairing there.

References
----------
Fellegi, I. P., & Sunter, A. B. (1969). A theory for record linkage. *Journal of the
American Statistical Association*, 64(328), 1183–1210. doi:10.1080/01621459.1969.10501049

Splink: probabilistic record linkage, UK Ministry of Justice,
https://moj-analytical-services.github.io/splink/ (term-frequency adjustments, match
weights).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz

# The name keys are the blocking keys: a name's count on the desk is its block's size.
from touchpoint.domain.blocking import (
    PHONE_TAIL_DIGITS,
    compact_spellings,
    exact_name_key,
    mailbox,
    spelled,
    spelling_keys,
)
from touchpoint.domain.customers import IdentityKind, normalise_name

__all__ = [
    "CLOSE_NAME",
    "DUPLICATE_SHARE",
    "IDENTITY_KEY_PREFIXES",
    "IDENTITY_MU",
    "MIN_DESK_SIZE",
    "NAME_COUNT_PREFIXES",
    "NAME_MU",
    "RELATED_NAME",
    "DeskFrequencies",
    "IdentityComparison",
    "IdentityLevel",
    "NameComparison",
    "NameForms",
    "NameLevel",
    "compare_names",
    "exact_name_key",
    "frequency_keys",
    "identity_comparisons",
    "match_probability",
    "name_forms",
    "name_only_ceiling",
    "name_similarity",
    "names_alone_can_reach",
    "prior_weight",
    "spelling_keys",
]

#: Expected second records per customer: the prior odds of a pair being one person.
DUPLICATE_SHARE = 0.05
#: Prefixes of the blocking keys of identities: a pair agrees on an identity only if it
#: shares one of these keys.
IDENTITY_KEY_PREFIXES = ("account:", "email:", "phone:", "social:", "tail:")
#: Prefixes of the blocking keys whose block sizes are names' counts.
NAME_COUNT_PREFIXES = ("tok:", "sp:")
#: ``name_similarity`` of a CLOSE name (one typo) and of a RELATED one.
CLOSE_NAME = 88.0
RELATED_NAME = 70.0
#: Frequencies are taken as if the desk had at least this many customers: on a tiny
#: desk (a test, a demo) one name in three customers would otherwise be "common".
MIN_DESK_SIZE = 10_000


class NameLevel(StrEnum):
    """How two names compare, best first."""

    EXACT = "exact"  # the same tokens, in any order (``Smith, John`` / ``John Smith``)
    SPELLED = "spelled"  # the same pinyin/Latin spelling: 張偉 / 张伟 / Zhang Wei / 张玮
    CLOSE = "close"  # one typo: ``name_similarity`` >= 88, or one hanzi of 3+ wrong
    RELATED = "related"  # ``name_similarity`` >= 70: one family name, close given names
    DIFFERENT = "different"
    MISSING = "missing"


class IdentityLevel(StrEnum):
    """How two customers' identities of one kind compare."""

    AGREE = "agree"  # a normalised value (an e-mail's mailbox) in common
    TAIL = "tail"  # the same last digits only (a landline without area code): ``…8881234``
    CONFLICT = "conflict"  # both have some, none in common: evidence against
    MISSING = "missing"  # one has none: no evidence


#: ``(m, u)`` of the name levels. ``u`` of EXACT and SPELLED is None: it is the
#: name's frequency on the desk (term frequency). The other ``u`` were estimated by
#: comparing 200,000 random pairs of 200,000 customers of ``bench/merge_candidates.py``'s
#: seeder (Splink's ``estimate_u_using_random_sampling``); the ``m`` are set from what a
#: second record of a person looks like (mostly the same name, then another spelling,
#: then a typo), not fitted to any labelled set.
NAME_MU: Mapping[NameLevel, tuple[float, float | None]] = {
    NameLevel.EXACT: (0.55, None),
    NameLevel.SPELLED: (0.25, None),
    NameLevel.CLOSE: (0.12, 1.1e-3),
    NameLevel.RELATED: (0.05, 0.021),
    NameLevel.DIFFERENT: (0.03, 0.978),
}

#: ``(m, u · n)`` of agreeing, and ``(m, u)`` of a phone tail and of a conflict, per
#: kind: a shared value is about as rare as one customer in ``n / (u · n)``.
IDENTITY_MU: Mapping[IdentityKind, Mapping[IdentityLevel, tuple[float, float]]] = {
    IdentityKind.PHONE: {
        IdentityLevel.AGREE: (0.6, 0.3),
        IdentityLevel.TAIL: (0.03, 1e-7),
        IdentityLevel.CONFLICT: (0.1, 0.9),
    },
    IdentityKind.EMAIL: {
        IdentityLevel.AGREE: (0.3, 0.2),
        IdentityLevel.CONFLICT: (0.1, 0.11),
    },
    IdentityKind.ACCOUNT: {
        IdentityLevel.AGREE: (0.2, 0.1),
        IdentityLevel.CONFLICT: (0.02, 0.04),
    },
    IdentityKind.SOCIAL: {
        IdentityLevel.AGREE: (0.2, 0.1),
        IdentityLevel.CONFLICT: (0.02, 0.04),
    },
}


@dataclass(frozen=True, slots=True)
class DeskFrequencies:
    """What the weights need to know of the desk: its number of customers and the size
    of name blocks (``exact_name_key``, ``spelling_keys``); a key not given counts 2,
    the pair itself."""

    desk_size: int
    name_counts: Mapping[str, int]

    @property
    def size(self) -> float:
        """The desk size the frequencies are taken over (at least ``MIN_DESK_SIZE``)."""
        return float(max(self.desk_size, MIN_DESK_SIZE))

    def share(self, keys: Iterable[str]) -> float:
        """Share of the desk holding the commonest of ``keys`` (at least 2 customers)."""
        count = max((self.name_counts.get(k, 2) for k in keys), default=2)
        return min(1.0, max(count, 2) / self.size)


@dataclass(frozen=True, slots=True)
class NameForms:
    """A name as compared: normalised, spelled (``domain.blocking.spelled``), its
    spellings without spaces, and its frequency keys."""

    norm: str
    spelling: str
    compact: tuple[str, ...]
    exact_key: str
    spelling_keys: frozenset[str]


@lru_cache(maxsize=65_536)
def name_forms(name: str) -> NameForms:
    """The forms of ``name``; cached, as a customer meets many others while blocks are
    scored."""
    norm = normalise_name(name)
    return NameForms(
        norm, spelled(norm), compact_spellings(norm), exact_name_key(norm), spelling_keys(norm)
    )


def frequency_keys(name: str) -> frozenset[str]:
    """The name-block keys whose sizes ``compare_names`` may ask of ``name``."""
    forms = name_forms(name)
    return forms.spelling_keys | {forms.exact_key}


def name_similarity(a: str, b: str, *, cutoff: float = 0.0) -> float:
    """0–100 similarity of two names: the best rapidfuzz ``token_sort_ratio`` of the
    normalised names or of their pinyin spellings, or ``ratio`` of their spellings
    without spaces (``張偉``, ``张伟``, ``Wei Zhang`` and ``Zhangwei`` score 100 with
    one another). Scores under ``cutoff`` may be returned as 0 (faster)."""
    fa, fb = name_forms(a), name_forms(b)
    if not fa.norm or not fb.norm:
        return 0.0
    score = fuzz.token_sort_ratio(fa.norm, fb.norm, score_cutoff=cutoff)
    if score == 100:  # nothing scores higher
        return 100.0
    if (fa.spelling, fb.spelling) != (fa.norm, fb.norm):
        score = max(score, fuzz.token_sort_ratio(fa.spelling, fb.spelling, score_cutoff=cutoff))
    # Without spaces: pinyin is written by syllable from hanzi and by word in Latin
    # (``wang xiao ming`` / ``Wang Xiaoming``).
    for x in fa.compact:
        for y in fb.compact:
            score = max(score, fuzz.ratio(x, y, score_cutoff=cutoff))
    return float(score)


@dataclass(frozen=True, slots=True)
class NameComparison:
    """Two names compared: the level, the 0–100 similarity, and the weight."""

    level: NameLevel
    similarity: float
    weight: float


def compare_names(a: str, b: str, freq: DeskFrequencies) -> NameComparison:
    """The level of two names and its weight, ``u`` of an exact or same-spelling name
    being the share of the desk holding it (term frequency)."""
    fa, fb = name_forms(a), name_forms(b)
    if fa.exact_key == "tok:" or fb.exact_key == "tok:":  # no letter, digit or hanzi
        return NameComparison(NameLevel.MISSING, 0.0, 0.0)
    if fa.exact_key == fb.exact_key:
        level, u = NameLevel.EXACT, freq.share((fa.exact_key,))
        similarity = 100.0
    elif shared := fa.spelling_keys & fb.spelling_keys:
        level, u = NameLevel.SPELLED, freq.share(shared)
        similarity = 100.0
    else:
        similarity = name_similarity(a, b)
        if similarity >= CLOSE_NAME or _one_hanzi_off(fa.norm, fb.norm):
            level = NameLevel.CLOSE
        elif similarity >= RELATED_NAME:
            level = NameLevel.RELATED
        else:
            level = NameLevel.DIFFERENT
        u = NAME_MU[level][1] or 1.0
    m = NAME_MU[level][0]
    return NameComparison(level, similarity, math.log2(m / u))


def _one_hanzi_off(a: str, b: str) -> bool:
    """Two names of three or more hanzi, one of them another character: a wrong pick
    of the input method. (In a two-hanzi name that is another given name.)"""
    if len(a) != len(b) or len(a) < 3 or not (_is_hanzi_name(a) and _is_hanzi_name(b)):
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _is_hanzi_name(norm: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in norm)


def prior_weight(freq: DeskFrequencies) -> float:
    """``log2`` of the prior odds that two customers of the desk are one person."""
    p = min(0.5, 2 * DUPLICATE_SHARE / freq.size)
    return math.log2(p / (1 - p))


def match_probability(weight: float) -> float:
    """The probability of a match weight (``2^w / (1 + 2^w)``), without overflow.

    Examples
    --------
    >>> match_probability(0.0), round(match_probability(3.0), 3)
    (0.5, 0.889)
    """
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)


@dataclass(frozen=True, slots=True)
class IdentityComparison:
    """One kind of identity compared: its level and the values in common."""

    kind: IdentityKind
    level: IdentityLevel
    shared: tuple[str, ...]

    def weight(self, freq: DeskFrequencies) -> float:
        """``log2(m / u)`` of the level (0 when missing)."""
        if self.level is IdentityLevel.MISSING:
            return 0.0
        m, u = IDENTITY_MU[self.kind][self.level]
        if self.level is IdentityLevel.AGREE:
            u /= freq.size
        return math.log2(m / u)


def _comparable(kind: IdentityKind, value: str) -> str:
    return mailbox(value) if kind is IdentityKind.EMAIL else value


def identity_comparisons(
    a: Iterable[tuple[IdentityKind, str]], b: Iterable[tuple[IdentityKind, str]]
) -> list[IdentityComparison]:
    """Each kind of identity either customer has, compared (normalised values)."""
    by_kind: dict[IdentityKind, tuple[set[str], set[str]]] = {}
    for side, idents in enumerate((a, b)):
        for kind, value in idents:
            by_kind.setdefault(kind, (set(), set()))[side].add(_comparable(kind, value))
    out = []
    for kind in sorted(by_kind, key=lambda k: k.value):
        va, vb = by_kind[kind]
        shared = va & vb
        if shared:
            out.append(IdentityComparison(kind, IdentityLevel.AGREE, tuple(sorted(shared))))
        elif not va or not vb:
            out.append(IdentityComparison(kind, IdentityLevel.MISSING, ()))
        elif kind is IdentityKind.PHONE and (tails := _tails(va) & _tails(vb)):
            shown = tuple(f"…{t}" for t in sorted(tails))
            out.append(IdentityComparison(kind, IdentityLevel.TAIL, shown))
        else:
            out.append(IdentityComparison(kind, IdentityLevel.CONFLICT, ()))
    return out


def _tails(phones: set[str]) -> set[str]:
    return {p[-PHONE_TAIL_DIGITS:] for p in phones if len(p) >= PHONE_TAIL_DIGITS}


def name_only_ceiling() -> float:
    """The highest match probability of a pair sharing no identity: an exact name held
    by the two customers only, every identity missing. The desk's size cancels (the
    prior odds fall as ``1 / n`` where the name's weight rises as ``n``), so this holds
    on every desk: about 0.03, and such pairs are never candidates at a threshold of
    50 or more."""
    freq = DeskFrequencies(0, {})
    m, _ = NAME_MU[NameLevel.EXACT]
    return match_probability(prior_weight(freq) + math.log2(m / freq.share(())))


def names_alone_can_reach(threshold: float) -> bool:
    """Whether a pair sharing no identity can score ``threshold`` (0–100): when not,
    only identity blocks (``IDENTITY_KEY_PREFIXES``) need pairing."""
    return threshold <= 100 * name_only_ceiling()
