"""Customer merge and unmerge with a full undo trail; candidates from identities and names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import RuleViolation
from touchpoint.domain.merge import (
    HOLDING_KINDS,
    CustomerProfile,
    MergeCandidate,
    MergeRecord,
    apply_merge,
    apply_unmerge,
    merge_candidates,
)
from touchpoint.services.base import Actor, get_or_404, require, snapshot, write
from touchpoint.storage.models import (
    Contact,
    Customer,
    CustomerIdentity,
    MergeLog,
    Transaction,
    WorkOrder,
)

__all__ = ["find_merge_candidates", "list_merges", "merge_customers", "unmerge_customers"]

_MODELS: dict[str, type[Contact] | type[Transaction] | type[WorkOrder] | type[CustomerIdentity]] = {
    "contacts": Contact,
    "transactions": Transaction,
    "work_orders": WorkOrder,
    "identities": CustomerIdentity,
}


def find_merge_candidates(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    name_threshold: float = 88.0,
    limit: int = 50,
) -> list[MergeCandidate]:
    """Likely duplicates among customers not merged away (optionally involving one)."""
    require(actor, actor.role.can_handle_orders, "look for duplicate customers")
    customers = list(session.scalars(select(Customer).where(Customer.merged_into_id.is_(None))))
    idents: dict[int, set[tuple[IdentityKind, str]]] = {}
    for cid, kind, norm in session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.kind, CustomerIdentity.normalised)
    ):
        idents.setdefault(cid, set()).add((IdentityKind(kind), norm))
    profiles = [
        CustomerProfile(c.id, c.name, frozenset(idents.get(c.id, set()))) for c in customers
    ]
    found = merge_candidates(profiles, name_threshold=name_threshold)
    if customer_id is not None:
        found = [m for m in found if customer_id in (m.a_id, m.b_id)]
    return found[:limit]


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
        new_owners, record = apply_merge(
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
        unit.audit("customer", survivor.id, before=None, after=snapshot(log))
        unit.notify("customer.merged", {"survivor_id": survivor.id, "merged_id": merged.id})
        del new_owners
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
