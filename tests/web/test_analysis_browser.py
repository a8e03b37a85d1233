"""Browser test of the analyses (issue 24): each kind of wave's analysis page opened in
zh-CN and in English by an analyst, its chart drawn by ECharts (an SVG inside the chart),
its table shown, on the real app under uvicorn driven by Debian's Chromium."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from tests.storage.support import Clock
from tests.web.browser_support import chromium, page_in, serving
from tests.web.support import migrated_seeded
from touchpoint.services import surveys as survey_svc
from touchpoint.services.base import Actor
from touchpoint.services.survey_invitations import Channel, invite
from touchpoint.services.survey_responses import submit_response
from touchpoint.settings import Settings
from touchpoint.storage.models import Customer
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A template per kind of chart, with a drawer of one respondent's answers.
KINDS: dict[str, Any] = {
    "servqual": lambda r: {f"{k}{i}": r.randint(2, 7) for k in "EP" for i in range(1, 23)},
    "servqual-zone": lambda r: {f"{k}{i}": r.randint(1, 9) for k in "ADP" for i in range(1, 23)},
    "nps": lambda r: {"NPS": r.randint(0, 10)},
    "csat": lambda r: {"CSAT": r.randint(1, 5)},
}


@dataclass(frozen=True)
class Served:
    """The app's address and the analysis page of each kind's wave."""

    url: str
    pages: dict[str, str]


def _answered_wave(app: Any, template: str, answers: Any, customers: list[int]) -> int:
    """A wave of ``template`` answered by ``customers`` through their links."""
    desk = app.state.desk
    with desk.factory() as s:
        survey = survey_svc.create_survey(
            s, Actor.system(), name=f"{template} wave", template=template, now=desk.clock()
        )
        wave = survey_svc.create_wave(s, Actor.system(), survey.id, name="w", now=desk.clock())
        result = invite(
            s,
            Actor.system(),
            desk.surveys,
            wave.id,
            customer_ids=customers,
            channel=Channel.LINK,
            ignore_throttle=True,
            now=desk.clock(),
        )
        rng = random.Random(template)
        for invitation in result.invitations:
            token = invitation.url.rsplit("/s/", 1)[1]
            submit_response(s, desk.surveys, token, answers(rng), now=desk.clock())
    return wave.id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("analysis-browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="analysis-browser-key")  # noqa: S106
    app = create_site(settings, dispatch=False)
    with app.state.desk.factory() as s:
        customers = list(s.scalars(select(Customer.id).order_by(Customer.id).limit(8)))
    pages = {
        kind: f"/waves/{_answered_wave(app, kind, answers, customers)}/analysis"
        for kind, answers in KINDS.items()
    }
    with serving(app) as base:
        yield Served(url=base, pages=pages)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[pw.Browser]:
    with chromium() as b:
        yield b


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_kind_of_analysis_is_drawn_in_both_languages(
    browser: pw.Browser, served: Served, lang: str
) -> None:
    page = page_in(browser, served.url, "analyst", lang)
    context = page.context
    heading = "分析" if lang == "zh_CN" else "Analysis"
    for kind, path in served.pages.items():
        page.goto(served.url + path)
        page.wait_for_selector('#analysis-chart[data-drawn="true"] svg', timeout=10_000)
        assert heading in page.inner_text("h1"), kind
        assert page.locator("#analysis-table tbody tr").count() > 0, kind
    context.close()
