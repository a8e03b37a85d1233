"""The customer search index: which customers match a tier's patterns
(``touchpoint.domain.customer_search``), answered from a trigram index, never a scan.

* **SQLite**: the FTS5 table ``customer_search`` (``tokenize='trigram'``), one row per
  customer with ``rowid`` = customer id, column ``name`` = the name and column
  ``identities`` = every normalised identity, each value wrapped in :data:`START` and
  :data:`END` markers. The markers turn "starts with" and "ends with" into plain
  substrings the trigram index can find (``START + '王'`` is a trigram), and keep a
  fragment from running from one identity into the next. Triggers on ``customers`` and
  ``customer_identities`` (revision 0006) keep it current on every write path, ORM or
  Core. A migration that rebuilds either table (Alembic's SQLite batch mode copies and
  drops it) must create those triggers again.
* **PostgreSQL**: ``pg_trgm`` GIN indexes on ``customers.name`` and
  ``customer_identities.normalised`` (revision 0006) answer ``LIKE``/``ILIKE``.

Neither is a model: the FTS5 table is a virtual table, the GIN indexes need an operator
class from an extension. :func:`is_search_index` names them so that Alembic's
comparison of models and database leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, select, text, union
from sqlalchemy.orm import Session

from touchpoint.domain.customer_search import Pattern
from touchpoint.storage.models import Customer, CustomerIdentity

__all__ = [
    "END",
    "SEARCH_TABLE",
    "START",
    "is_search_index",
    "matching_customer_ids",
]

#: The FTS5 table of SQLite's search index.
SEARCH_TABLE = "customer_search"
#: Markers around each indexed value (two characters, so that one typed character plus
#: the marker is a trigram). Control characters: a query never holds them.
START = "\x02\x02"
END = "\x03\x03"

# FTS5 keeps a virtual table's index in these shadow tables.
_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
_TRIGRAM_INDEXES = frozenset({"ix_customers_name_trgm", "ix_customer_identities_normalised_trgm"})
_SEARCH_TABLES = frozenset({SEARCH_TABLE, *(f"{SEARCH_TABLE}_{s}" for s in _FTS5_SHADOWS)})


def is_search_index(name: str | None, type_: str) -> bool:
    """Whether a database object is part of the search index (made by revision 0006,
    not by a model): for Alembic's ``include_name`` hook, which keeps what it rejects."""
    if type_ == "table":
        return name in _SEARCH_TABLES
    if type_ == "index":
        return name in _TRIGRAM_INDEXES
    return False


def _fts_phrase(column: str, pattern: Pattern) -> str:
    """An FTS5 column filter and phrase; the markers anchor it, ``"`` is doubled."""
    body = (START if pattern.at_start else "") + pattern.text + (END if pattern.at_end else "")
    return f'{column} : "{body.replace(chr(34), chr(34) * 2)}"'


def _sqlite_ids(
    session: Session, names: Sequence[Pattern], identities: Sequence[Pattern], limit: int
) -> list[int]:
    phrases = [_fts_phrase("name", p) for p in names]
    phrases += [_fts_phrase("identities", p) for p in identities]
    # FTS5 yields matches in rowid (customer id) order, so LIMIT stops the scan early.
    stmt = text(
        f"SELECT s.rowid FROM {SEARCH_TABLE} AS s JOIN customers AS c ON c.id = s.rowid"  # noqa: S608 (a module constant)
        f" WHERE {SEARCH_TABLE} MATCH :expr AND c.merged_into_id IS NULL"
        " ORDER BY s.rowid LIMIT :limit"
    )
    rows = session.execute(stmt, {"expr": " OR ".join(phrases), "limit": limit})
    return [int(cid) for (cid,) in rows]


def _like(pattern: Pattern) -> str:
    """A LIKE pattern, ``\\``, ``%`` and ``_`` escaped with ``\\``."""
    body = pattern.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ("" if pattern.at_start else "%") + body + ("" if pattern.at_end else "%")


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def _trigram_ids(
    session: Session, names: Sequence[Pattern], identities: Sequence[Pattern], limit: int
) -> list[int]:
    by_name = select(Customer.id).where(
        _any([Customer.name.ilike(_like(p), escape="\\") for p in names])
    )
    by_identity = select(CustomerIdentity.customer_id).where(
        _any([CustomerIdentity.normalised.like(_like(p), escape="\\") for p in identities])
    )
    matched = union(by_name, by_identity).subquery()
    stmt = (
        select(Customer.id)
        .where(Customer.merged_into_id.is_(None), Customer.id.in_(select(matched.c[0])))
        .order_by(Customer.id)
        .limit(limit)
    )
    return [int(cid) for cid in session.scalars(stmt)]


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
    if not names and not identities:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_ids(session, names, identities, limit)
    return _trigram_ids(session, names, identities, limit)
