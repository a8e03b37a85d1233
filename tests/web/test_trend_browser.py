"""Browser test of the comparison pages (issue 24): a survey's monthly trend and a wave's
segment comparison opened in zh-CN and in English by an analyst, each chart drawn by
ECharts (an SVG inside the chart) and its table shown, on the real app under uvicorn
driven by Debian's Chromium."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.storage.support import Clock
from tests.web.browser_support import chromium, page_in, serving
from tests.web.support import migrated_seeded
from touchpoint.services import surveys as survey_svc
from touchpoint.services.base import Actor
from touchpoint.services.survey_imports import import_responses
from touchpoint.settings import Settings
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass(frozen=True)
class Served:
    """The app's address and the two pages to open."""

    url: str
    trends: str
    segments: str


def _nps_survey(app: Any) -> tuple[int, int]:
    """An NPS survey with one wave of 60 answers over three months and three channels."""
    desk = app.state.desk
    rng = random.Random(24)
    rows = [
        f"{rng.randint(0, 10)},{('phone', 'kiosk', 'sms')[i % 3]},2026-0{1 + i % 3}-10T08:00:00Z"
        for i in range(60)
    ]
    content = ("NPS,channel,submitted_at\n" + "\n".join(rows) + "\n").encode()
    with desk.factory() as s:
        survey = survey_svc.create_survey(
            s, Actor.system(), name="trend survey", template="nps", now=desk.clock()
        )
        wave = survey_svc.create_wave(s, Actor.system(), survey.id, name="w", now=desk.clock())
        import_responses(s, Actor.system(), wave.id, content, "rows.csv", now=desk.clock())
    return survey.id, wave.id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("trend-browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="trend-browser-key")  # noqa: S106
    app = create_site(settings, dispatch=False)
    survey_id, wave_id = _nps_survey(app)
    with serving(app) as base:
        yield Served(
            url=base,
            trends=f"/surveys/{survey_id}/trends",
            segments=f"/waves/{wave_id}/segments?by=channel&measure=share&column=NPS",
        )


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[pw.Browser]:
    with chromium() as b:
        yield b


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_trend_and_segments_are_drawn_in_both_languages(
    browser: pw.Browser, served: Served, lang: str
) -> None:
    page = page_in(browser, served.url, "analyst", lang)
    context = page.context
    page.goto(served.url + served.trends)
    page.wait_for_selector('#trend-chart[data-drawn="true"] svg', timeout=10_000)
    assert ("月度趋势" if lang == "zh_CN" else "Trends per month") in page.inner_text("h1")
    assert page.locator("#trend-table tbody tr").count() == 3
    page.goto(served.url + served.segments)
    page.wait_for_selector('#segment-chart[data-drawn="true"] svg', timeout=10_000)
    assert ("细分群体比较" if lang == "zh_CN" else "Segment comparison") in page.inner_text("h1")
    assert page.locator("#segment-table tbody tr").count() == 3
    context.close()
