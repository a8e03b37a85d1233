"""Revision 0019: the recovery indexes of work orders hold only set values; the unique
one still refuses a second recovery order for one survey answer, and orders without one
are many."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from tests.storage.support import BACKENDS, Database, open_database, team_orders
from touchpoint.storage.migrate import upgrade

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, revision="0018")


def _answer(c: Connection, order_id: int, response_id: int) -> None:
    c.execute(
        text("UPDATE work_orders SET origin_response_id = :r, recovery_of = 1 WHERE id = :o"),
        {"r": response_id, "o": order_id},
    )


def test_the_recovery_indexes_refuse_a_second_order_for_one_answer(old_db: Database) -> None:
    _team, _owner, _assignee, (first, second, third) = team_orders(old_db, 3, T)
    with old_db.engine.begin() as c:
        _answer(c, first, 7)
    upgrade(old_db.url)
    with old_db.engine.begin() as c:
        _answer(c, second, 8)
        found = c.execute(text("SELECT id FROM work_orders WHERE origin_response_id = 7"))
        assert found.scalars().all() == [first]
    with pytest.raises(IntegrityError), old_db.engine.begin() as c:
        _answer(c, third, 7)
    with old_db.engine.connect() as c:
        unset = c.execute(text("SELECT count(*) FROM work_orders WHERE origin_response_id IS NULL"))
        assert unset.scalar() == 1
