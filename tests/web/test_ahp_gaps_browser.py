"""Browser test of the AHP page and the five-gap report's charts (issue 24): an analyst
judges the pairs in the form, asks for the weighted SERVQUAL with one click, and sees the
weights' and the analysis's charts drawn by ECharts (an SVG inside each chart); the
five-gap report's charts drawn too; in zh-CN and English, on the real app under uvicorn
driven by Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.storage.support import Clock
from tests.web.browser_support import chromium, page_in, serving
from tests.web.support import migrated_seeded
from tests.web.test_analysis_browser import KINDS, _answered_wave
from touchpoint.settings import Settings
from touchpoint.storage.models import Customer
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass(frozen=True)
class Served:
    """The app's address and a SERVQUAL wave answered by eight customers."""

    url: str
    wave: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("ahp-browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="ahp-browser-key")  # noqa: S106
    app = create_site(settings, dispatch=False)
    with app.state.desk.factory() as s:
        customers = list(s.scalars(select(Customer.id).order_by(Customer.id).limit(8)))
    wave = _answered_wave(app, "servqual", KINDS["servqual"], customers)
    with serving(app) as base:
        yield Served(url=base, wave=wave)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[pw.Browser]:
    with chromium() as b:
        yield b


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_ahp_weights_then_weighted_servqual_and_the_gap_charts(
    browser: pw.Browser, served: Served, lang: str
) -> None:
    page = page_in(browser, served.url, "analyst", lang)
    context = page.context
    page.goto(f"{served.url}/waves/{served.wave}/analysis?instrument=servqual")
    page.click("#ahp-link")
    page.select_option("#j-tangibles-reliability", "3")
    page.select_option("#j-reliability-empathy", "1/5")
    page.click("#ahp-servqual")
    page.wait_for_selector('#chart-weights[data-drawn="true"] svg', timeout=10_000)
    page.wait_for_selector('#chart-servqual[data-drawn="true"] svg', timeout=10_000)
    assert page.locator("#table-weights tbody tr").count() == 8  # 5 weights, λmax, CI, CR
    assert page.locator("#servqual-weighted").inner_text() != "—"
    assert ("有形性" if lang == "zh_CN" else "Tangibles") in page.inner_text("#table-weights")
    page.goto(f"{served.url}/gaps?customer_wave={served.wave}")
    for key in ("five-gaps", "dimensions"):
        page.wait_for_selector(f'#chart-{key}[data-drawn="true"] svg', timeout=10_000)
        assert page.locator(f"#table-{key} tbody tr").count() == 5
    context.close()
