"""Hostage customers flagged by rule (issue 23): repeat patronage at or above the customer
base's median over twelve months and a latest NPS ≤ 6 or CSAT ≤ 2; the rule's inputs and
date on the customer; a supervisor clears the flag with a note (audited). On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.support import Desk, open_desk
from tests.storage.support import Database
from touchpoint.services.desk_clock import escalate_as_desk
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.storage.models import AuditEntry


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("hostage"), site=True)


def _patron(desk: Desk, purchases: int) -> int:
    customer = int(desk.customer()["id"])
    for n in range(purchases):
        at = (desk.clock.now - timedelta(days=30 * n + 1)).isoformat()
        desk.post(
            "agent",
            "/api/transactions",
            {"customer_id": customer, "kind": "purchase", "at": at, "amount": "99.00"},
        )
    return customer


def _answer_nps(desk: Desk, wave_id: int, customer: int, nps: int) -> None:
    invited = desk.post(
        "supervisor",
        f"/api/waves/{wave_id}/invitations",
        {"customer_ids": [customer], "channel": "link", "ignore_throttle": True},
    )["invitations"]
    token = invited[0]["url"].rsplit("/s/", 1)[1]
    assert desk.client.post(f"/s/{token}", json={"answers": {"NPS": nps}}).status_code == 201


def _customer(desk: Desk, customer: int) -> dict[str, Any]:
    r = desk.client.get(f"/api/customers/{customer}", headers=desk.h("supervisor"))
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_the_rule_flags_loyal_detractors_and_a_supervisor_clears_with_a_note(
    site: Desk,
) -> None:
    desk = site
    hostage, unhappy_newcomer, happy_regular = _patron(desk, 6), _patron(desk, 1), _patron(desk, 6)
    for others in (2, 3, 4):
        _patron(desk, others)  # the base's median lies between them
    survey = desk.post("supervisor", "/api/surveys", {"name": "关系 NPS", "template": "nps"})
    wave = desk.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    for customer, nps in ((hostage, 2), (unhappy_newcomer, 1), (happy_regular, 10)):
        _answer_nps(desk, wave["id"], customer, nps)
    sweep = escalate_as_desk(None, SurveyLinks("test-secret-key"))
    with desk.db.factory() as s:
        sweep(s, desk.clock.now)
    flagged = _customer(desk, hostage)
    assert flagged["hostage"] is True
    basis = flagged["hostage_basis"]
    assert basis["repeat_purchases"] == 6 and basis["latest_nps"] == 2
    assert basis["base_median"] <= 6 and basis["window_days"] == 365
    # The six patrons' purchase counts, 6, 1, 6, 2, 3 and 4 (all within the 365 days:
    # the oldest is 30 x 5 + 1 = 151 days back): sorted 1 2 3 4 6 6, median (3 + 4) / 2.
    assert basis["base_median"] == 3.5
    assert _customer(desk, unhappy_newcomer)["hostage"] is False  # one purchase: no repeat
    assert _customer(desk, happy_regular)["hostage"] is False  # a promoter
    url = f"/api/customers/{hostage}/hostage/clear"
    assert desk.client.post(url, json={"note": "x"}, headers=desk.h("agent")).status_code == 403
    r = desk.client.post(url, json={"note": "已上门道歉并减免"}, headers=desk.h("supervisor"))
    assert r.status_code == 200
    assert (r.json()["hostage"], r.json()["hostage_note"]) == (False, "已上门道歉并减免")
    with desk.db.factory() as s:
        audited = s.scalars(
            select(AuditEntry.action).where(
                AuditEntry.entity == "customer", AuditEntry.entity_id == str(hostage)
            )
        ).all()
    assert "customer.hostage_clear" in audited
    # No new answer: the next round leaves the cleared customer alone.
    with desk.db.factory() as s:
        sweep(s, desk.clock.now)
    assert _customer(desk, hostage)["hostage"] is False
