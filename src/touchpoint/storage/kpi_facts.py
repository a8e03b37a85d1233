"""How the KPI board's one large read is planned on PostgreSQL.

The board reads a period's stored order facts in one statement
(``services.kpi_tallies``): a year at a large desk is a million rows of an index read
and aggregated. PostgreSQL's defaults serve small queries: their cost estimate makes it
compile this one with JIT first (over a second of compiling at 1,000,000 orders, for a
query that then runs in a fraction of that), and a random page priced at four
sequential ones makes it read a short period's rows by scanning the whole table rather
than by their index. The memory for hashes and sorts is raised for the same read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["BULK_READ_WORK_MEM", "planned_for_bulk_read"]

#: Memory PostgreSQL may give each hash or sort of the board's read.
BULK_READ_WORK_MEM: Final = "64MB"

# The settings of the read: no JIT; memory for its hash join and aggregates; and index
# lookups priced as on a cached or solid-state database (a month's orders then find
# their facts by key instead of hashing the facts of every order).
_SETTINGS: Final = {"jit": "off", "work_mem": BULK_READ_WORK_MEM, "random_page_cost": "1.1"}


@contextmanager
def planned_for_bulk_read(session: Session) -> Iterator[None]:
    """Within the block, statements on PostgreSQL run without JIT, with
    :data:`BULK_READ_WORK_MEM` and with index lookups priced as cheap; the settings go
    back to what they were after it. They are set for the transaction only
    (``set_config(..., true)``): a block that raises leaves them to the rollback that
    follows. Elsewhere a no-op."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = ", ".join(f"current_setting('{name}')" for name in _SETTINGS)
    saved = session.execute(text(f"SELECT {names}")).one()
    _set(session, _SETTINGS)
    yield
    _set(session, dict(zip(_SETTINGS, saved, strict=True)))


def _set(session: Session, values: dict[str, str]) -> None:
    """Set each setting for the transaction only."""
    calls = ", ".join(f"set_config('{name}', :{name}, true)" for name in values)
    session.execute(text(f"SELECT {calls}"), values)
