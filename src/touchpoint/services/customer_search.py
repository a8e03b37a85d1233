"""Finding a customer by what an agent types: a fragment of a phone number, e-mail,
account number or social id, or part of a name (rules in
``touchpoint.domain.customer_search``), ranked exact > prefix > fragment and answered
from the search index (``touchpoint.storage.customer_search``). Read-only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.customer_search import search_plan
from touchpoint.domain.errors import DomainError
from touchpoint.services.base import Actor
from touchpoint.services.customer_view import CustomerView, customer_view
from touchpoint.storage.customer_search import matching_customer_ids
from touchpoint.storage.models import Customer

__all__ = ["ranked_customer_ids", "search_customers"]


def ranked_customer_ids(session: Session, q: str, *, limit: int) -> list[int]:
    """The first ``limit`` customers (not merged away) matching ``q``: exact matches,
    then prefix matches, then fragment matches, each by id; a customer counts once, at
    its best tier.

    Each tier asks the index for at most ``limit`` ids: a tier's earlier winners are
    among them at most once each, so it still yields every new id the page needs.
    """
    found: dict[int, None] = {}  # insertion-ordered set
    for tier in search_plan(q):
        if len(found) >= limit:
            break
        ids = matching_customer_ids(session, tier.names, tier.identities, limit=limit)
        found.update(dict.fromkeys(ids))
    return list(found)[:limit]


def search_customers(
    session: Session, actor: Actor, *, q: str = "", limit: int = 50, offset: int = 0
) -> list[CustomerView]:
    """Customers (not merged away) whose name or an identity matches ``q``, best match
    first, as ``actor`` may see them (contact details masked for analysts).

    Blank ``q`` lists every customer by id. Text too short for a fragment (an identity
    under four characters, a name under two) is still looked up as a whole value (and a
    one-character name as a name's start), so it answers an empty list rather than an
    error when nothing has that value.
    """
    if not 1 <= limit <= 500:
        raise DomainError(f"limit: {limit} must lie between 1 and 500")
    if offset < 0:
        raise DomainError(f"offset: {offset} must not be negative")
    if not q.strip():
        stmt = (
            select(Customer)
            .where(Customer.merged_into_id.is_(None))
            .order_by(Customer.id)
            .limit(limit)
            .offset(offset)
        )
        return [customer_view(c, actor) for c in session.scalars(stmt)]
    ids = ranked_customer_ids(session, q, limit=offset + limit)[offset:]
    if not ids:
        return []
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return [customer_view(rows[cid], actor) for cid in ids if cid in rows]
