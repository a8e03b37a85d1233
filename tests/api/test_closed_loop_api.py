"""The closed loop over the API (issue 23): a resolution issues its return visit, a
detractor's answer opens one recovery order owned by the first-contact owner under the
recovery policy, its resolution re-surveys the customer, and /api/loop counts the loop;
every skip reason, the cancel on reopening, and the desk clock's delayed issue. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.support import Desk, open_desk
from tests.storage.support import Database
from touchpoint.services.desk_clock import escalate_as_desk
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.storage.models import OutboxMessage, SlaPolicyRow


@pytest.fixture(scope="module")
def loop_desk(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(
        db, tmp_path_factory.mktemp("loop"), site=True, return_visit_delay_minutes=0
    )


def _customer(desk: Desk, email: str | None = None, phone: str | None = None) -> int:
    identities = []
    if email:
        identities.append({"kind": "email", "value": email})
    if phone:
        identities.append({"kind": "phone", "value": phone})
    return int(desk.customer(identities=identities)["id"])


def _move(desk: Desk, order: dict[str, Any], to: str, who: str = "agent") -> dict[str, Any]:
    body = {"to": to, "version": order["version"]}
    return desk.post(who, f"/api/work-orders/{order['id']}/transitions", body, 200)  # type: ignore[no-any-return]


def _get(desk: Desk, order_id: int, who: str = "supervisor") -> dict[str, Any]:
    r = desk.client.get(f"/api/work-orders/{order_id}", headers=desk.h(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _mailed_token(desk: Desk, address: str) -> str:
    """The survey link in the latest mail to ``address``."""
    with desk.db.factory() as s:
        payload = s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.target == address, OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert payload is not None, f"no mail to {address}"
    found = re.search(r"/s/([^\s/]+)\s", payload["body"])
    assert found is not None
    return found.group(1)


def _answer(desk: Desk, token: str, answers: dict[str, Any]) -> int:
    r = desk.client.post(f"/s/{token}", json={"answers": answers})
    assert r.status_code == 201, r.text
    return int(r.json()["response_id"])


def test_a_detractor_loop_from_resolution_to_recovery(loop_desk: Desk) -> None:
    desk = loop_desk
    email = f"{desk.db.unique('loop')}@example.com"
    order = desk.order(_customer(desk, email=email), type="complaint")
    assert _get(desk, order["id"])["return_visit_survey"] is None
    _move(desk, order, "resolved")
    survey = _get(desk, order["id"], who="agent")["return_visit_survey"]
    assert survey == {"status": "sent", "reason": None, "csat": None, "nps": None}
    page = desk.client.get(f"/s/{_mailed_token(desk, email)}")
    assert "J_DIST" in page.text  # a complaint's return visit asks the justice items
    response_id = _answer(desk, _mailed_token(desk, email), {"CSAT": 1, "COMMENT": "太慢了"})
    assert _get(desk, order["id"])["return_visit_survey"]["csat"] == 1
    r = desk.client.get(
        "/api/work-orders", params={"recovery_of": order["id"]}, headers=desk.h("supervisor")
    )
    (recovery,) = r.json()
    assert recovery["type"] == "complaint" and recovery["priority"] == "high"
    assert recovery["owner_id"] == desk.ids["agent"] and recovery["team_id"] == desk.teams["A"]
    assert (recovery["recovery_of"], recovery["origin_response_id"]) == (order["id"], response_id)
    assert "太慢了" in recovery["description"]
    with desk.db.factory() as s:
        policy = s.get(SlaPolicyRow, recovery["policy_id"])
        assert policy is not None and policy.definition["first_response_minutes"] == 24 * 60
        # Five business days of the longest weekday of the policy's calendar: this desk
        # has none, so the office hours the loop makes, 09:00-18:00 (540 min): 5 x 540.
        assert policy.definition["resolution_minutes"] == 5 * 9 * 60
    desk.clock.advance(hours=2)
    _move(desk, _get(desk, recovery["id"]), "resolved")
    # The re-survey goes out although the customer answered a return visit minutes ago.
    assert _get(desk, recovery["id"])["return_visit_survey"]["status"] == "sent"
    _answer(desk, _mailed_token(desk, email), {"CSAT": 5, "NPS": 9})
    day = desk.clock.now.date().isoformat()
    loop = desk.client.get(
        "/api/loop", params={"from": day, "to": day}, headers=desk.h("analyst")
    ).json()
    assert loop["triggered"] >= 1 and loop["recovered"] >= 1
    assert loop["triggered"] == loop["closed"] == loop["closed_within_target"]
    assert loop["resurveyed"] == loop["recovered"] and loop["recovery_rate"] == 1.0
    assert loop["median_business_hours_to_close"] is not None
    assert (
        desk.client.get(
            "/api/loop", params={"from": day, "to": day}, headers=desk.h("agent")
        ).status_code
        == 403
    )


def test_skip_reasons(loop_desk: Desk) -> None:
    desk = loop_desk

    def resolved(customer_id: int, **extra: Any) -> dict[str, Any]:
        order = desk.order(customer_id, **extra)
        _move(desk, order, "resolved")
        return _get(desk, order["id"])["return_visit_survey"]  # type: ignore[no-any-return]

    assert resolved(_customer(desk))["reason"] == "no_address"
    assert resolved(_customer(desk, phone="13912345678"))["status"] == "sent"  # by SMS
    assert resolved(_customer(desk, email="p@example.com"), type="praise")["reason"] == (
        "no_customer_message"
    )
    email = f"{desk.db.unique('t')}@example.com"
    returning = _customer(desk, email=email)
    assert resolved(returning)["status"] == "sent"
    _answer(desk, _mailed_token(desk, email), {"CSAT": 4})
    assert resolved(returning) == {
        "status": "skipped",
        "reason": "throttled",
        "csat": None,
        "nps": None,
    }
    desk.clock.advance(days=8)
    try:
        assert resolved(returning)["status"] == "sent"
    finally:
        desk.clock.advance(days=-8)
    opted = f"{desk.db.unique('o')}@example.com"
    customer = _customer(desk, email=opted)
    assert resolved(customer)["status"] == "sent"
    assert desk.client.post(f"/s/{_mailed_token(desk, opted)}/opt-out").status_code == 200
    assert resolved(customer)["reason"] == "opted_out"
    incident = desk.post(
        "supervisor", "/api/incidents", {"title": "停电", "announcement": "抢修中"}
    )
    linked = desk.order(_customer(desk, email="i@example.com"))
    desk.post(
        "agent", f"/api/incidents/{incident['id']}/links", {"work_order_ids": [linked["id"]]}, 200
    )
    _move(desk, _get(desk, linked["id"]), "resolved")
    assert _get(desk, linked["id"])["return_visit_survey"]["reason"] == "mass_incident"


def test_reopening_cancels_the_unanswered_return_visit(loop_desk: Desk) -> None:
    desk = loop_desk
    email = f"{desk.db.unique('r')}@example.com"
    order = desk.order(_customer(desk, email=email))
    order = _move(desk, order, "resolved")
    first = _mailed_token(desk, email)
    order = _move(desk, order, "in_progress")
    assert _get(desk, order["id"])["return_visit_survey"]["status"] == "cancelled"
    assert desk.client.post(f"/s/{first}", json={"answers": {"CSAT": 5}}).status_code == 410
    _move(desk, order, "resolved")
    second = _mailed_token(desk, email)
    assert second != first
    assert _get(desk, order["id"])["return_visit_survey"]["status"] == "sent"


def test_an_nps_detractor_without_an_order_is_owned_by_the_wave_maker(loop_desk: Desk) -> None:
    desk = loop_desk
    survey = desk.post("supervisor", "/api/surveys", {"name": "关系型 NPS", "template": "nps"})
    wave = desk.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "Q4"})
    customer = _customer(desk)
    invited = desk.post(
        "supervisor",
        f"/api/waves/{wave['id']}/invitations",
        {"customer_ids": [customer], "channel": "link", "ignore_throttle": True},
    )
    token = invited["invitations"][0]["url"].rsplit("/s/", 1)[1]
    response_id = _answer(desk, token, {"NPS": 3})
    r = desk.client.get(
        "/api/work-orders", params={"customer_id": customer}, headers=desk.h("supervisor")
    )
    (recovery,) = [o for o in r.json() if o["origin_response_id"] == response_id]
    assert recovery["owner_id"] == desk.ids["supervisor"] and recovery["recovery_of"] is None


def test_with_a_delay_the_desk_clock_issues_the_return_visit(
    db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for desk in open_desk(db, tmp_path_factory.mktemp("delay"), site=True):
        email = f"{desk.db.unique('d')}@example.com"
        order = desk.order(_customer(desk, email=email))
        _move(desk, order, "resolved")
        assert _get(desk, order["id"])["return_visit_survey"]["status"] == "scheduled"
        links = SurveyLinks("test-secret-key", return_visit_delay_minutes=60)
        sweep = escalate_as_desk(None, links)
        with desk.db.factory() as s:
            sweep(s, desk.clock.now + timedelta(minutes=59))
        assert _get(desk, order["id"])["return_visit_survey"]["status"] == "scheduled"
        with desk.db.factory() as s:
            sweep(s, desk.clock.now + timedelta(minutes=60))
        assert _get(desk, order["id"])["return_visit_survey"]["status"] == "sent"
        assert _mailed_token(desk, email)


def test_a_phone_return_visit_is_a_response_and_can_open_the_recovery(loop_desk: Desk) -> None:
    desk = loop_desk
    order = desk.order(_customer(desk, email=f"{desk.db.unique('p')}@example.com"))
    order = _move(desk, order, "resolved")
    visit = {"satisfied": False, "csat": 2, "nps": 4, "note": "电话回访：仍不满意"}
    desk.post("agent", f"/api/work-orders/{order['id']}/return-visits", visit)
    survey = _get(desk, order["id"])["return_visit_survey"]
    assert survey == {"status": "completed", "reason": None, "csat": 2, "nps": 4}
    r = desk.client.get(
        "/api/work-orders", params={"recovery_of": order["id"]}, headers=desk.h("supervisor")
    )
    (recovery,) = r.json()
    assert recovery["owner_id"] == desk.ids["agent"] and "电话回访" in recovery["description"]
    bad = {"satisfied": True, "csat": 6}
    r = desk.client.post(
        f"/api/work-orders/{order['id']}/return-visits", json=bad, headers=desk.h("agent")
    )
    assert r.status_code == 422


def test_the_kpi_board_shows_return_visits_and_loops_per_team(
    db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from touchpoint.quality.csi import nps_interval

    for desk in open_desk(
        db, tmp_path_factory.mktemp("board"), site=True, return_visit_delay_minutes=0
    ):
        start = desk.clock.now
        answers = [(5, 10), (5, 9), (4, 9), (4, 7), (2, 3), (1, 0)]
        orders = []
        for csat, nps in answers:
            email = f"{desk.db.unique('k')}@example.com"
            order = desk.order(_customer(desk, email=email))
            orders.append(_move(desk, order, "resolved"))
            _answer(desk, _mailed_token(desk, email), {"CSAT": csat, "NPS": nps})
        recoveries = desk.client.get(
            "/api/work-orders", params={"recovery_of": orders[-1]["id"]}, headers=desk.h("agent")
        ).json()
        _move(desk, recoveries[0], "resolved")
        desk.clock.advance(hours=1)
        params = {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "group_by": "team",
        }
        board = desk.client.get("/api/kpi", params=params, headers=desk.h("analyst")).json()
        (row,) = [r for r in board["rows"] if r["key"] == desk.teams["A"]]
        surveys = row["surveys"]
        # Seven invitations: the six orders' and the resolved recovery order's re-survey
        # (a recovery order is an order of the team too), six of them answered.
        assert (surveys["invitations"], surveys["responses"], surveys["enough"]) == (7, 6, True)
        assert surveys["response_rate"] == pytest.approx(6 / 7)
        assert surveys["csat"] == pytest.approx(4 / 6)
        assert surveys["nps"] == pytest.approx(100 * (3 - 2) / 6)
        assert surveys["nps_ci95"] == pytest.approx(list(nps_interval(3, 2, 6)))
        # The two detractors (CSAT 2 and 1) opened loops; the last one's was resolved.
        assert (surveys["loops"], surveys["loops_closed"]) == (2, 1)
        assert board["surveys"]["responses"] >= 6


def _team_answers(desk: Desk, params: dict[str, str]) -> tuple[int, int, int]:
    """Answers of teams A and B on the board, and its loops."""
    board = desk.client.get("/api/kpi", params=params, headers=desk.h("analyst")).json()
    rows = {row["key"]: row["surveys"]["responses"] for row in board["rows"]}
    teams = (rows.get(desk.teams["A"], 0), rows.get(desk.teams["B"], 0))
    return (*teams, board["surveys"]["loops"])


def test_the_board_keeps_an_answer_with_the_team_it_was_given_for(
    db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The board's survey columns count the answers given in the period under the team
    the answer recorded: moving the order to another team afterwards moves nothing, and
    an answer given after the period is not in it. (Other tests' desks share the
    database and clock: the board is compared before and after.)"""
    for desk in open_desk(
        db, tmp_path_factory.mktemp("board-team"), site=True, return_visit_delay_minutes=0
    ):
        start = desk.clock.now
        params = {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "group_by": "team",
        }

        before = _team_answers(desk, params)
        email = f"{desk.db.unique('t')}@example.com"
        order = _move(desk, desk.order(_customer(desk, email=email)), "resolved")
        _answer(desk, _mailed_token(desk, email), {"CSAT": 5, "NPS": 10})
        order = _get(desk, order["id"])
        body = {"version": order["version"], "assignee_id": desk.ids["agent2"]}
        desk.post(
            "supervisor",
            f"/api/work-orders/{order['id']}/assignment",
            {**body, "team_id": desk.teams["B"]},
            200,
        )
        desk.clock.advance(hours=2)
        late = f"{desk.db.unique('t')}@example.com"
        _move(desk, desk.order(_customer(desk, email=late)), "resolved")
        _answer(desk, _mailed_token(desk, late), {"CSAT": 1, "NPS": 0})
        after = _team_answers(desk, params)
        assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 0, 0)


def _triggered(desk: Desk, day: str) -> int:
    r = desk.client.get("/api/loop", params={"from": day, "to": day}, headers=desk.h("analyst"))
    assert r.status_code == 200, r.text
    return int(r.json()["triggered"])


def test_the_loop_reads_dates_on_the_desks_clock(
    db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without ``tz`` the loop's dates are the desk's (``TOUCHPOINT_TIME_ZONE``): on a desk
    in Los Angeles an answer given at 01:00 UTC on 23 November counts on the 22nd."""
    for desk in open_desk(
        db,
        tmp_path_factory.mktemp("loop-zone"),
        site=True,
        return_visit_delay_minutes=0,
        time_zone="America/Los_Angeles",
    ):
        before = _triggered(desk, "2026-11-22"), _triggered(desk, "2026-11-23")
        email = f"{desk.db.unique('la')}@example.com"
        _move(desk, desk.order(_customer(desk, email=email)), "resolved")
        _answer(desk, _mailed_token(desk, email), {"CSAT": 1, "NPS": 2})
        after = _triggered(desk, "2026-11-22"), _triggered(desk, "2026-11-23")
        assert (after[0] - before[0], after[1] - before[1]) == (1, 0)
