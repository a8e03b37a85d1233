"""The stored list of merge candidates (``merge_candidates``): written in parts by the
background refresh, paged by the list routes, trimmed by merges.

A refresh stamps every pair it finds with its ``now`` (an upsert: a pair found again
keeps one row) and at its end deletes the rows it did not stamp: pairs of customers
merged away, renamed or otherwise no longer alike. Readers meanwhile see the previous
list with the new pairs coming in, never an empty table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from touchpoint.domain.merge import MergeCandidate, MergeReason
from touchpoint.storage.merge_models import StoredMergeCandidate
from touchpoint.storage.models import Customer

__all__ = [
    "count_stored",
    "drop_customers",
    "drop_not_computed_at",
    "store_candidates",
    "stored_page",
]

_ROW = StoredMergeCandidate
# The Core table: its upsert is a plain executemany, not an ORM bulk insert.
_TABLE = StoredMergeCandidate.metadata.tables[StoredMergeCandidate.__tablename__]
# Parameter sets per executemany call.
_ROWS_PER_INSERT = 2000


def store_candidates(session: Session, found: Iterable[MergeCandidate], now: datetime) -> int:
    """Insert or update the pairs ``found``, stamped ``computed_at=now``, in the
    session's transaction; returns the number of pairs written."""
    # One row per pair: an upsert may not touch the same row twice in one statement.
    rows = {
        (m.a_id, m.b_id): {
            "survivor_id": m.a_id,
            "merged_id": m.b_id,
            "score": m.score,
            "reasons": [r.as_json() for r in m.reasons],
            "computed_at": now,
        }
        for m in found
    }
    values = list(rows.values())
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    table = _TABLE
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.survivor_id, table.c.merged_id],
        set_={
            "score": stmt.excluded.score,
            "reasons": stmt.excluded.reasons,
            "computed_at": stmt.excluded.computed_at,
        },
    )
    # One statement with many parameter sets (executemany): compiled once and cached,
    # where a multi-row VALUES is compiled anew for every part (seconds per thousands).
    conn = session.connection()
    for i in range(0, len(values), _ROWS_PER_INSERT):
        conn.execute(upsert, values[i : i + _ROWS_PER_INSERT])
    return len(values)


def drop_not_computed_at(session: Session, now: datetime) -> int:
    """Delete the rows a refresh at ``now`` did not write; returns how many."""
    result = session.execute(
        delete(_ROW).where(_ROW.computed_at != now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def drop_customers(session: Session, customer_ids: Sequence[int]) -> None:
    """Delete every stored pair of ``customer_ids`` (a merge: the merged customer is in
    no pair any more)."""
    if customer_ids:
        session.execute(
            delete(_ROW).where(
                or_(_ROW.survivor_id.in_(customer_ids), _ROW.merged_id.in_(customer_ids))
            ),
            execution_options={"synchronize_session": False},
        )


def stored_page(
    session: Session, *, min_score: float, limit: int, offset: int
) -> list[MergeCandidate]:
    """One page of the stored list, best first (higher score, then lower ids), of the
    pairs scoring at least ``min_score`` whose customers are both live: a refresh under
    way when a merge dropped a pair may have written it again from what it read
    before."""
    survivor, merged = aliased(Customer), aliased(Customer)
    rows = session.execute(
        select(_ROW.survivor_id, _ROW.merged_id, _ROW.score, _ROW.reasons)
        .join(survivor, survivor.id == _ROW.survivor_id)
        .join(merged, merged.id == _ROW.merged_id)
        .where(
            _ROW.score >= min_score,
            survivor.merged_into_id.is_(None),
            merged.merged_into_id.is_(None),
        )
        .order_by(_ROW.score.desc(), _ROW.survivor_id, _ROW.merged_id)
        .limit(limit)
        .offset(offset)
    )
    return [
        MergeCandidate(a, b, float(score), tuple(MergeReason.from_json(r) for r in reasons))
        for a, b, score, reasons in rows
    ]


def count_stored(session: Session) -> int:
    """Number of stored pairs (tests, benches)."""
    return int(session.scalar(select(func.count()).select_from(_ROW)) or 0)
