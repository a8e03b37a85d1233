"""Browser test of the closed loop (issue 23, proof 1): the real app under uvicorn, its
mail sent by the outbox to a local aiosmtpd server, the survey links answered in Debian's
Chromium via Playwright as tests/web/test_browser.py drives it.

An order of a customer with an e-mail identity is resolved through the API; the return
visit's mail arrives; its link is answered with CSAT 1 by clicking the page's radio and
the submit button; exactly one recovery order appears, owned by the first-contact owner,
under the recovery policy; it is resolved; the re-survey's mail arrives and is answered
as a promoter (CSAT 5, NPS 9); ``/api/loop`` shows one triggered, closed, resurveyed and
recovered loop, and the KPI board one loop opened and closed.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.services.conftest import Inbox
from tests.storage.support import Clock
from tests.web.browser_support import chromium, free_port, serving
from tests.web.support import LOGINS, migrated_seeded
from touchpoint.api.deps import DeskState
from touchpoint.services.notify import MailConfig
from touchpoint.services.recovery_loop import RECOVERY_POLICY_NAME
from touchpoint.settings import Settings
from touchpoint.storage.models import SlaPolicyRow
from touchpoint.web import create_site

if TYPE_CHECKING:
    from playwright import sync_api as pw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(tempfile.gettempdir())  # screenshots for a human look
_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/s/[^\s/\"<>]+)")


@dataclass(frozen=True)
class Served:
    """The app under uvicorn (its address and desk) and the SMTP server's inbox."""

    url: str
    desk: DeskState
    inbox: Inbox


@pytest.fixture(scope="module")
def smtp_inbox() -> Iterator[tuple[Inbox, MailConfig]]:
    inbox = Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, MailConfig(host="127.0.0.1", port=port, sender="desk@example.com")
    finally:
        ctl.stop()


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, smtp_inbox: tuple[Inbox, MailConfig]
) -> Iterator[Served]:
    inbox, mail = smtp_inbox
    tmp = tmp_path_factory.mktemp("loop-browser")
    url = migrated_seeded(tmp / "desk.sqlite", Clock(datetime.now(UTC)))
    port = free_port()
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        secret_key="loop-browser-secret",  # noqa: S106 (test key)
        public_url=f"http://127.0.0.1:{port}",
        return_visit_delay_minutes=0,
    )
    app = create_site(settings, mail=mail, dispatch=True)
    with serving(app, port) as base:
        yield Served(url=base, desk=app.state.desk, inbox=inbox)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[pw.Browser]:
    with chromium() as b:
        yield b


class Api:
    """An HTTP client of the served desk with a bearer token per demo user."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.tokens: dict[str, str] = {}

    def h(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            r = self.http.post("/api/auth/token", data={"username": who, "password": LOGINS[who]})
            assert r.status_code == 200, r.text
            self.tokens[who] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params, headers=self.h(who))
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
        r = self.http.post(path, json=body, headers=self.h(who))
        assert r.status_code == status, r.text
        return r.json()

    def resolve(self, who: str, order_id: int) -> None:
        order = self.get(who, f"/api/work-orders/{order_id}")
        body = {"to": "resolved", "version": order["version"]}
        self.post(who, f"/api/work-orders/{order_id}/transitions", body, 200)


def _wait_for(what: str, found: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        got = found()
        if got:
            return got
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else iter([message])
    out = []
    for part in parts:
        if part.get_content_maintype() == "text":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                out.append(raw.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(out)


def _mailed_links(inbox: Inbox, address: str) -> list[str]:
    """The survey links of the mails to ``address``, oldest first."""
    with inbox.lock:
        mails = [m for rcpts, m in inbox.messages if address in rcpts]
    links = [link for m in mails for link in _LINK.findall(_text(m))]
    return list(dict.fromkeys(links))  # a mail may show its link more than once


def _answer(browser: pw.Browser, link: str, choices: dict[str, int], shot: str) -> None:
    """Open ``link`` on a phone-sized page, click each question's radio, submit."""
    from playwright.sync_api import expect

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("服务回访")
    for question, value in choices.items():
        page.locator(f'input[name="q.{question}"][value="{value}"]').click()
    page.screenshot(path=str(SHOTS / shot), full_page=True)
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text("感谢您的反馈！")
    ctx.close()


@pytest.fixture
def api(served: Served) -> Iterator[Api]:
    client = Api(served.url)
    yield client
    client.http.close()


def test_a_detractor_loop_closed_and_recovered_in_the_browser(
    browser: pw.Browser, served: Served, api: Api
) -> None:
    email = "loop-browser@example.com"
    customer = api.post(
        "agent",
        "/api/customers",
        {"name": "回访客户", "identities": [{"kind": "email", "value": email}]},
    )
    order = api.post(
        "agent",
        "/api/work-orders",
        {
            "customer_id": customer["id"],
            "type": "repair",
            "channel": "hotline",
            "subject": "家中停电",
        },
    )
    agent_id = order["owner_id"]
    assert agent_id is not None  # the first-contact owner: the agent who took it
    api.resolve("agent", order["id"])
    (link,) = _wait_for("return-visit mail", lambda: _mailed_links(served.inbox, email))
    _answer(browser, link, {"CSAT": 1}, "touchpoint-loop-detractor.png")

    (recovery,) = api.get("supervisor", "/api/work-orders", recovery_of=order["id"])
    assert recovery["owner_id"] == agent_id
    assert (recovery["type"], recovery["priority"]) == ("complaint", "high")
    assert recovery["recovery_of"] == order["id"] and recovery["origin_response_id"]
    with served.desk.factory() as s:
        policy = s.get(SlaPolicyRow, recovery["policy_id"])
        assert policy is not None and policy.name == RECOVERY_POLICY_NAME
    survey = api.get("supervisor", f"/api/work-orders/{order['id']}")["return_visit_survey"]
    assert survey == {"status": "completed", "reason": None, "csat": 1, "nps": None}

    api.resolve("agent", recovery["id"])
    links = _wait_for("re-survey mail", lambda: _mailed_links(served.inbox, email)[1:])
    (again,) = links
    assert again != link
    _answer(browser, again, {"CSAT": 5, "NPS": 9}, "touchpoint-loop-promoter.png")

    recoveries = api.get("supervisor", "/api/work-orders", recovery_of=order["id"])
    assert [r["id"] for r in recoveries] == [recovery["id"]]  # still exactly one
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    loop = api.get("analyst", "/api/loop", **span)
    assert loop["triggered"] == loop["closed"] == loop["resurveyed"] == loop["recovered"] == 1
    assert loop["closed_within_target"] == 1 and loop["recovery_rate"] == 1.0
    assert loop["median_business_hours_to_close"] is not None
    # The board counts the same loop for the orders of the period (per team and overall).
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    window = {
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
    }
    board = api.get("analyst", "/api/kpi", **window)
    assert (board["surveys"]["loops"], board["surveys"]["loops_closed"]) == (1, 1)
    assert board["surveys"]["responses"] >= 2  # the demo seed's phone return visits too
