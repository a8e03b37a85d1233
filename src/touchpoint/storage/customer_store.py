"""How an import writes many new customers at once: rows of a few hundred per statement
instead of an object and a flush per customer, which costs the unit of work per row
(an import of a utility's customer file holds the writer lock while it runs). Their
blocking keys come computed (before the write began) and are inserted beside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from touchpoint.storage.merge_models import CustomerBlockingKey
from touchpoint.storage.models import Customer, CustomerIdentity

__all__ = ["NewCustomer", "insert_customers"]

#: Customers per INSERT statement (each a batch of rows, and its identities after it).
BATCH = 500

_CUSTOMERS = Customer.metadata.tables[Customer.__tablename__]
_IDENTITIES = CustomerIdentity.metadata.tables[CustomerIdentity.__tablename__]
_INSERT_CUSTOMERS = insert(_CUSTOMERS).returning(_CUSTOMERS.c.id, sort_by_parameter_order=True)
_INSERT_IDENTITIES = insert(_IDENTITIES)
_INSERT_KEYS = insert(CustomerBlockingKey)


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer to insert: its columns (every one but ``id``, ``version`` and the
    hostage rule's), its identities as ``(kind, value, normalised)`` and its blocking
    keys (``domain.blocking.blocking_keys`` of its name and identities)."""

    values: dict[str, Any]
    identities: Sequence[tuple[str, str, str]]
    keys: Sequence[str]


def insert_customers(session: Session, customers: Sequence[NewCustomer]) -> list[int]:
    """Insert ``customers`` with their identities and blocking keys in the session's
    transaction; their new ids, in the order given. Nothing is loaded into the session."""
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
        keys = [
            {"customer_id": cid, "key": key}
            for cid, customer in zip(ids, batch, strict=True)
            for key in customer.keys
        ]
        if keys:
            connection.execute(_INSERT_KEYS, keys)
        created += ids
    return created
