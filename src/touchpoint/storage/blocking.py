"""The blocking keys of customers in the database (merge candidates).

``customer_blocking_keys`` holds ``domain.blocking.blocking_keys`` of every live
customer. Writes replace a customer's keys from its stored name and identities, in the
caller's transaction; reads give one customer's blocks (bounded by the cap) or stream
every block in key order, so that no caller loads the customer table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from touchpoint.domain.blocking import blocking_keys
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.merge import CustomerProfile
from touchpoint.storage.merge_models import CustomerBlockingKey
from touchpoint.storage.models import Customer, CustomerIdentity

__all__ = [
    "Block",
    "block_members",
    "block_sizes",
    "blocks_in_key_order",
    "count_keys",
    "customer_keys",
    "desk_size",
    "live_profiles",
    "rebuild_blocking_keys",
    "refresh_blocking_keys",
    "shared_blocks",
]

# Ids per IN list: well under SQLite's 32,766 bound variables and PostgreSQL's 65,535.
_CHUNK = 900
_KEYS = CustomerBlockingKey
_T = TypeVar("_T")


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def live_profiles(conn: Connection | Session, ids: Iterable[int]) -> dict[int, CustomerProfile]:
    """Name and normalised identities of the customers ``ids`` not merged away."""
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    idents: dict[int, set[tuple[IdentityKind, str]]] = {}
    for chunk in _chunks(wanted):
        for cid, name in conn.execute(
            select(Customer.id, Customer.name).where(
                Customer.id.in_(chunk), Customer.merged_into_id.is_(None)
            )
        ):
            names[cid] = name
            idents[cid] = set()
        for cid, kind, norm in conn.execute(
            select(
                CustomerIdentity.customer_id, CustomerIdentity.kind, CustomerIdentity.normalised
            ).where(CustomerIdentity.customer_id.in_(chunk))
        ):
            if cid in idents:
                idents[cid].add((IdentityKind(kind), norm))
    return {cid: CustomerProfile(cid, names[cid], frozenset(idents[cid])) for cid in names}


def _key_rows(profiles: Iterable[CustomerProfile]) -> list[dict[str, object]]:
    return [
        {"customer_id": p.id, "key": key}
        for p in profiles
        for key in sorted(blocking_keys(p.name, p.identities))
    ]


def refresh_blocking_keys(session: Session, customer_ids: Iterable[int]) -> None:
    """Rewrite the keys of ``customer_ids`` from their stored name and identities, in
    the session's transaction; a customer merged away is left without keys.

    Pending ORM changes are flushed first, so that the keys see them.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return
    session.flush()
    for chunk in _chunks(ids):
        # No key row is ever loaded as an object: nothing in the session to synchronise.
        session.execute(
            delete(_KEYS).where(_KEYS.customer_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    rows = _key_rows(live_profiles(session, ids).values())
    if rows:
        session.execute(insert(_KEYS), rows)


def rebuild_blocking_keys(conn: Connection, *, batch: int = 2000) -> int:
    """Replace every key with those of the live customers, ``batch`` customers at a
    time (memory stays bounded on a large desk); returns the number of keys written.

    Revision 0005 runs it on existing databases; it can run again at any time.
    """
    conn.execute(delete(_KEYS))
    written, last = 0, 0
    while True:
        ids = list(
            conn.scalars(
                select(Customer.id)
                .where(Customer.id > last, Customer.merged_into_id.is_(None))
                .order_by(Customer.id)
                .limit(batch)
            )
        )
        if not ids:
            return written
        rows = _key_rows(live_profiles(conn, ids).values())
        if rows:
            conn.execute(insert(_KEYS), rows)
        written += len(rows)
        last = ids[-1]


def customer_keys(session: Session, customer_id: int) -> list[str]:
    """The blocking keys of one customer."""
    return list(
        session.scalars(
            select(_KEYS.key).where(_KEYS.customer_id == customer_id).order_by(_KEYS.key)
        )
    )


def block_members(session: Session, key: str, *, cap: int) -> list[int] | None:
    """Customer ids sharing ``key``, or None when the block has more than ``cap``
    members: at most ``cap + 1`` index entries are read either way."""
    ids = list(
        session.scalars(
            select(_KEYS.customer_id)
            .where(_KEYS.key == key)
            .order_by(_KEYS.customer_id)
            .limit(cap + 1)
        )
    )
    return None if len(ids) > cap else ids


@dataclass(frozen=True, slots=True)
class Block:
    """A blocking key with its members; ``members`` is empty when ``size`` is over the
    cap the blocks were read with."""

    key: str
    size: int
    members: tuple[int, ...]


def blocks_in_key_order(
    session: Session, *, cap: int, rows_per_fetch: int = 10_000
) -> Iterator[Block]:
    """Every block of two or more members, in key order: the rows are read
    ``rows_per_fetch`` at a time, each page a query of its own after the last row read
    (keyset on the key index), so no cursor stays open between pages and the caller may
    commit while it iterates (the background refresh writes in parts). Members of a
    block over ``cap`` are counted, not kept."""
    key: str | None = None
    size = 0
    members: list[int] = []
    after: tuple[str, int] | None = None
    while True:
        stmt = select(_KEYS.key, _KEYS.customer_id)
        if after is not None:
            stmt = stmt.where(tuple_(_KEYS.key, _KEYS.customer_id) > tuple_(*after))
        rows = session.execute(
            stmt.order_by(_KEYS.key, _KEYS.customer_id).limit(rows_per_fetch)
        ).all()
        for row_key, cid in rows:
            if row_key != key:
                if key is not None and size > 1:
                    yield Block(key, size, tuple(members) if size <= cap else ())
                key, size, members = row_key, 0, []
            size += 1
            if size <= cap:
                members.append(cid)
        if len(rows) < rows_per_fetch:
            break
        after = (rows[-1][0], rows[-1][1])
    if key is not None and size > 1:
        yield Block(key, size, tuple(members) if size <= cap else ())


def block_sizes(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """The number of customers holding each of ``keys`` (the names' frequencies of
    ``domain.match_weights``); keys nobody holds are left out. One grouped, indexed
    count per ``_CHUNK`` keys."""
    sizes: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys))):
        for key, size in session.execute(
            select(_KEYS.key, func.count()).where(_KEYS.key.in_(chunk)).group_by(_KEYS.key)
        ):
            sizes[key] = int(size)
    return sizes


def desk_size(session: Session) -> int:
    """The number of customers the desk's frequencies are taken over: the highest
    customer id, one index read (customers merged away still count, a hair)."""
    return int(session.scalar(select(func.max(Customer.id))) or 0)


def shared_blocks(session: Session, prefix: str, *, cap: int) -> Iterator[Block]:
    """Every block of two or more members whose key starts with ``prefix``, in key
    order: the sizes come from one grouped scan of the key index over the prefix's
    range, the members of blocks up to ``cap`` from indexed reads of ``_CHUNK`` keys at
    a time; a block over ``cap`` comes with its size and no members."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    # A prefix is a range in byte order only: SQLite compares keys as bytes (BINARY),
    # PostgreSQL by the database's collation, where en_US ignores the ``:`` and the
    # range would miss keys; "C" is byte order there (a scan instead of the index).
    postgresql = session.get_bind().dialect.name == "postgresql"
    ordered: ColumnElement[str] = _KEYS.key.collate("C") if postgresql else _KEYS.key.expression
    sized = session.execute(
        select(_KEYS.key, func.count())
        .where(ordered >= prefix, ordered < upper)
        .group_by(_KEYS.key)
        .having(func.count() > 1)
        .order_by(_KEYS.key)
    ).all()
    for i in range(0, len(sized), _CHUNK):
        part = sized[i : i + _CHUNK]
        members: dict[str, list[int]] = {}
        small = [key for key, size in part if size <= cap]
        if small:
            for key, cid in session.execute(
                select(_KEYS.key, _KEYS.customer_id)
                .where(_KEYS.key.in_(small))
                .order_by(_KEYS.key, _KEYS.customer_id)
            ):
                members.setdefault(key, []).append(cid)
        for key, size in part:
            yield Block(key, int(size), tuple(members.get(key, ())))


def count_keys(session: Session) -> int:
    """Number of key rows (for tests and benches)."""
    return int(session.scalar(select(func.count()).select_from(_KEYS)) or 0)
