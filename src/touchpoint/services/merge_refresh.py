"""The whole merge-candidate list, computed in the background and stored (issue 21,
item 3).

Scoring every block of a large desk takes minutes, far beyond a request: the server
runs :func:`refresh_merge_candidates` on a timer (``TOUCHPOINT_MERGE_REFRESH_SECONDS``,
one process at a time, ``services.desk_clock``) and when a supervisor asks
(``POST /api/merge/candidates/refresh``); the list routes then page the stored pairs.
One customer's candidates stay live (``services.merge.search_merge_candidates``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from touchpoint.domain.blocking import DEFAULT_BLOCK_CAP
from touchpoint.domain.merge import DEFAULT_NAME_THRESHOLD, MergeCandidate
from touchpoint.services.base import Actor, require
from touchpoint.services.merge import scored_batches
from touchpoint.storage import merge_candidates as stored

__all__ = [
    "RefreshSummary",
    "refresh_merge_candidates",
    "stored_merge_candidates",
]

_log = logging.getLogger(__name__)

# Candidates gathered before they are written and committed: one part of the refresh.
_PAIRS_PER_PART = 5000


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What one refresh did: pairs written (a pair found in several batches counts
    each time), stale pairs removed, blocks skipped for their size, parts committed."""

    written: int
    removed: int
    skipped_blocks: int
    parts: int


def refresh_merge_candidates(
    session: Session,
    now: datetime,
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    block_cap: int = DEFAULT_BLOCK_CAP,
) -> RefreshSummary:
    """Recompute the stored list over every live customer as of ``now``.

    Blocks are streamed a batch at a time (``scored_batches``) and the candidates
    written and committed every ``_PAIRS_PER_PART`` pairs, so memory holds one batch and
    one part, and no transaction stays open for the whole run. Rows not written by this
    run (stamped with another ``computed_at``) are deleted at its end. Run as the desk
    itself, it checks no actor; the routes that start it do.
    """
    written = skipped = parts = 0
    pending: list[MergeCandidate] = []
    for found, skipped_now in scored_batches(session, name_threshold=name_threshold, cap=block_cap):
        skipped += skipped_now
        pending.extend(found)
        if len(pending) >= _PAIRS_PER_PART:
            written += stored.store_candidates(session, pending, now)
            session.commit()
            pending.clear()
            parts += 1
    written += stored.store_candidates(session, pending, now)
    removed = stored.drop_not_computed_at(session, now)
    session.commit()
    parts += 1
    summary = RefreshSummary(written, removed, skipped, parts)
    _log.info(
        "merge candidates refreshed at %s: %d pairs written, %d removed, "
        "%d blocks over %d members skipped",
        now.isoformat(),
        written,
        removed,
        skipped,
        block_cap,
    )
    return summary


def stored_merge_candidates(
    session: Session,
    actor: Actor,
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
    limit: int = 50,
    offset: int = 0,
) -> list[MergeCandidate]:
    """A page of the stored list, best first, of pairs scoring ``name_threshold`` or
    more. The list holds what the last refresh found at ``DEFAULT_NAME_THRESHOLD``: a
    lower threshold finds no more pairs than that."""
    require(actor, actor.role.can_handle_orders, "look for duplicate customers")
    return stored.stored_page(session, min_score=name_threshold, limit=limit, offset=offset)
