"""Customer merge (客户合并): duplicate candidates and a reversible move of holdings.

Candidates come from equal normalised identities and fuzzy name similarity computed
with rapidfuzz. A merge moves every holding (contact, transaction, order, identity) of
the merged customer to the survivor and records exactly which rows moved, so that an
unmerge moves those rows back and nothing is lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from touchpoint.domain.customers import IdentityKind, normalise_name
from touchpoint.domain.errors import RuleViolation

__all__ = [
    "HOLDING_KINDS",
    "CustomerProfile",
    "MergeCandidate",
    "MergeReason",
    "MergeRecord",
    "apply_merge",
    "apply_unmerge",
    "merge_candidates",
]

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


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    """A likely duplicate pair (``a_id < b_id``) with a 0–100 score and its reasons."""

    a_id: int
    b_id: int
    score: float
    reasons: tuple[MergeReason, ...]


def merge_candidates(
    profiles: Sequence[CustomerProfile], *, name_threshold: float = 88.0
) -> list[MergeCandidate]:
    """Likely duplicates, best first.

    A shared normalised identity scores 100; otherwise the rapidfuzz
    ``token_sort_ratio`` of the normalised names must reach ``name_threshold``.
    """
    reasons: dict[tuple[int, int], list[MergeReason]] = defaultdict(list)
    scores: dict[tuple[int, int], float] = {}
    by_identity: dict[tuple[IdentityKind, str], list[int]] = defaultdict(list)
    for p in profiles:
        for ident in p.identities:
            by_identity[ident].append(p.id)
    for (kind, value), ids in by_identity.items():
        uniq = sorted(set(ids))
        for i, a in enumerate(uniq):
            for b in uniq[i + 1 :]:
                reasons[(a, b)].append(MergeReason.same_identity(kind, value))
                scores[(a, b)] = 100.0
    names = [normalise_name(p.name) for p in profiles]
    if len(profiles) > 1:
        matrix = process.cdist(
            names, names, scorer=fuzz.token_sort_ratio, score_cutoff=name_threshold, workers=1
        )
        rows, cols = (matrix >= name_threshold).nonzero()
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = profiles[r].id, profiles[c].id
            if a >= b or not names[r]:
                continue
            score = float(matrix[r, c])
            reasons[(a, b)].append(MergeReason.similar_names(score))
            scores[(a, b)] = max(scores.get((a, b), 0.0), score)
    out = [MergeCandidate(a, b, scores[(a, b)], tuple(rs)) for (a, b), rs in reasons.items()]
    out.sort(key=lambda m: (-m.score, m.a_id, m.b_id))
    return out


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
