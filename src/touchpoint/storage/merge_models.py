"""SQLAlchemy models of customer merging (``services.merge``, ``services.merge_refresh``):
the blocking keys that pair merge candidates, the stored list of candidates the
background refresh found, and the undo trail of each merge. Declared apart from the
desk's other models, on the same metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from touchpoint.storage.models import Base, JsonDict

__all__ = ["CustomerBlockingKey", "MergeLog", "StoredMergeCandidate"]


class MergeLog(Base):
    """The undo trail of a customer merge: rows moved, per kind."""

    __tablename__ = "merge_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    moved: Mapped[JsonDict]
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    undone_at: Mapped[datetime | None]


class CustomerBlockingKey(Base):
    """A blocking key of a live customer (``domain.blocking``): customers sharing a key
    are compared as merge candidates. Rewritten with the customer's name and identities
    in the same write; a customer merged away has none.

    The primary key (customer_id, key) is the customer's index; ``ix_…_key`` finds a
    block's members without reading the rows.
    """

    __tablename__ = "customer_blocking_keys"
    __table_args__ = (Index("ix_customer_blocking_keys_key", "key", "customer_id"),)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)


class StoredMergeCandidate(Base):
    """A pair of the whole merge-candidate list, as the background refresh last found it
    (``services.merge_refresh``): the suggested survivor (the lower id), the customer to
    merge into it, the 0–100 score, the reasons (``MergeReason.as_json``) and when the
    pair was scored. Pairs not found again are deleted at the end of each refresh; a
    merge deletes the pairs of the customer it merged away at once.

    ``ix_…_rank`` serves the list's order (score, then ids); ``ix_…_merged_id`` the
    deletes by customer (the primary key serves ``survivor_id``).
    """

    __tablename__ = "merge_candidates"
    __table_args__ = (Index("ix_merge_candidates_merged_id", "merged_id"),)
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    merged_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float]
    reasons: Mapped[list[Any]]
    computed_at: Mapped[datetime]


# In the list's order (score descending, then ids ascending), so that a page is read from
# the index instead of sorting every stored pair (1 s at 1,000,000 pairs).
Index(
    "ix_merge_candidates_rank",
    StoredMergeCandidate.score.desc(),
    StoredMergeCandidate.survivor_id,
    StoredMergeCandidate.merged_id,
)
