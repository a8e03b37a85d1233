"""Customer merge and unmerge with a full undo trail; candidates from shared blocking keys
(identities, phone tails, names), scored by Fellegi–Sunter match weights
(``domain.match_weights``) with the names' frequencies on the desk."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from touchpoint.domain.blocking import DEFAULT_BLOCK_CAP, block_pairs
from touchpoint.domain.errors import RuleViolation
from touchpoint.domain.match_weights import (
    IDENTITY_KEY_PREFIXES,
    DeskFrequencies,
    frequency_keys,
    names_alone_can_reach,
)
from touchpoint.domain.merge import (
    DEFAULT_NAME_THRESHOLD,
    HOLDING_KINDS,
    CandidateSearch,
    CustomerProfile,
    MergeCandidate,
    MergeRecord,
    TopCandidates,
    apply_merge,
    apply_unmerge,
    score_pairs,
)
from touchpoint.services.base import Actor, get_or_404, require, snapshot, write
from touchpoint.storage import blocking
from touchpoint.storage import merge_candidates as stored_candidates
from touchpoint.storage.blocking import Block
from touchpoint.storage.merge_models import MergeLog
from touchpoint.storage.models import (
    Contact,
    Customer,
    CustomerIdentity,
    Transaction,
    WorkOrder,
)

__all__ = [
    "find_merge_candidates",
    "list_merges",
    "merge_customers",
    "rebuild_merge_keys",
    "scored_batches",
    "search_merge_candidates",
    "unmerge_customers",
]

_log = logging.getLogger(__name__)

_MODELS: dict[str, type[Contact] | type[Transaction] | type[WorkOrder] | type[CustomerIdentity]] = {
    "contacts": Contact,
    "transactions": Transaction,
    "work_orders": WorkOrder,
    "identities": CustomerIdentity,
}


def search_merge_candidates(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    limit: int = 50,
    block_cap: int = DEFAULT_BLOCK_CAP,
) -> CandidateSearch:
    """Likely duplicates among customers not merged away (optionally involving one),
    best first, with the number of blocks skipped for having over ``block_cap``
    members.

    Only customers sharing a blocking key are compared. With ``customer_id`` the
    customer's own blocks are read (a few indexed reads, at most ``block_cap`` members
    each); without it the blocks that can make candidates (``_pairable_blocks``: only
    identity blocks above what a name alone can reach) are streamed in key order and
    the best ``limit`` candidates kept, so memory stays bounded whatever the number of
    customers.
    """
    require(actor, actor.role.can_handle_orders, "look for duplicate customers")
    if customer_id is not None:
        found = _candidates_of(
            session, customer_id, name_threshold=name_threshold, limit=limit, cap=block_cap
        )
    else:
        found = _all_candidates(session, name_threshold=name_threshold, limit=limit, cap=block_cap)
    if found.skipped_blocks:
        _log.info(
            "merge candidates: %d blocks over %d members skipped",
            found.skipped_blocks,
            block_cap,
        )
    return found


def find_merge_candidates(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    limit: int = 50,
) -> list[MergeCandidate]:
    """Likely duplicates, best first (``search_merge_candidates``' candidates)."""
    return search_merge_candidates(
        session, actor, customer_id=customer_id, name_threshold=name_threshold, limit=limit
    ).candidates


def _candidates_of(
    session: Session, customer_id: int, *, name_threshold: float, limit: int, cap: int
) -> CandidateSearch:
    others: set[int] = set()
    skipped = 0
    for key in blocking.customer_keys(session, customer_id):
        members = blocking.block_members(session, key, cap=cap)
        if members is None:
            skipped += 1
        else:
            others.update(members)
    others.discard(customer_id)
    if not others:
        return CandidateSearch([], skipped)
    profiles = blocking.live_profiles(session, [customer_id, *others])
    pairs = [(min(customer_id, o), max(customer_id, o)) for o in others]
    top = TopCandidates(limit)
    if customer_id in profiles:
        # Every pair holds the customer: a name both share is one of its name keys.
        frequencies = _frequencies(session, [profiles[customer_id]])
        score_pairs(
            pairs, profiles, name_threshold=name_threshold, top=top, frequencies=frequencies
        )
    return CandidateSearch(top.best(), skipped)


def _frequencies(session: Session, profiles: Iterable[CustomerProfile]) -> DeskFrequencies:
    """The desk's size and the counts of ``profiles``' names (term frequencies)."""
    keys = {k for p in profiles for k in frequency_keys(p.name)}
    return DeskFrequencies(blocking.desk_size(session), blocking.block_sizes(session, keys))


def _pairable_blocks(session: Session, *, name_threshold: float, cap: int) -> Iterator[Block]:
    """The blocks whose pairs can reach ``name_threshold``: a pair sharing no identity
    cannot reach ``match_weights.name_only_ceiling``, so above it only identity blocks
    are read (a few per customer, mostly of one member, none streamed to Python), and
    every block below it."""
    if names_alone_can_reach(name_threshold):
        yield from blocking.blocks_in_key_order(session, cap=cap)
    else:
        for prefix in IDENTITY_KEY_PREFIXES:
            yield from blocking.shared_blocks(session, prefix, cap=cap)


# While streaming blocks, pairs are scored once this many customers' profiles or this
# many pairs have gathered: both bound the memory (profiles, the batch's seen pairs).
_PROFILES_PER_BATCH = 20_000
_PAIRS_PER_BATCH = 100_000


def _all_candidates(
    session: Session, *, name_threshold: float, limit: int, cap: int
) -> CandidateSearch:
    top = TopCandidates(limit)
    skipped = 0
    # The batches offer their candidates to ``top`` as they are scored.
    for _found, skipped_now in scored_batches(
        session, name_threshold=name_threshold, cap=cap, top=top
    ):
        skipped += skipped_now
    return CandidateSearch(top.best(), skipped)


def scored_batches(
    session: Session, *, name_threshold: float, cap: int, top: TopCandidates | None = None
) -> Iterator[tuple[list[MergeCandidate], int]]:
    """Candidates over all live customers, a batch of blocks at a time: each batch's
    candidates and the number of its blocks skipped for having over ``cap`` members.

    Blocks that can make candidates (``_pairable_blocks``) are streamed in key order; a
    batch is scored once it holds ``_PROFILES_PER_BATCH`` customers or
    ``_PAIRS_PER_BATCH`` pairs, with the counts of its customers' names, so memory holds
    one batch whatever the number of customers. A pair sharing blocks of several
    batches comes again in each. With ``top``, pairs that cannot enter it are not
    scored.
    """
    batch: list[tuple[int, ...]] = []
    ids: set[int] = set()
    pairs = skipped = 0

    def score_batch() -> list[MergeCandidate]:
        # A pair of several blocks of the batch is scored once (an insertion-ordered set).
        unique = dict.fromkeys(pair for members in batch for pair in block_pairs(members))
        profiles = blocking.live_profiles(session, ids)
        frequencies = _frequencies(session, profiles.values())
        return score_pairs(
            unique, profiles, name_threshold=name_threshold, top=top, frequencies=frequencies
        )

    for block in _pairable_blocks(session, name_threshold=name_threshold, cap=cap):
        if not block.members:
            skipped += 1
            continue
        batch.append(block.members)
        ids.update(block.members)
        pairs += len(block.members) * (len(block.members) - 1) // 2
        if len(ids) >= _PROFILES_PER_BATCH or pairs >= _PAIRS_PER_BATCH:
            yield score_batch(), skipped
            batch.clear()
            ids.clear()
            pairs = skipped = 0
    if batch or skipped:
        yield score_batch(), skipped


def _ownership(session: Session, customer_ids: list[int]) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for kind in HOLDING_KINDS:
        model = _MODELS[kind]
        for row_id, owner in session.execute(
            select(model.id, model.customer_id).where(model.customer_id.in_(customer_ids))
        ):
            out[(kind, row_id)] = owner
    return out


def _move(session: Session, kind: str, ids: list[int], to: int) -> None:
    if ids:
        model = _MODELS[kind]
        session.execute(update(model).where(model.id.in_(ids)).values(customer_id=to))


def merge_customers(
    session: Session, actor: Actor, survivor_id: int, merged_id: int, *, now: datetime
) -> MergeLog:
    """Merge ``merged_id`` into ``survivor_id``: every contact, transaction, order and
    identity moves; guest-history keys the survivor lacks are copied; undo with
    ``unmerge_customers``."""
    require(actor, actor.role.can_supervise, "merge customers")
    if actor.user_id is None:
        raise RuleViolation("actor: a merge is made by a user")
    with write(session, actor, "customer.merge", now=now) as unit:
        survivor = get_or_404(session, Customer, survivor_id)
        merged = get_or_404(session, Customer, merged_id)
        already = frozenset(c.id for c in (survivor, merged) if c.merged_into_id is not None)
        owners = _ownership(session, [survivor.id, merged.id])
        _, record = apply_merge(
            owners, survivor_id=survivor.id, merged_id=merged.id, merged_already=already
        )
        for kind, ids in record.moved.items():
            _move(session, kind, list(ids), survivor.id)
        added = {k: v for k, v in merged.preferences.items() if k not in survivor.preferences}
        if added:
            survivor.preferences = {**survivor.preferences, **added}
        merged.merged_into_id = survivor.id
        merged.updated_at = survivor.updated_at = now
        log = MergeLog(
            survivor_id=survivor.id,
            merged_id=merged.id,
            moved={**{k: list(v) for k, v in record.moved.items()}, "preferences_added": added},
            actor_id=actor.user_id,
            at=now,
        )
        session.add(log)
        session.flush()
        session.expire(survivor, ["identities"])
        session.expire(merged, ["identities"])
        # The survivor's keys gain the identities it received; the merged customer
        # leaves every block.
        blocking.refresh_blocking_keys(session, [survivor.id, merged.id])
        # The stored list loses the merged customer's pairs now, not at the next refresh.
        stored_candidates.drop_customers(session, [merged.id])
        unit.audit("customer", survivor.id, before=None, after=snapshot(log))
        unit.notify("customer.merged", {"survivor_id": survivor.id, "merged_id": merged.id})
    return log


def unmerge_customers(session: Session, actor: Actor, merge_id: int, *, now: datetime) -> MergeLog:
    """Undo a merge: the rows it moved go back, the merged customer is live again."""
    require(actor, actor.role.can_supervise, "unmerge customers")
    with write(session, actor, "customer.unmerge", now=now) as unit:
        log = get_or_404(session, MergeLog, merge_id)
        if log.undone_at is not None:
            raise RuleViolation(
                f"merge {log.id} was already undone",
                code="merge_already_undone",
                params={"id": log.id},
            )
        survivor = get_or_404(session, Customer, log.survivor_id)
        merged = get_or_404(session, Customer, log.merged_id)
        if survivor.merged_into_id is not None:
            raise RuleViolation(
                f"customer {survivor.id} was merged into {survivor.merged_into_id} since; "
                "undo that merge first",
                code="survivor_merged_since",
                params={"id": survivor.id, "into": survivor.merged_into_id},
            )
        moved: dict[str, tuple[int, ...]] = {
            k: tuple(int(i) for i in log.moved.get(k, [])) for k in HOLDING_KINDS
        }
        record = MergeRecord(survivor.id, merged.id, moved)
        owners = _ownership(session, [survivor.id])
        back = apply_unmerge(owners, record)
        for kind in HOLDING_KINDS:
            ids = [row for (k, row), owner in back.items() if k == kind and owner == merged.id]
            _move(session, kind, ids, merged.id)
        added: dict[str, Any] = dict(log.moved.get("preferences_added", {}))
        if added:
            survivor.preferences = {
                k: v for k, v in survivor.preferences.items() if not (k in added and added[k] == v)
            }
        merged.merged_into_id = None
        merged.updated_at = survivor.updated_at = now
        log.undone_at = now
        session.flush()
        session.expire(survivor, ["identities"])
        session.expire(merged, ["identities"])
        blocking.refresh_blocking_keys(session, [survivor.id, merged.id])
        unit.audit("customer", merged.id, before=None, after=snapshot(log))
        unit.notify("customer.unmerged", {"survivor_id": survivor.id, "merged_id": merged.id})
    return log


def list_merges(session: Session, *, customer_id: int | None = None) -> list[MergeLog]:
    """Merges, newest first (optionally those involving one customer)."""
    stmt = select(MergeLog)
    if customer_id is not None:
        stmt = stmt.where(
            (MergeLog.survivor_id == customer_id) | (MergeLog.merged_id == customer_id)
        )
    return list(session.scalars(stmt.order_by(MergeLog.id.desc())))


def rebuild_merge_keys(session: Session, actor: Actor, *, now: datetime) -> int:
    """Rebuild the blocking keys of every live customer from their names and
    identities (after a change of the key rules, or to repair them); returns the number
    of keys written. One audited write."""
    require(actor, actor.role.can_supervise, "rebuild merge keys")
    with write(session, actor, "customer.merge_keys.rebuild", now=now) as unit:
        written = blocking.rebuild_blocking_keys(session.connection())
        unit.audit("customer", "merge_keys", before=None, after={"keys": written})
    return written
