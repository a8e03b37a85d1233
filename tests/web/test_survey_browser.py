"""Browser test of surveys (issue 22): the real app under uvicorn, driven by Debian's
Chromium via Playwright as tests/web/test_browser.py drives it.

A survey whose follow-up question shows only after a low rating is answered on the
respondent page in zh-CN (the follow-up hidden, then shown after a low choice; the part
saved with "保存，稍后继续", the link reopened with the answer still checked, then
submitted) and in English; the supervisor's wave page counts both, its export holds the
answers, and the builder's preview draws the same survey.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from tests.storage.support import Clock
from tests.web.browser_support import chromium, log_in, serving
from tests.web.support import migrated_seeded
from touchpoint.api.deps import DeskState
from touchpoint.services import surveys as survey_svc
from touchpoint.services.base import Actor
from touchpoint.services.survey_invitations import Channel, invite
from touchpoint.settings import Settings
from touchpoint.storage.models import Customer
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(tempfile.gettempdir())  # screenshots for a human look

DEFINITION: dict[str, Any] = {
    "title": {"zh-CN": "营业厅服务满意度", "en": "Service at the counter"},
    "questions": [
        {
            "id": "SAT",
            "type": "scale",
            "min": 1,
            "max": 5,
            "required": True,
            "text": {"zh-CN": "您对本次服务满意吗？", "en": "How satisfied were you?"},
            "anchors": {
                "min": {"zh-CN": "非常不满意", "en": "Very dissatisfied"},
                "max": {"zh-CN": "非常满意", "en": "Very satisfied"},
            },
        },
        {
            "id": "WHY",
            "type": "text",
            "text": {"zh-CN": "哪里让您不满意？", "en": "What went wrong?"},
            "show_if": {"question": "SAT", "at_most": 2},
        },
        {
            "id": "AGAIN",
            "type": "choice",
            "options": [
                {"value": "yes", "label": {"zh-CN": "会", "en": "Yes"}},
                {"value": "no", "label": {"zh-CN": "不会", "en": "No"}},
            ],
            "text": {"zh-CN": "您还会再来吗？", "en": "Would you come again?"},
        },
    ],
}


@dataclass(frozen=True)
class Served:
    """The app under uvicorn: its address and its desk (for the services)."""

    url: str
    desk: DeskState


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("survey-browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    settings = Settings(data_dir=tmp, database_url=url, secret_key="survey-browser-secret")  # noqa: S106
    app = create_site(settings, dispatch=False)
    with serving(app) as base:
        yield Served(url=base, desk=app.state.desk)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[pw.Browser]:
    with chromium() as b:
        yield b


@dataclass(frozen=True)
class Wave:
    """A wave of the survey above and the respondent paths of its two invitations."""

    survey_id: int
    wave_id: int
    paths: tuple[str, str]


@pytest.fixture(scope="module")
def wave(served: Served) -> Wave:
    """A survey, a wave and two link invitations, made through the services."""
    desk = served.desk
    actor = Actor.system()
    now = datetime.now(UTC)
    with desk.factory() as session:
        survey = survey_svc.create_survey(
            session, actor, name="营业厅满意度", definition=DEFINITION, now=now
        )
        opened = survey_svc.create_wave(session, actor, survey.id, name="十二月", now=now)
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(2)))
        result = invite(
            session,
            actor,
            desk.surveys,
            opened.id,
            customer_ids=ids,
            channel=Channel.LINK,
            ignore_throttle=True,
            now=now,
        )
    first, second = ("/s/" + i.url.rsplit("/s/", 1)[1] for i in result.invitations)
    return Wave(survey_id=survey.id, wave_id=opened.id, paths=(first, second))


def _context(browser: pw.Browser, locale: str) -> pw.BrowserContext:
    # A phone: the respondent page is mobile first.
    return browser.new_context(locale=locale, viewport={"width": 390, "height": 844})


def test_answer_in_chinese_with_a_follow_up_saved_and_resumed(
    browser: pw.Browser, served: Served, wave: Wave
) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser, "zh-CN")
    page = ctx.new_page()
    page.goto(served.url + wave.paths[0])
    expect(page.locator("h1")).to_have_text("营业厅服务满意度")
    why = page.locator("#question-WHY")
    expect(why).to_be_hidden()
    page.get_by_label("4", exact=True).check()
    expect(why).to_be_hidden()
    page.get_by_label("2", exact=True).check()  # a low rating shows the follow-up
    expect(why).to_be_visible()
    page.fill("#q-WHY", "排队时间太长")
    page.click("#save")
    expect(page.locator("#notice")).to_have_text("已保存。")
    page.goto(served.url + wave.paths[0])  # the same link later
    page.screenshot(path=str(SHOTS / "touchpoint-respond.png"), full_page=True)
    expect(page.locator('input[name="q.SAT"][value="2"]')).to_be_checked()
    expect(why).to_be_visible()
    expect(page.locator("#q-WHY")).to_have_value("排队时间太长")
    page.get_by_label("不会", exact=True).check()
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text("感谢您的反馈！")
    page.goto(served.url + wave.paths[0])  # answered: no second response
    expect(page.locator("#notice")).to_have_text("该调查链接已作答，感谢您的参与！")
    ctx.close()


def test_answer_in_english_where_a_high_rating_hides_the_follow_up(
    browser: pw.Browser, served: Served, wave: Wave
) -> None:
    from playwright.sync_api import expect

    ctx = _context(browser, "en")
    page = ctx.new_page()
    page.goto(served.url + wave.paths[1] + "?lang=en")
    expect(page.locator("h1")).to_have_text("Service at the counter")
    why = page.locator("#question-WHY")
    page.get_by_label("1", exact=True).check()
    expect(why).to_be_visible()
    page.fill("#q-WHY", "typed, then hidden")
    page.get_by_label("5", exact=True).check()  # a high rating hides it again
    expect(why).to_be_hidden()
    page.get_by_label("Yes", exact=True).check()
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text("Thank you for your feedback!")
    ctx.close()


def test_submit_with_items_left_blank_asks_first(browser: pw.Browser, served: Served) -> None:
    """On an item battery (a Kano survey here), "submit" with items left blank says how
    many and marks them; answering them hides the notice; "submit as it is" sends what
    there is. "Save" is never held up."""
    from playwright.sync_api import expect

    desk = served.desk
    now = datetime.now(UTC)
    wifi = [{"key": "wifi", "label": {"zh-CN": "免费无线网", "en": "Free Wi-Fi"}}]
    with desk.factory() as session:
        kano = survey_svc.create_survey(
            session, Actor.system(), name="功能需求", template="kano", features=wifi, now=now
        )
        opened = survey_svc.create_wave(session, Actor.system(), kano.id, name="K", now=now)
        customers = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(2)))
        result = invite(
            session, Actor.system(), desk.surveys, opened.id, customer_ids=customers,
            channel=Channel.LINK, ignore_throttle=True, now=now,
        )  # fmt: skip
    chinese, english = ("/s/" + i.url.rsplit("/s/", 1)[1] for i in result.invitations)
    ctx = _context(browser, "zh-CN")
    page = ctx.new_page()
    page.goto(served.url + chinese)
    notice = page.locator("#unanswered")
    page.check('input[name="q.wifi_f"][value="1"]')
    page.click("#save")
    expect(page.locator("#notice")).to_have_text("已保存。")  # saving is never held up
    page.goto(served.url + chinese)
    page.click("#submit")
    expect(notice.locator("p")).to_have_text(
        "还有 1 道题没有作答，已用黄色标出。可以补答，也可以直接提交。"
    )
    expect(page.locator("#question-wifi_d")).to_have_class("question scale unanswered")
    expect(page.locator("#question-wifi_f")).to_have_class("question scale")
    page.check('input[name="q.wifi_d"][value="5"]')
    expect(notice).to_be_hidden()
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text("感谢您的反馈！")
    ctx.close()

    ctx = _context(browser, "en")
    page = ctx.new_page()
    page.goto(served.url + english + "?lang=en")
    page.check('input[name="q.wifi_f"][value="2"]')
    page.click("#submit")
    expect(page.locator("#unanswered p")).to_have_text(
        "Questions not answered yet: 1 (marked in yellow). Answer them, or submit as it is."
    )
    page.click("#submit-anyway")
    expect(page.locator("#notice")).to_have_text("Thank you for your feedback!")
    ctx.close()


def test_wave_page_counts_and_export_holds_the_answers(
    browser: pw.Browser, served: Served, wave: Wave
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    log_in(page, served.url, "supervisor")
    page.click("#nav-surveys")
    page.click(f"#survey-{wave.survey_id} a >> nth=1")
    preview = page.frame_locator("#survey-preview")
    expect(preview.locator("h1")).to_have_text("营业厅服务满意度")
    expect(preview.locator("#question-WHY")).to_be_hidden()
    preview.get_by_label("1", exact=True).check()
    expect(preview.locator("#question-WHY")).to_be_visible()
    expect(preview.locator("#submit")).to_be_disabled()
    page.screenshot(path=str(SHOTS / "touchpoint-survey.png"), full_page=True)

    page.goto(f"{served.url}/waves/{wave.wave_id}")
    expect(page.locator("#total-invited")).to_have_text("2")
    expect(page.locator("#total-completed")).to_have_text("2")
    expect(page.locator("#total-rate")).to_have_text("100.0%")
    expect(page.locator("#kiosk-qr svg")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "touchpoint-wave.png"), full_page=True)
    answer = ctx.request.get(f"{served.url}/api/waves/{wave.wave_id}/responses.csv")
    assert answer.ok
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    got = sorted((r["SAT"], r["WHY"], r["AGAIN"], r["channel"]) for r in rows)
    assert got == [("2", "排队时间太长", "no", "link"), ("5", "", "yes", "link")]
    ctx.close()
