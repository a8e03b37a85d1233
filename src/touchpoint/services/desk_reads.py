"""Reads the desk's pages need beyond the use-case services' own: an order's return
visits, and several customers at once as the viewer may see them.

Read-only: these functions never write, audit or notify.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.services.base import Actor
from touchpoint.services.customers import CustomerView, customer_view
from touchpoint.storage.models import Customer, ReturnVisit

__all__ = ["customer_views", "return_visits"]


def return_visits(session: Session, order_id: int) -> list[ReturnVisit]:
    """The return visits (回访) recorded on order ``order_id``, oldest first.

    The caller has already checked that the viewer may see the order.
    """
    stmt = select(ReturnVisit).where(ReturnVisit.work_order_id == order_id).order_by(ReturnVisit.id)
    return list(session.scalars(stmt))


def customer_views(
    session: Session, actor: Actor, customer_ids: Iterable[int]
) -> dict[int, CustomerView]:
    """The customers in ``customer_ids`` by id, merged ones included, with identities
    masked when ``actor`` may not see contact details; unknown ids are left out."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Customer).where(Customer.id.in_(ids)))
    return {c.id: customer_view(c, actor) for c in rows}
