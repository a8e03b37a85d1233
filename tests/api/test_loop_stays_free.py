"""On SQLite the API runs service calls on its event loop (DeskState.call). A write that
meets another process's long write (a sweep, an import) must not stall that loop: it is
run again in the thread pool and waits there, while the loop answers other requests."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.services.writer_support import add_team, migrated_sqlite, start_holder, team_names
from touchpoint.api.deps import DeskState
from touchpoint.services.auth import TokenSigner
from touchpoint.storage.db import make_engine, make_session_factory


@pytest.fixture
def url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path)


def test_a_write_waiting_for_another_process_leaves_the_loop_free(url: str) -> None:
    engine = make_engine(url)
    desk = DeskState(
        engine=engine,
        factory=make_session_factory(engine),
        signer=TokenSigner("test-secret"),
        clock=lambda: datetime.now(UTC),
        dispatcher=None,
        mail=None,
    )

    async def main() -> tuple[float, bool, float]:
        write = asyncio.create_task(desk.call(add_team, url, "waited"))
        started = time.monotonic()
        await asyncio.sleep(0.05)  # the loop's other work, while the write waits
        slept = time.monotonic() - started
        waiting = not write.done()
        await write
        return slept, waiting, time.monotonic() - started

    holder = start_holder(url, "long", 1.0)
    try:
        slept, waiting, total = asyncio.run(main())
    finally:
        holder.join(15)
        engine.dispose()
    assert holder.exitcode == 0
    assert slept < 0.5  # not held up for the holder's second
    assert waiting and total > 0.5  # the write itself did wait, in a thread
    assert {"long", "waited"} <= team_names(url)
