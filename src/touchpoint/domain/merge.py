"""Customer merge (客户合并): duplicate candidates and a reversible move of holdings.

Candidates are pairs of customers sharing a blocking key (``domain.blocking``: an
identity, a phone tail, name keys), scored by equal normalised identities and the
rapidfuzz similarity of their names; nothing compares every customer with every other.
A merge moves every holding (contact, transaction, order, identity) of the merged
customer to the survivor and records exactly which rows moved, so that an unmerge moves
those rows back and nothing is lost.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from touchpoint.domain.blocking import (
    DEFAULT_BLOCK_CAP,
    block_pairs,
    blocking_keys,
    compact_spellings,
    spelled,
)
from touchpoint.domain.customers import IdentityKind, normalise_name
from touchpoint.domain.errors import RuleViolation

__all__ = [
    "DEFAULT_NAME_THRESHOLD",
    "HOLDING_KINDS",
    "CandidateSearch",
    "CustomerProfile",
    "MergeCandidate",
    "MergeReason",
    "MergeRecord",
    "TopCandidates",
    "apply_merge",
    "apply_unmerge",
    "candidate_order",
    "candidate_pairs",
    "merge_candidates",
    "name_score",
    "score_pair",
    "score_pairs",
    "search_candidates",
]

#: Names scoring at least this (``name_score``) make a pair a candidate.
DEFAULT_NAME_THRESHOLD = 88.0
#: Kinds of rows a customer holds; each moves on merge and back on unmerge.
HOLDING_KINDS: tuple[str, ...] = ("contacts", "transactions", "work_orders", "identities")


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What matching looks at: id, name and normalised identities."""

    id: int
    name: str
    identities: frozenset[tuple[IdentityKind, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class MergeReason:
    """Why two customers look like one: a message code with its parameters.

    ``same_<kind>`` (``same_phone``, ``same_email``…) with the shared normalised
    ``value``, or ``similar_names`` with the 0–100 ``score``. ``str()`` is the English
    text the API has always answered (``same phone 13800138000``, ``similar names
    (100)``); the pages say it in the viewer's language from ``code`` and ``params``.
    """

    code: str
    params: Mapping[str, object] = field(hash=False)  # a dict; ``text`` says the same
    text: str

    def __str__(self) -> str:
        return self.text

    @classmethod
    def same_identity(cls, kind: IdentityKind, value: str) -> MergeReason:
        """Both customers have the identity ``kind``/``value``."""
        return cls(
            code=f"same_{kind.value}", params={"value": value}, text=f"same {kind.value} {value}"
        )

    @classmethod
    def similar_names(cls, score: float) -> MergeReason:
        """The normalised names match with rapidfuzz ``score`` (0–100)."""
        return cls(
            code="similar_names", params={"score": score}, text=f"similar names ({score:.0f})"
        )

    def as_json(self) -> dict[str, object]:
        """The reason as stored (``merge_candidates.reasons``): its code and params."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, stored: Mapping[str, object]) -> MergeReason:
        """The reason ``as_json`` stored, with its text made again from code and params."""
        code = str(stored["code"])
        params = stored.get("params")
        if not isinstance(params, Mapping):
            raise ValueError(f"merge reason {code!r} without params")
        if code == "similar_names":
            return cls.similar_names(float(params["score"]))
        kind = IdentityKind(code.removeprefix("same_"))
        return cls.same_identity(kind, str(params["value"]))


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    """A likely duplicate pair (``a_id < b_id``) with a 0–100 score and its reasons."""

    a_id: int
    b_id: int
    score: float
    reasons: tuple[MergeReason, ...]


@lru_cache(maxsize=16_384)
def _name_forms(name: str) -> tuple[str, str, tuple[str, ...]]:
    # A customer meets many others while blocks are scored: its name is spelled once.
    norm = normalise_name(name)
    return norm, spelled(norm), compact_spellings(norm)


def name_score(a: str, b: str, *, cutoff: float = 0.0) -> float:
    """0–100 similarity of two names: the best rapidfuzz ``token_sort_ratio`` of the
    normalised names or of their pinyin spellings, or ``ratio`` of their spellings
    without spaces (``張偉``, ``张伟``, ``Wei Zhang`` and ``Zhangwei`` score 100 with
    one another). Scores under ``cutoff`` may be returned as 0 (faster)."""
    na, sa, ca = _name_forms(a)
    nb, sb, cb = _name_forms(b)
    if not na or not nb:
        return 0.0
    score = fuzz.token_sort_ratio(na, nb, score_cutoff=cutoff)
    if score == 100:  # nothing scores higher
        return 100.0
    if (sa, sb) != (na, nb):
        score = max(score, fuzz.token_sort_ratio(sa, sb, score_cutoff=cutoff))
    # Without spaces: pinyin is written by syllable from hanzi and by word in Latin
    # (``wang xiao ming`` / ``Wang Xiaoming``).
    for x in ca:
        for y in cb:
            score = max(score, fuzz.ratio(x, y, score_cutoff=cutoff))
    return float(score)


def score_pair(
    a: CustomerProfile,
    b: CustomerProfile,
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    floor: float = 0.0,
) -> MergeCandidate | None:
    """The candidate a pair makes, or None: each shared normalised identity is a reason
    scoring 100; names scoring at least ``name_threshold`` (``name_score``) are one.

    A pair that cannot score ``floor`` (the worst of a full ``TopCandidates``) is
    None at once: most pairs of a block end there, before any reason is made.
    """
    if a.id == b.id:
        return None
    if a.id > b.id:
        a, b = b, a
    common = a.identities & b.identities
    if not common:
        cutoff = max(name_threshold, floor)
        similarity = name_score(a.name, b.name, cutoff=cutoff)
        if similarity < cutoff:
            return None
        return MergeCandidate(a.id, b.id, similarity, (MergeReason.similar_names(similarity),))
    shared = sorted(common, key=lambda i: (i[0].value, i[1]))
    reasons = [MergeReason.same_identity(kind, value) for kind, value in shared]
    similarity = name_score(a.name, b.name, cutoff=name_threshold)
    if similarity >= name_threshold:
        reasons.append(MergeReason.similar_names(similarity))
    return MergeCandidate(a.id, b.id, 100.0, tuple(reasons))


def candidate_order(m: MergeCandidate) -> tuple[float, int, int]:
    """Best first: higher score, then lower ids."""
    return (-m.score, m.a_id, m.b_id)


class TopCandidates:
    """The best ``limit`` candidates offered, in bounded memory.

    A pair offered again (it shares several blocks) is kept once; scores are
    deterministic, so a pair dropped once can never come back above the kept ones.
    """

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        # A min-heap whose root is the worst kept candidate.
        self._heap: list[tuple[float, int, int]] = []
        self._kept: dict[tuple[int, int], MergeCandidate] = {}

    def offer(self, m: MergeCandidate) -> None:
        """Keep ``m`` if it is among the best ``limit`` seen."""
        pair = (m.a_id, m.b_id)
        if pair in self._kept or self._limit == 0:
            return
        entry = (m.score, -m.a_id, -m.b_id)
        if self._limit is None or len(self._heap) < self._limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            _, worst_a, worst_b = heapq.heapreplace(self._heap, entry)
            del self._kept[(-worst_a, -worst_b)]
        else:
            return
        self._kept[pair] = m

    def floor(self) -> float:
        """The score a candidate needs to be kept (0 until ``limit`` are kept)."""
        if self._limit is None or len(self._heap) < self._limit or not self._heap:
            return 0.0
        return self._heap[0][0]

    def could_keep(self, a_id: int, b_id: int) -> bool:
        """Whether the pair would be kept with the best score (100): False spares
        scoring a pair that cannot enter however it scores."""
        if self._limit == 0:
            return False
        if self._limit is None or len(self._heap) < self._limit:
            return True
        return (100.0, -a_id, -b_id) > self._heap[0]

    def best(self) -> list[MergeCandidate]:
        """The kept candidates, best first."""
        return sorted(self._kept.values(), key=candidate_order)


def score_pairs(
    pairs: Iterable[tuple[int, int]],
    profiles: Mapping[int, CustomerProfile],
    *,
    name_threshold: float,
    top: TopCandidates | None = None,
) -> list[MergeCandidate]:
    """The candidates ``pairs`` make (``score_pair``), a pair with a customer missing
    from ``profiles`` skipped. With ``top``, each is offered to it, and a pair that
    cannot enter it is not scored."""
    out: list[MergeCandidate] = []
    for a, b in pairs:
        if a not in profiles or b not in profiles:
            continue
        if top is not None and not top.could_keep(a, b):
            continue
        floor = top.floor() if top is not None else 0.0
        found = score_pair(profiles[a], profiles[b], name_threshold=name_threshold, floor=floor)
        if found is not None:
            out.append(found)
            if top is not None:
                top.offer(found)
    return out


@dataclass(frozen=True, slots=True)
class CandidateSearch:
    """Candidates found, best first, and the number of blocks skipped for their size."""

    candidates: list[MergeCandidate]
    skipped_blocks: int = 0


def candidate_pairs(
    profiles: Sequence[CustomerProfile], *, block_cap: int = DEFAULT_BLOCK_CAP
) -> tuple[set[tuple[int, int]], int]:
    """Pairs ``(a, b)``, ``a < b``, sharing a blocking key of at most ``block_cap``
    members, and the number of larger blocks skipped."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for p in profiles:
        for key in blocking_keys(p.name, p.identities):
            blocks[key].append(p.id)
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for members in blocks.values():
        if len(members) > block_cap:
            skipped += 1
        else:
            pairs.update(block_pairs(members))
    return pairs, skipped


def search_candidates(
    profiles: Sequence[CustomerProfile],
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    block_cap: int = DEFAULT_BLOCK_CAP,
    limit: int | None = None,
) -> CandidateSearch:
    """Likely duplicates among ``profiles``, best first: only pairs sharing a blocking
    key (``candidate_pairs``) are scored (``score_pair``)."""
    by_id = {p.id: p for p in profiles}
    pairs, skipped = candidate_pairs(profiles, block_cap=block_cap)
    top = TopCandidates(limit)
    score_pairs(pairs, by_id, name_threshold=name_threshold, top=top)
    return CandidateSearch(top.best(), skipped)


def merge_candidates(
    profiles: Sequence[CustomerProfile],
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    block_cap: int = DEFAULT_BLOCK_CAP,
) -> list[MergeCandidate]:
    """Likely duplicates, best first (``search_candidates`` without the count of
    skipped blocks)."""
    return search_candidates(
        profiles, name_threshold=name_threshold, block_cap=block_cap
    ).candidates


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """The undo trail of one merge: which rows of each kind moved to the survivor."""

    survivor_id: int
    merged_id: int
    moved: Mapping[str, tuple[int, ...]]


Ownership = Mapping[tuple[str, int], int]


def apply_merge(
    ownership: Ownership, *, survivor_id: int, merged_id: int, merged_already: frozenset[int]
) -> tuple[dict[tuple[str, int], int], MergeRecord]:
    """Move every row owned by ``merged_id`` to ``survivor_id``.

    ``ownership`` maps ``(kind, row id)`` to the customer id holding it;
    ``merged_already`` are customers that were merged away and cannot take part.
    """
    if survivor_id == merged_id:
        raise RuleViolation(
            f"merged_id: customer {merged_id} cannot be merged into itself",
            code="merge_into_itself",
            params={"id": merged_id},
        )
    for cid in (survivor_id, merged_id):
        if cid in merged_already:
            raise RuleViolation(
                f"customer {cid} was already merged into another customer",
                code="already_merged",
                params={"id": cid},
            )
    moved: dict[str, list[int]] = {k: [] for k in HOLDING_KINDS}
    out = dict(ownership)
    for (kind, row), owner in ownership.items():
        if owner == merged_id:
            out[(kind, row)] = survivor_id
            moved.setdefault(kind, []).append(row)
    record = MergeRecord(
        survivor_id=survivor_id,
        merged_id=merged_id,
        moved={k: tuple(sorted(v)) for k, v in moved.items()},
    )
    return out, record


def apply_unmerge(ownership: Ownership, record: MergeRecord) -> dict[tuple[str, int], int]:
    """Move the rows in ``record`` back to the merged customer; rows created on the
    survivor after the merge stay with it."""
    out = dict(ownership)
    for kind, rows in record.moved.items():
        for row in rows:
            key = (kind, row)
            if out.get(key) == record.survivor_id:
                out[key] = record.merged_id
    return out
