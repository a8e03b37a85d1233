"""The outbox read back and set going again (``GET /api/outbox``, ``POST
/api/outbox/retry``, ``/admin/outbox``): messages waiting, given up on after five failed
deliveries with their last error, and sent; never a message's body; administrators only;
a retry is audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.support import Desk, open_desk, page_client
from tests.storage.support import Database
from tests.web.support import csrf_of
from touchpoint.services.base import Actor
from touchpoint.services.outbox_reads import retry_failed
from touchpoint.storage.models import OutboxMessage


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("outbox"), site=True)


def _queue(site: Desk, target: str, *, attempts: int = 0, sent: bool = False) -> int:
    with site.db.factory() as s:
        m = OutboxMessage(
            created_at=site.clock.now,
            channel="email",
            target=target,
            event="survey.invitation",
            payload={"subject": "s", "body": "https://desk.example/s/secret-token"},
            attempts=attempts,
            last_error="SMTPRecipientsRefused: 550 no such user" if attempts else "",
            sent_at=site.clock.now - timedelta(hours=1) if sent else None,
        )
        s.add(m)
        s.commit()
        return m.id


def _outbox(site: Desk, **query: Any) -> list[dict[str, Any]]:
    r = site.client.get("/api/outbox", params=query, headers=site.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_each_state_and_a_retry(site: Desk) -> None:
    waiting = _queue(site, "wait@example.com", attempts=2)
    failed = [_queue(site, f"gone{i}@example.com", attempts=5) for i in range(2)]
    sent = _queue(site, "done@example.com", sent=True)
    assert waiting in [m["id"] for m in _outbox(site)]
    given_up = _outbox(site, state="failed")
    assert [m["id"] for m in given_up][:2] == failed[::-1]
    assert given_up[0]["last_error"].startswith("SMTPRecipientsRefused")
    assert "secret-token" not in str(given_up)  # the envelope only
    assert sent in [m["id"] for m in _outbox(site, state="sent")]
    r = site.client.post("/api/outbox/retry", json={"ids": [failed[0]]}, headers=site.h("admin"))
    assert r.status_code == 200 and r.json() == {"retried": 1}
    assert [m["id"] for m in _outbox(site, state="failed")].count(failed[0]) == 0
    back = [m for m in _outbox(site) if m["id"] == failed[0]]
    assert back[0]["attempts"] == 0 and back[0]["state"] == "pending"
    audit = site.client.get(
        "/api/audit", params={"action": "outbox.retry"}, headers=site.h("admin")
    )
    assert audit.json()[0]["after"] == {"ids": [failed[0]], "retried": 1}
    everything = site.client.post("/api/outbox/retry", json={}, headers=site.h("admin"))
    assert everything.json()["retried"] >= 1 and _outbox(site, state="failed") == []


def test_only_administrators(site: Desk) -> None:
    for who in ("supervisor", "agent", "analyst"):
        assert site.client.get("/api/outbox", headers=site.h(who)).status_code == 403
        r = site.client.post("/api/outbox/retry", json={}, headers=site.h(who))
        assert r.status_code == 403


def test_the_page_counts_lists_and_retries(site: Desk) -> None:
    failed = _queue(site, "page@example.com", attempts=5)
    admin = page_client(site, "admin", "zh_CN")
    page = admin.get("/admin/outbox?state=failed")
    assert page.status_code == 200 and "发件箱" in page.text
    assert re.search(r'id="count-failed">\d+<', page.text)
    assert f'id="message-{failed}"' in page.text and "page@example.com" in page.text
    r = admin.post(
        "/admin/outbox/retry", data={"csrf_token": csrf_of(page.text), "id": str(failed)}
    )
    assert (
        r.status_code == 303 and r.headers["location"] == "/admin/outbox?state=failed&done=retried"
    )
    after = admin.get(r.headers["location"]).text
    assert "失败的消息将重新发送。" in after and f'id="message-{failed}"' not in after
    assert page_client(site, "supervisor", "zh_CN").get("/admin/outbox").status_code == 403


def test_a_retry_wakes_the_dispatcher_only_when_it_set_messages_going(site: Desk) -> None:
    woken: list[int] = []
    failed = _queue(site, "late@example.com", attempts=5)
    with site.db.factory() as s:
        for expected in (1, 0):  # the second finds nothing failed any more
            n = retry_failed(
                s, Actor.system(), ids=[failed], now=site.clock.now,
                after_commit=lambda: woken.append(failed),
            )  # fmt: skip
            assert n == expected
    assert woken == [failed]
