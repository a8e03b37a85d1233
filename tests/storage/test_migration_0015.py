"""Revision 0015 fills the new survey columns of the rows already stored: each answer's
whole-number CSAT and NPS (text, decimals and booleans are no score), each order's
invitation its team and agent (the assignee, else the owner)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.storage.support import BACKENDS, Database, open_database, team_orders
from touchpoint.storage.migrate import upgrade

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, revision="0014")


def test_existing_answers_and_invitations_get_their_board_columns(old_db: Database) -> None:
    team, _owner, assignee, (order,) = team_orders(old_db, 1, T)
    answers = ['{"CSAT": 2, "NPS": 9}', '{"CSAT": "2", "NPS": 7.5}', '{"NPS": true}', "{}"]
    with old_db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO surveys (id, name, definition, created_at, updated_at, version) "
                "VALUES (1, 's', '{}', :t, :t, 1)"
            ),
            {"t": T},
        )
        c.execute(
            text(
                "INSERT INTO survey_waves (id, survey_id, survey_version, name, "
                "expires_in_days, competitor, status, kiosk_key, created_at, version) "
                "VALUES (1, 1, 1, 'w', 14, '', 'open', 'k', :t, 1)"
            ),
            {"t": T},
        )
        for i, (work_order, nonce) in enumerate(((order, "a"), (None, "b")), start=1):
            c.execute(
                text(
                    "INSERT INTO survey_invitations (id, wave_id, channel, address, nonce, "
                    "status, touchpoint, context, created_at, expires_at, work_order_id) "
                    "VALUES (:i, 1, 'email', '', :n, 'sent', '', '{}', :t, :t, :o)"
                ),
                {"i": i, "n": nonce, "t": T, "o": work_order},
            )
        for i, document in enumerate(answers, start=1):
            c.execute(
                text(
                    "INSERT INTO survey_responses (id, wave_id, survey_version, channel, "
                    "touchpoint, answers, segments, submitted_at) "
                    "VALUES (:i, 1, 1, 'link', '', :a, '{}', :t)"
                ),
                {"i": i, "a": document, "t": T},
            )
    upgrade(old_db.url)
    with old_db.engine.connect() as c:
        scores = c.execute(text("SELECT csat, nps FROM survey_responses ORDER BY id")).all()
        invited = c.execute(
            text("SELECT team_id, agent_id FROM survey_invitations ORDER BY id")
        ).all()
    assert [tuple(row) for row in scores] == [(2, 9), (None, None), (None, None), (None, None)]
    assert [tuple(row) for row in invited] == [(team, assignee), (None, None)]
