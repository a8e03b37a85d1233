"""The closed loop through a real SMTP server (issue 23, proof 1 without the browser), on
SQLite and PostgreSQL: the return visit's mail leaves the outbox (``deliver_pending``)
for a local aiosmtpd server, its link is answered as a detractor, the one recovery order
is resolved, the re-survey's mail arrives and is answered as a promoter, and
``/api/loop`` counts one recovered loop, the same before and after the KPI facts are
stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.support import Desk, open_desk
from tests.services.conftest import Inbox
from tests.storage.support import Database
from touchpoint.services.kpi_facts import refresh_kpi_facts
from touchpoint.services.notify import MailConfig, deliver_pending
from touchpoint.services.recovery_loop import RECOVERY_POLICY_NAME
from touchpoint.storage.models import SlaPolicyRow

_TOKEN = re.compile(r"/s/([^\s/]+)\s")


@pytest.fixture
def desk(db: Database, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path, site=True, return_visit_delay_minutes=0)


def _mailed_tokens(desk: Desk, inbox: Inbox, mail: MailConfig, address: str) -> list[str]:
    """Send what the outbox holds; the survey tokens of the mails to ``address``."""
    deliver_pending(desk.db.factory, clock=lambda: desk.clock.now, mail=mail)
    with inbox.lock:
        mails = [m for rcpts, m in inbox.messages if address in rcpts]
    bodies = [m.get_payload(decode=True).decode() for m in mails]
    return list(dict.fromkeys(t for body in bodies for t in _TOKEN.findall(body + "\n")))


def _resolve(desk: Desk, order_id: int) -> None:
    order = desk.client.get(f"/api/work-orders/{order_id}", headers=desk.h("agent")).json()
    body = {"to": "resolved", "version": order["version"]}
    desk.post("agent", f"/api/work-orders/{order_id}/transitions", body, 200)


def test_the_loop_through_smtp(desk: Desk, smtp: tuple[Inbox, MailConfig]) -> None:
    inbox, mail = smtp
    email = f"{desk.db.unique('mail')}@example.com"
    customer = desk.customer(identities=[{"kind": "email", "value": email}])
    order = desk.order(customer["id"])
    _resolve(desk, order["id"])
    (first,) = _mailed_tokens(desk, inbox, mail, email)
    r = desk.client.post(f"/s/{first}", json={"answers": {"CSAT": 1, "COMMENT": "没人来"}})
    assert r.status_code == 201, r.text
    found = desk.client.get(
        "/api/work-orders", params={"recovery_of": order["id"]}, headers=desk.h("supervisor")
    ).json()
    (recovery,) = found
    assert recovery["owner_id"] == desk.ids["agent"]
    with desk.db.factory() as s:
        policy = s.get(SlaPolicyRow, recovery["policy_id"])
        assert policy is not None and policy.name == RECOVERY_POLICY_NAME
    desk.clock.advance(hours=3)
    _resolve(desk, recovery["id"])
    tokens = _mailed_tokens(desk, inbox, mail, email)
    assert len(tokens) == 2 and tokens[0] == first
    r = desk.client.post(f"/s/{tokens[1]}", json={"answers": {"CSAT": 5, "NPS": 9}})
    assert r.status_code == 201, r.text
    day = desk.clock.now.date().isoformat()
    loop = desk.client.get(
        "/api/loop", params={"from": day, "to": day}, headers=desk.h("analyst")
    ).json()
    assert loop == {
        "triggered": 1,
        "closed": 1,
        "closed_within_target": 1,
        "median_business_hours_to_close": loop["median_business_hours_to_close"],
        "resurveyed": 1,
        "recovered": 1,
        "recovery_rate": 1.0,
    }
    assert loop["median_business_hours_to_close"] is not None
    # Answered at T0 (Monday 09:00 Shanghai), resolved three hours later: all inside the
    # 09:00-18:00 office hours of the recovery policy (the desk has no calendar of its own).
    assert loop["median_business_hours_to_close"] == pytest.approx(3.0)
    with desk.db.factory() as s:
        assert refresh_kpi_facts(s) > 0  # now counted from the stored facts: the same
    again = desk.client.get(
        "/api/loop", params={"from": day, "to": day}, headers=desk.h("analyst")
    ).json()
    assert again == loop
