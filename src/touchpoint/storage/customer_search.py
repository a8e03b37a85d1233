"""The customer search index: which customers match a tier's patterns
(``touchpoint.domain.customer_search``), answered from an index, never a scan.

* **SQLite**: two FTS5 tables (``tokenize='trigram'``), one row per customer with
  ``rowid`` = customer id: :data:`NAME_TABLE` holds the name, :data:`IDENTITY_TABLE`
  every normalised identity, each value between the :data:`START` and :data:`END`
  markers. The markers turn "starts with" and "ends with" into plain substrings the
  trigram index can find (``START + '王'`` is a trigram), and keep a fragment from
  running from one identity into the next. Triggers on ``customers`` and
  ``customer_identities`` (revision 0006) keep them current on every write path, ORM or
  Core. A migration that rebuilds either table (Alembic's SQLite batch mode copies and
  drops it) must create those triggers again.
* **PostgreSQL**: ``pg_trgm`` GIN indexes on ``customers.name`` and
  ``customer_identities.normalised`` answer ``LIKE``/``ILIKE`` fragments, a
  ``text_pattern_ops`` B-tree on ``normalised`` answers prefixes (revision 0006).
* On both, an identity equal to the typed text is looked up in the B-tree index
  ``ix_customer_identities_lookup``.

None of these is a model: FTS5 tables are virtual tables, the GIN indexes need an
operator class from an extension. :func:`is_search_index` names them so that Alembic's
comparison of models and database leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select, text
from sqlalchemy.orm import Session

from touchpoint.domain.customer_search import Pattern
from touchpoint.domain.customers import IdentityKind
from touchpoint.storage.models import Customer, CustomerIdentity

__all__ = [
    "END",
    "IDENTITY_TABLE",
    "NAME_TABLE",
    "START",
    "is_search_index",
    "matching_customer_ids",
]

#: SQLite's FTS5 tables of names and of identities.
NAME_TABLE = "customer_name_search"
IDENTITY_TABLE = "customer_identity_search"
#: Markers around each indexed value (two characters, so that one typed character plus
#: the marker is a trigram). Control characters: a query never holds them.
START = "\x02\x02"
END = "\x03\x03"

# FTS5 keeps a virtual table's index in these shadow tables.
_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
_POSTGRESQL_INDEXES = frozenset(
    {
        "ix_customers_name_trgm",
        "ix_customer_identities_normalised_trgm",
        "ix_customer_identities_normalised_prefix",
    }
)
_SEARCH_TABLES = frozenset(
    f"{table}{suffix}"
    for table in (NAME_TABLE, IDENTITY_TABLE)
    for suffix in ("", *(f"_{shadow}" for shadow in _FTS5_SHADOWS))
)


def is_search_index(name: str | None, type_: str) -> bool:
    """Whether a database object is part of the search index (made by revision 0006,
    not by a model), which Alembic's ``include_name`` hook is to leave out."""
    if type_ == "table":
        return name in _SEARCH_TABLES
    if type_ == "index":
        return name in _POSTGRESQL_INDEXES
    return False


def _fts_phrase(pattern: Pattern) -> str:
    """An FTS5 phrase; the markers anchor it, ``"`` is doubled."""
    body = (START if pattern.at_start else "") + pattern.text + (END if pattern.at_end else "")
    return '"' + body.replace('"', '""') + '"'


def _whole(pattern: Pattern) -> bool:
    return pattern.at_start and pattern.at_end


def _by_whole_identity(values: list[str], limit: int) -> Select[int]:
    """Customers with an identity equal to one of ``values``: the B-tree index
    ``ix_customer_identities_lookup`` (kind, normalised) answers it at once, where a
    trigram index would read the long lists of common trigrams (``\x02\x021`` starts
    every mobile number)."""
    return (
        select(CustomerIdentity.customer_id)
        .join(Customer, Customer.id == CustomerIdentity.customer_id)
        .where(
            CustomerIdentity.kind.in_([k.value for k in IdentityKind]),
            CustomerIdentity.normalised.in_(values),
            Customer.merged_into_id.is_(None),
        )
        .order_by(CustomerIdentity.customer_id)
        .limit(limit)
    )


def _fts_source(table: str, patterns: Sequence[Pattern], limit: int) -> Any:
    """Customers whose row of the FTS5 ``table`` matches one of ``patterns``. FTS5 yields
    matches in rowid (customer id) order, so LIMIT stops the scan early."""
    stmt = text(
        f"SELECT s.rowid FROM {table} AS s JOIN customers AS c ON c.id = s.rowid"  # noqa: S608 (a module constant)
        f" WHERE {table} MATCH :expr AND c.merged_into_id IS NULL"
        " ORDER BY s.rowid LIMIT :limit"
    )
    return stmt.bindparams(expr=" OR ".join(_fts_phrase(p) for p in patterns), limit=limit)


def _like(pattern: Pattern) -> str:
    """A LIKE pattern, ``\\``, ``%`` and ``_`` escaped with ``\\``."""
    body = pattern.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ("" if pattern.at_start else "%") + body + ("" if pattern.at_end else "%")


def _trigram_sources(
    names: Sequence[Pattern], identities: Sequence[Pattern], limit: int
) -> list[Select[int]]:
    """One statement per table, each ordered by customer id and LIMITed: the planner
    then walks the id index when matches are dense (``163.com``) and reads the trigram
    GIN index when they are rare, instead of sorting every match."""
    out = []
    if names:
        out.append(
            select(Customer.id)
            .where(
                Customer.merged_into_id.is_(None),
                or_(*[Customer.name.ilike(_like(p), escape="\\") for p in names]),
            )
            .order_by(Customer.id)
            .limit(limit)
        )
    if identities:
        likes = [CustomerIdentity.normalised.like(_like(p), escape="\\") for p in identities]
        out.append(
            select(CustomerIdentity.customer_id)
            .join(Customer, Customer.id == CustomerIdentity.customer_id)
            .where(Customer.merged_into_id.is_(None), or_(*likes))
            .order_by(CustomerIdentity.customer_id)
            .limit(limit)
        )
    return out


def matching_customer_ids(
    session: Session,
    names: Sequence[Pattern],
    identities: Sequence[Pattern],
    *,
    limit: int,
) -> list[int]:
    """Ids of customers (not merged away) whose name matches one of ``names`` or who
    have an identity matching one of ``identities``: at most ``limit``, ascending.

    Name patterns match case-insensitively; identity patterns are compared with the
    normalised values. Each pattern needs at least three characters counting its
    anchors (``search_plan`` makes only such patterns).
    """
    whole = [p.text for p in identities if _whole(p)]
    partial = [p for p in identities if not _whole(p)]
    sources: list[Any] = [_by_whole_identity(whole, limit)] if whole else []
    if session.get_bind().dialect.name == "sqlite":
        for table, patterns in ((NAME_TABLE, names), (IDENTITY_TABLE, partial)):
            if patterns:
                sources.append(_fts_source(table, patterns, limit))
    else:
        sources += _trigram_sources(names, partial, limit)
    found: set[int] = set()
    for stmt in sources:
        found.update(int(cid) for (cid,) in session.execute(stmt))
    return sorted(found)[:limit]
