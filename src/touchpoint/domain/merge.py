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

from touchpoint.domain.blocking import DEFAULT_BLOCK_CAP, block_pairs, blocking_keys
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import RuleViolation
from touchpoint.domain.match_weights import (
    IDENTITY_KEY_PREFIXES,
    NAME_COUNT_PREFIXES,
    DeskFrequencies,
    IdentityLevel,
    NameLevel,
    compare_names,
    identity_comparisons,
    match_probability,
    names_alone_can_reach,
    prior_weight,
)

__all__ = [
    "DEFAULT_NAME_THRESHOLD",
    "HOLDING_KINDS",
    "UNKNOWN_DESK",
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
    "desk_blocks",
    "match_weight",
    "score_pair",
    "score_pairs",
    "search_candidates",
]

#: Pairs scoring at least this (100 × their match probability) are candidates.
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
    ``value``, ``similar_names`` with the 0–100 ``score``, or ``different_<kind>``
    (evidence against: both have phones, none shared). ``str()`` is the English
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
    def different_identity(cls, kind: IdentityKind) -> MergeReason:
        """Both customers have identities of ``kind`` and none is shared: evidence that
        they are two people (a family's two mobiles), said with the reasons for."""
        return cls(code=f"different_{kind.value}", params={}, text=f"different {kind.value}s")

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
        if code.startswith("different_"):
            return cls.different_identity(IdentityKind(code.removeprefix("different_")))
        kind = IdentityKind(code.removeprefix("same_"))
        return cls.same_identity(kind, str(params["value"]))


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    """A likely duplicate pair (``a_id < b_id``) with a 0–100 score and its reasons."""

    a_id: int
    b_id: int
    score: float
    reasons: tuple[MergeReason, ...]


#: The frequencies of a desk nothing is known of: ``MIN_DESK_SIZE`` customers, every
#: name held by two.
UNKNOWN_DESK = DeskFrequencies(0, {})


def match_weight(
    a: CustomerProfile, b: CustomerProfile, frequencies: DeskFrequencies = UNKNOWN_DESK
) -> tuple[float, list[MergeReason]]:
    """The Fellegi–Sunter match weight of a pair (``domain.match_weights``) and its
    reasons: each shared identity, similar names, each kind of identity in conflict."""
    weight = prior_weight(frequencies)
    reasons: list[MergeReason] = []
    for comparison in identity_comparisons(a.identities, b.identities):
        weight += comparison.weight(frequencies)
        if comparison.level in (IdentityLevel.AGREE, IdentityLevel.TAIL):
            reasons += [MergeReason.same_identity(comparison.kind, v) for v in comparison.shared]
        elif comparison.level is IdentityLevel.CONFLICT:
            reasons.append(MergeReason.different_identity(comparison.kind))
    names = compare_names(a.name, b.name, frequencies)
    weight += names.weight
    if names.level in _SIMILAR:
        reasons.append(MergeReason.similar_names(names.similarity))
    return weight, reasons


_SIMILAR = frozenset({NameLevel.EXACT, NameLevel.SPELLED, NameLevel.CLOSE})


def score_pair(
    a: CustomerProfile,
    b: CustomerProfile,
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    floor: float = 0.0,
    frequencies: DeskFrequencies = UNKNOWN_DESK,
) -> MergeCandidate | None:
    """The candidate a pair makes, or None: its score is 100 × the match probability of
    its match weight (``match_weight``), and it is a candidate from ``name_threshold``
    (or ``floor``, the worst of a full ``TopCandidates``) up."""
    if a.id == b.id:
        return None
    if a.id > b.id:
        a, b = b, a
    weight, reasons = match_weight(a, b, frequencies)
    score = 100.0 * match_probability(weight)
    if score < max(name_threshold, floor):
        return None
    return MergeCandidate(a.id, b.id, score, tuple(reasons))


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
    frequencies: DeskFrequencies = UNKNOWN_DESK,
) -> list[MergeCandidate]:
    """The candidates ``pairs`` make (``score_pair`` with the desk's ``frequencies``), a
    pair with a customer missing from ``profiles`` skipped. With ``top``, each is
    offered to it, and a pair that cannot enter it is not scored."""
    out: list[MergeCandidate] = []
    for a, b in pairs:
        if a not in profiles or b not in profiles:
            continue
        if top is not None and not top.could_keep(a, b):
            continue
        floor = top.floor() if top is not None else 0.0
        found = score_pair(
            profiles[a],
            profiles[b],
            name_threshold=name_threshold,
            floor=floor,
            frequencies=frequencies,
        )
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
    return _pairs_of(desk_blocks(profiles), block_cap)


def desk_blocks(profiles: Iterable[CustomerProfile]) -> dict[str, list[int]]:
    """The blocks of ``profiles``: each blocking key with its members' ids."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for p in profiles:
        for key in blocking_keys(p.name, p.identities):
            blocks[key].append(p.id)
    return blocks


def _pairs_of(
    blocks: Mapping[str, Sequence[int]], block_cap: int
) -> tuple[set[tuple[int, int]], int]:
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
    key (``candidate_pairs``) are scored (``score_pair``), with the names' frequencies
    counted from the blocks."""
    by_id = {p.id: p for p in profiles}
    blocks = desk_blocks(profiles)
    # As the background refresh: above what a name alone can reach, only identity
    # blocks can make candidates.
    pairable = (
        blocks
        if names_alone_can_reach(name_threshold)
        else {k: v for k, v in blocks.items() if k.startswith(IDENTITY_KEY_PREFIXES)}
    )
    pairs, skipped = _pairs_of(pairable, block_cap)
    frequencies = DeskFrequencies(
        len(by_id), {k: len(v) for k, v in blocks.items() if k.startswith(NAME_COUNT_PREFIXES)}
    )
    top = TopCandidates(limit)
    score_pairs(pairs, by_id, name_threshold=name_threshold, top=top, frequencies=frequencies)
    return CandidateSearch(top.best(), skipped)


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
