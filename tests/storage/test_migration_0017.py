"""Revision 0017: a survey renamed before it stored renames' definitions gets the
missing versions, each with the definition the rename kept, so that waves opened on
them can be answered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.storage.support import BACKENDS, Database, open_database
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.survey_models import SurveyVersion

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_V1 = '{"title": "first", "questions": []}'
_V2 = '{"title": "second", "questions": []}'


@pytest.fixture(params=BACKENDS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, revision="0016")


def test_missing_versions_get_the_definition_their_rename_kept(old_db: Database) -> None:
    """Survey 1: version 1 stored, renamed (2), new definition (3), renamed (4), a wave
    on 2 and on 4. Survey 2: never renamed."""
    with old_db.engine.begin() as c:
        for sid, version, definition in ((1, 4, _V2), (2, 1, _V1)):
            c.execute(
                text(
                    "INSERT INTO surveys (id, name, template, definition, created_at, "
                    "updated_at, version) VALUES (:id, :n, NULL, :d, :t, :t, :v)"
                ),
                {"id": sid, "n": f"s{sid}", "d": definition, "t": T, "v": version},
            )
        for sid, version, definition in ((1, 1, _V1), (1, 3, _V2), (2, 1, _V1)):
            c.execute(
                text(
                    "INSERT INTO survey_versions (survey_id, version, definition, created_at) "
                    "VALUES (:s, :v, :d, :t)"
                ),
                {"s": sid, "v": version, "d": definition, "t": T},
            )
        for wid, version in ((1, 2), (2, 4)):
            c.execute(
                text(
                    "INSERT INTO survey_waves (id, survey_id, survey_version, name, status, "
                    "expires_in_days, competitor, kiosk_key, created_at, version) "
                    "VALUES (:w, 1, :v, :n, 'open', 14, '', :k, :t, 1)"
                ),
                {"w": wid, "v": version, "n": f"w{wid}", "k": f"k{wid}", "t": T},
            )
    upgrade(old_db.url)
    with old_db.factory() as s:
        stored = {
            (v.survey_id, v.version): v.definition["title"]
            for v in s.scalars(select(SurveyVersion))
        }
    assert stored == {
        (1, 1): "first",
        (1, 2): "first",  # renamed from version 1: its definition
        (1, 3): "second",
        (1, 4): "second",
        (2, 1): "first",
    }
