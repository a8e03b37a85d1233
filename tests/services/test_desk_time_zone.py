"""The desk's time zone (``TOUCHPOINT_TIME_ZONE``): a return visit joins the wave of the
month on the desk's clock, not UTC's, and a zone that does not exist is refused when the
settings are read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.storage.support import Database
from touchpoint.services.return_visits import month_wave_id
from touchpoint.settings import Settings
from touchpoint.storage.survey_models import SurveyWave

#: 07:30 on 1 December in Beijing, still 30 November in UTC.
EARLY_DECEMBER_IN_BEIJING = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


def _month(db: Database, zone: str) -> str | None:
    with db.factory() as s:
        wave_id = month_wave_id(s.connection(), EARLY_DECEMBER_IN_BEIJING, zone)
        s.commit()
        return s.scalar(select(SurveyWave.return_visit_month).where(SurveyWave.id == wave_id))


def test_a_return_visit_joins_the_month_of_the_desks_clock(db: Database) -> None:
    assert _month(db, "Asia/Shanghai") == "2026-12"
    assert _month(db, "UTC") == "2026-11"
    assert _month(db, "Asia/Shanghai") == "2026-12"  # the same wave again, not a new one


def test_an_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUCHPOINT_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings()
    monkeypatch.setenv("TOUCHPOINT_TIME_ZONE", "Europe/Paris")
    assert Settings().time_zone == "Europe/Paris"
