"""Revision 0020: the service-recovery SLA policy and the desk's return-visit survey, till
then found by their names, get their purpose, so that renaming them no longer makes the
closed loop create others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.storage.support import BACKENDS, Database, open_database
from touchpoint.storage.migrate import upgrade

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, revision="0019")


def test_the_rows_the_names_found_get_their_purpose(old_db: Database) -> None:
    with old_db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO sla_calendars (id, name, definition, version) "
                "VALUES (1, 'cal', '{}', 1)"
            )
        )
        for pid, name in ((1, "服务补救 Service recovery"), (2, "Complaints")):
            c.execute(
                text(
                    "INSERT INTO sla_policies (id, name, definition, calendar_id, rank, types, "
                    "priorities, customer_classes, channels, warn_share, active, version) "
                    "VALUES (:id, :n, '{}', 1, 100, '[]', '[]', '[]', '[]', 0.8, :a, 1)"
                ),
                {"id": pid, "n": name, "a": pid == 2},
            )
        visit = "回访 Return visit"
        surveys = ((1, visit, "servqual"), (2, visit, "return-visit"), (3, visit, "return-visit"),
                   (4, "Hotel", "return-visit"))  # fmt: skip
        for sid, name, template in surveys:
            c.execute(
                text(
                    "INSERT INTO surveys (id, name, template, definition, created_at, "
                    "updated_at, version) VALUES (:id, :n, :tp, '{}', :t, :t, 1)"
                ),
                {"id": sid, "n": name, "tp": template, "t": T},
            )
    upgrade(old_db.url)
    with old_db.engine.connect() as c:
        policies = c.execute(text("SELECT id, purpose FROM sla_policies ORDER BY id")).all()
        found = c.execute(text("SELECT id, purpose FROM surveys ORDER BY id")).all()
    assert [tuple(r) for r in policies] == [(1, "service_recovery"), (2, None)]
    assert [tuple(r) for r in found] == [(1, None), (2, "return_visit"), (3, None), (4, None)]
