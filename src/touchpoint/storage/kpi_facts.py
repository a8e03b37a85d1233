"""How the KPI board's one large read is planned on PostgreSQL.

The board reads a period's orders joined to their stored facts in one statement
(``services.kpi_tallies``): a year at a large desk is a million rows joined, filtered
and counted. PostgreSQL's defaults serve small queries: their cost estimate makes it
compile this one with JIT first (1.6 s of compiling at 1,000,000 orders, for a query
that then runs in a fraction of that), and 4 MB of ``work_mem`` make its hash join
spill to temporary files in 16 batches.
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


@contextmanager
def planned_for_bulk_read(session: Session) -> Iterator[None]:
    """Within the block, statements on PostgreSQL run without JIT and with
    :data:`BULK_READ_WORK_MEM`; both settings go back to what they were after it. They
    are set for the transaction only (``set_config(..., true)``): a block that raises
    leaves them to the rollback that follows. Elsewhere a no-op."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    saved = session.execute(
        text("SELECT current_setting('jit'), current_setting('work_mem')")
    ).one()
    session.execute(
        text("SELECT set_config('jit', 'off', true), set_config('work_mem', :mem, true)"),
        {"mem": BULK_READ_WORK_MEM},
    )
    yield
    session.execute(
        text("SELECT set_config('jit', :jit, true), set_config('work_mem', :mem, true)"),
        {"jit": saved[0], "mem": saved[1]},
    )
