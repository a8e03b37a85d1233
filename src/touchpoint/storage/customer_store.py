"""How an import writes many new customers at once: rows of a few hundred per statement
instead of an object and a flush per customer, which costs the unit of work per row
(an import of a utility's customer file holds the writer lock while it runs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from touchpoint.storage.models import Customer, CustomerIdentity

__all__ = ["NewCustomer", "insert_customers"]

#: Customers per INSERT statement (each a batch of rows, and its identities after it).
BATCH = 500

_CUSTOMERS = Customer.metadata.tables[Customer.__tablename__]
_IDENTITIES = CustomerIdentity.metadata.tables[CustomerIdentity.__tablename__]
_INSERT_CUSTOMERS = insert(_CUSTOMERS).returning(_CUSTOMERS.c.id, sort_by_parameter_order=True)
_INSERT_IDENTITIES = insert(_IDENTITIES)


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer to insert: its columns (every one but ``id``, ``version`` and the
    hostage rule's) and its identities as ``(kind, value, normalised)``."""

    values: dict[str, Any]
    identities: Sequence[tuple[str, str, str]]


def insert_customers(session: Session, customers: Sequence[NewCustomer]) -> list[int]:
    """Insert ``customers`` with their identities in the session's transaction; their
    new ids, in the order given. Nothing is loaded into the session."""
    created: list[int] = []
    connection = session.connection()
    for start in range(0, len(customers), BATCH):
        batch = customers[start : start + BATCH]
        rows = [{**c.values, "version": 1} for c in batch]
        ids = [int(i) for i in connection.execute(_INSERT_CUSTOMERS, rows).scalars()]
        identities = [
            {"customer_id": cid, "kind": kind, "value": value, "normalised": normalised}
            for cid, customer in zip(ids, batch, strict=True)
            for kind, value, normalised in customer.identities
        ]
        if identities:
            connection.execute(_INSERT_IDENTITIES, identities)
        created += ids
    return created
