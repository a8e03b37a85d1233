"""The five-gap report (issue 24, DOMAIN.md §3.2): the standards and pledges registers
(supervisors write, analysts read, one audit row per write) and ``GET /api/gaps``, each
gap worked out by hand below, on SQLite and PostgreSQL.

The waves: two respondents each, every item of a dimension answered alike, so that the
item means equal the dimension means (and Cronbach's alpha is defined).

Customers (E / P of respondent 1 and 2; means):
  tangibles 1-4       E 4,5 -> 4.5   P 5,6 -> 5.5   P - E = +1.0
  reliability 5-9     E 6,7 -> 6.5   P 3,4 -> 3.5   P - E = -3.0
  responsiveness 10-13 E 6,7 -> 6.5  P 5,6 -> 5.5   P - E = -1.0
  assurance 14-17     E 5,6 -> 5.5   P 5,6 -> 5.5   P - E =  0.0
  empathy 18-22       E 5,6 -> 5.5   P 6,5 -> 5.5   P - E =  0.0
Managers' E as they believe customers would: reliability 4,6 -> 5.0, the other
dimensions as the customers'.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.support import Desk, json_keys, open_desk, page_client
from tests.api.test_wave_analysis_api import _scale_items
from tests.storage.support import T0, Database
from touchpoint.api.schemas.gap_report import GapReportPublic
from touchpoint.storage.models import AuditEntry

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in tests/api/support.py

_DIMENSIONS = {
    "tangibles": range(1, 5),
    "reliability": range(5, 10),
    "responsiveness": range(10, 14),
    "assurance": range(14, 18),
    "empathy": range(18, 23),
}
#: Per respondent, each dimension's (E, P).
CUSTOMERS = [
    {"tangibles": (4, 5), "reliability": (6, 3), "responsiveness": (6, 5),
     "assurance": (5, 5), "empathy": (5, 6)},
    {"tangibles": (5, 6), "reliability": (7, 4), "responsiveness": (7, 6),
     "assurance": (6, 6), "empathy": (6, 5)},
]  # fmt: skip
MANAGERS = [
    {**CUSTOMERS[0], "reliability": (4, 3)},
    {**CUSTOMERS[1], "reliability": (6, 4)},
]
CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {d: [["08:30", "12:00"], ["13:30", "17:30"]] for d in ("mon", "tue", "wed")},
}
POLICY = {
    "first_response_minutes": 30,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 60,
}


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("gaps"), site=True)


def _answers(person: dict[str, tuple[int, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, items in _DIMENSIONS.items():
        e, p = person[name]
        out.update({f"E{i}": e for i in items} | {f"P{i}": p for i in items})
    return out


def _wave(site: Desk, people: list[dict[str, tuple[int, int]]]) -> int:
    survey = site.post(
        "supervisor", "/api/surveys", {"name": site.db.unique("sq "), "template": "servqual"}
    )
    wave = site.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    invited = site.post(
        "supervisor",
        f"/api/waves/{wave['id']}/invitations",
        {
            "customer_ids": [site.customer()["id"] for _ in people],
            "channel": "link",
            "ignore_throttle": True,
        },
    )["invitations"]
    for invitation, person in zip(invited, people, strict=True):
        token = invitation["url"].rsplit("/s/", 1)[1]
        r = site.client.post(f"/s/{token}", json={"answers": _answers(person)})
        assert r.status_code == 201, r.text
    return int(wave["id"])


def _wave_of(site: Desk, **made_from: Any) -> int:
    """A wave, without answers, of a new survey made from a template or a definition."""
    survey = site.post("supervisor", "/api/surveys", {"name": site.db.unique("s "), **made_from})
    return int(site.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})["id"])


@pytest.fixture(scope="module")
def waves(site: Desk) -> tuple[int, int]:
    return _wave(site, CUSTOMERS), _wave(site, MANAGERS)


@pytest.fixture(scope="module")
def registers(site: Desk) -> dict[str, int]:
    """Standards: item 5 resolution >= 90% of orders; responsiveness first response >= 80%;
    item 14 a free-text metric (the desk cannot measure it). Pledges: repairs resolved
    within 45 minutes (responsiveness), hotline first response within 30, and one for
    team B, whose orders are none."""
    s = site.post
    ids = {
        "s1": s("supervisor", "/api/service-standards",
                {"item": 5, "metric": "sla_resolution", "target": 0.9, "source": "charter"}),
        "s2": s("supervisor", "/api/service-standards",
                {"dimension": "responsiveness", "metric": "sla_first_response",
                 "target": 0.8, "source": "charter"}),
        "s3": s("admin", "/api/service-standards",
                {"item": 14, "metric": "certified staff share", "target": 1, "source": "HR"}),
        "p1": s("supervisor", "/api/service-pledges",
                {"name": "城区 45 分钟到达现场", "metric": "resolution_minutes",
                 "promised_value": 45, "order_type": "repair", "dimension": "responsiveness"}),
        "p2": s("supervisor", "/api/service-pledges",
                {"name": "30 minutes to answer", "metric": "first_response_minutes",
                 "promised_value": 30, "channel": "hotline"}),
        "p3": s("supervisor", "/api/service-pledges",
                {"name": "team B", "metric": "resolution_minutes", "promised_value": 60,
                 "team_id": site.teams["B"]}),
    }  # fmt: skip
    return {k: int(v["id"]) for k, v in ids.items()}


def _gaps(site: Desk, who: str = "analyst", **params: Any) -> Any:
    r = site.client.get("/api/gaps", params=params, headers=site.h(who))
    assert r.status_code == 200, r.text
    # What the OpenAPI documents is the answer, key for key.
    documented = GapReportPublic.model_validate(r.json()).model_dump(by_alias=True)
    assert json_keys(documented) == json_keys(r.json())
    return r.json()


def _dimension(part: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in part["dimensions"] if d["dimension"] == name)


def test_registers_roles_audit_and_checks(site: Desk, registers: dict[str, int]) -> None:
    standards = site.client.get("/api/service-standards", headers=site.h("analyst")).json()
    assert [s["id"] for s in standards] == [registers[k] for k in ("s1", "s2", "s3")]
    assert standards[1]["dimension"] == "responsiveness" and standards[1]["item"] is None
    pledges = site.client.get("/api/service-pledges", headers=site.h("supervisor")).json()
    assert pledges[0]["name"] == "城区 45 分钟到达现场" and pledges[0]["promised_value"] == 45
    for url in ("/api/service-standards", "/api/service-pledges"):
        assert site.client.get(url, headers=site.h("agent")).status_code == 403
        assert site.client.post(url, json={}, headers=site.h("analyst")).status_code == 403
    both = {"item": 1, "dimension": "tangibles", "metric": "x", "target": 1, "source": "y"}
    r = site.client.post("/api/service-standards", json=both, headers=site.h("supervisor"))
    assert r.status_code == 400 and "item" in r.json()["detail"]
    share = {"item": 1, "metric": "sla_resolution", "target": 95, "source": "y"}
    r = site.client.post("/api/service-standards", json=share, headers=site.h("supervisor"))
    assert r.status_code == 400 and "target" in r.json()["detail"]
    bad = {"name": "x", "metric": "minutes", "promised_value": 5}
    r = site.client.post("/api/service-pledges", json=bad, headers=site.h("supervisor"))
    assert r.status_code == 400 and "metric" in r.json()["detail"]
    with site.db.factory() as s:
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.entity.in_(["service_standard", "service_pledge"]))
        ).all()
    assert sorted((a.action, a.entity_id) for a in audit) == sorted(
        [("service_standard.create", str(registers[k])) for k in ("s1", "s2", "s3")]
        + [("service_pledge.create", str(registers[k])) for k in ("p1", "p2", "p3")]
    )


def test_gaps_1_2_and_5_from_the_waves_and_the_register(
    site: Desk, waves: tuple[int, int], registers: dict[str, int]
) -> None:
    customers, managers = waves
    report = _gaps(site, customer_wave=customers, manager_wave=managers)
    # Gap 5 = P - E: reliability -3.0 -> shortfall 3 / 6 = 0.5; responsiveness -1.0 ->
    # 1 / 6; tangibles +1.0 -> 0 (only a shortfall counts).
    rel = _dimension(report["gap5"], "reliability")
    assert rel["gap"] == pytest.approx(-3.0) and rel["shortfall"] == pytest.approx(0.5)
    assert rel["items"] == [5, 6, 7, 8, 9]
    assert _dimension(report["gap5"], "responsiveness")["shortfall"] == pytest.approx(1 / 6)
    assert _dimension(report["gap5"], "tangibles")["shortfall"] == 0
    # Gap 1 = managers' E - customers' E: reliability 5.0 - 6.5 = -1.5 -> 1.5 / 6 = 0.25.
    g1 = _dimension(report["gap1"], "reliability")
    assert g1["managers_expectation"] == pytest.approx(5.0)
    assert g1["gap"] == pytest.approx(-1.5) and g1["shortfall"] == pytest.approx(0.25)
    assert _dimension(report["gap1"], "empathy")["gap"] == pytest.approx(0.0)
    # Gap 2: importance = the customers' E means, whose mean over the 22 items is
    # (4*4.5 + 5*6.5 + 4*6.5 + 4*5.5 + 5*5.5) / 22 = 126 / 22 = 5.73: the high items are
    # reliability's and responsiveness's (6.5), 5-13. Standards cover item 5, items
    # 10-13 (a dimension's standard) and 14: uncovered 6, 7, 8, 9 -> 4 / 9.
    g2 = report["gap2"]
    assert g2["importance"] == "expectation" and g2["high_items"] == list(range(5, 14))
    assert g2["uncovered_items"] == [6, 7, 8, 9]
    assert g2["shortfall"] == pytest.approx(4 / 9)
    assert _dimension(g2, "reliability")["share"] == pytest.approx(4 / 5)
    assert _dimension(g2, "tangibles")["share"] is None  # no high item there
    # No period: gaps 3 and 4 are not measured; the largest is gap 5 on reliability
    # (0.5 > 4/9 > 0.25).
    assert report["gap3"] is None and report["gap4"] is None and report["period"] is None
    largest = report["largest"]
    assert (largest["gap"], largest["dimension"]) == (5, "reliability")
    assert largest["shortfall"] == pytest.approx(0.5) and largest["items"] == [5, 6, 7, 8, 9]
    assert "/ 6" in report["normalisation"]


def test_gap_2_from_ahp_weights(
    site: Desk, waves: tuple[int, int], registers: dict[str, int]
) -> None:
    # Weights by dimension: mean over the 22 items (4*.5 + 5*.2 + 4*.1 + 4*.1 + 5*.1) / 22
    # = 4.3 / 22 = 0.195: tangibles (0.5) and reliability (0.2) are high, items 1-9; of
    # them only 5 has a standard -> 8 / 9 uncovered.
    weights = {"tangibles": 0.5, "reliability": 0.2, "responsiveness": 0.1,
               "assurance": 0.1, "empathy": 0.1}  # fmt: skip
    report = _gaps(site, customer_wave=waves[0], weights=json.dumps(weights))
    g2 = report["gap2"]
    assert g2["importance"] == "weights" and g2["high_items"] == list(range(1, 10))
    assert g2["shortfall"] == pytest.approx(8 / 9)
    assert report["gap1"] is None
    assert (report["largest"]["gap"], report["largest"]["items"]) == (2, [1, 2, 3, 4, 6, 7, 8, 9])
    bad = site.client.get(
        "/api/gaps",
        params={"customer_wave": waves[0], "weights": '{"speed": 1}'},
        headers=site.h("analyst"),
    )
    assert bad.status_code == 400 and "speed" in bad.json()["detail"]


def _policy(site: Desk) -> None:
    cal = site.post(
        "supervisor", "/api/sla/calendars", {"name": site.db.unique("cal "), "definition": CALENDAR}
    )
    site.post(
        "supervisor",
        "/api/sla/policies",
        {
            "name": site.db.unique("repair "),
            "definition": POLICY,
            "calendar_id": cal["id"],
            "types": ["repair"],
            "rank": 10,
        },
    )


def _act(site: Desk, minutes: int, order: dict[str, Any], what: str) -> None:
    """At T0 + ``minutes``: an agent's reply or the order resolved."""
    site.clock.now = T0 + timedelta(minutes=minutes)
    oid = order["id"]
    if what == "reply":
        body = {"kind": "agent_reply", "body": "on our way"}
        got = site.post("agent", f"/api/work-orders/{oid}/messages", body)
    else:
        now = site.client.get(f"/api/work-orders/{oid}", headers=site.h("agent")).json()
        body = {"version": now["version"], "to": "resolved"}
        got = site.post("agent", f"/api/work-orders/{oid}/transitions", body, status=200)
    order["version"] = got["version"]


def test_gaps_3_and_4_from_the_desk_and_the_largest_gap(
    site: Desk, waves: tuple[int, int], registers: dict[str, int]
) -> None:
    # Four repair orders (hotline, team A) at T0, Monday 09:00 in Shanghai, inside office
    # hours, so business minutes are wall minutes. Policy: first response 30, resolution
    # 60. o1 replied at 10, resolved at 40; o2 at 20 and 50; o3 at 40 (first response
    # late) and 90 (resolution late); o4 never answered: at the report's instant
    # (T0 + 3 h) both its targets are past due (breached by the clock's rule 9).
    _policy(site)
    site.clock.now = T0
    o = [site.order(site.customer()["id"]) for _ in range(4)]
    for minutes, i, what in [
        (10, 0, "reply"), (20, 1, "reply"), (40, 0, "resolve"), (40, 2, "reply"),
        (50, 1, "resolve"), (90, 2, "resolve"),
    ]:  # fmt: skip
        _act(site, minutes, o[i], what)
    site.clock.now = T0 + timedelta(hours=3)
    day = "2026-11-23"
    report = _gaps(site, customer_wave=waves[0], manager_wave=waves[1], **{"from": day, "to": day})
    assert report["period"]["orders"] == 4
    # Gap 3: first response met by o1, o2 of 4 -> 0.5, target 0.8 -> shortfall 0.3;
    # resolution met by o1, o2 of 4 -> 0.5, target 0.9 -> shortfall 0.4. The free-text
    # standard (item 14) is not measurable by the desk.
    g3 = {s["id"]: s for s in report["gap3"]["standards"]}
    s1, s2 = g3[registers["s1"]], g3[registers["s2"]]
    assert (s1["orders"], s1["met"], s1["compliance"]) == (4, 2, 0.5)
    assert s1["shortfall"] == pytest.approx(0.4) and s1["dimension"] == "reliability"
    assert s2["compliance"] == 0.5 and s2["shortfall"] == pytest.approx(0.3)
    assert report["gap3"]["unmeasured"] == [registers["s3"]]
    # Gap 4: resolved repairs took 40, 50, 90 minutes (o4 not resolved: not delivered):
    # 1 of 3 within 45 -> shortfall 2/3, median 50. First responses 10, 20, 40: 2 of 3
    # within 30, median 20. Team B has no orders: nothing to measure.
    g4 = {p["id"]: p for p in report["gap4"]["pledges"]}
    p1, p2, p3 = (g4[registers[k]] for k in ("p1", "p2", "p3"))
    assert (p1["orders"], p1["within"], p1["median"]) == (3, 1, 50.0)
    assert p1["share_within"] == pytest.approx(1 / 3) and p1["shortfall"] == pytest.approx(2 / 3)
    assert (p2["within"], p2["median"]) == (2, 20.0) and p2["shortfall"] == pytest.approx(1 / 3)
    assert (p3["orders"], p3["share_within"], p3["shortfall"]) == (0, None, None)
    # The largest: gap 4's 2/3 (pledge p1, responsiveness) > gap 5's 0.5 > gap 2's 4/9 >
    # gap 3's 0.4 > gap 1's 0.25.
    largest = report["largest"]
    assert (largest["gap"], largest["dimension"], largest["pledges"]) == (
        4,
        "responsiveness",
        [registers["p1"]],
    )
    assert largest["shortfall"] == pytest.approx(2 / 3) and largest["items"] == [10, 11, 12, 13]


def test_gaps_roles_and_bad_input(site: Desk, waves: tuple[int, int]) -> None:
    params = {"customer_wave": waves[0]}
    assert site.client.get("/api/gaps", params=params, headers=site.h("agent")).status_code == 403
    for who in ("supervisor", "admin"):
        assert _gaps(site, who, **params)["customer_wave"] == waves[0]
    half = site.client.get(
        "/api/gaps", params={**params, "from": "2026-11-23"}, headers=site.h("analyst")
    )
    assert half.status_code == 400 and "from" in half.json()["detail"]


def test_the_page_in_both_languages(
    site: Desk, waves: tuple[int, int], registers: dict[str, int]
) -> None:
    # The registers' pledges are listed whichever tests ran before on this database
    # (pytest-xdist may run the two databases' halves of this module on two workers).
    query = {"customer_wave": waves[0], "manager_wave": waves[1]}
    period = {**query, "start": "2026-11-23", "end": "2026-11-23"}
    zh = page_client(site, "analyst", "zh_CN").get("/gaps", params=period)
    assert zh.status_code == 200, zh.text
    assert "最大差距" in zh.text
    assert "差距 4：沟通差距" in zh.text
    assert "城区 45 分钟到达现场" in zh.text
    en = page_client(site, "supervisor", "en").get("/gaps", params=query)
    assert en.status_code == 200
    assert (
        "Largest gap" in en.text and "Gap 5: customer" in en.text and 'id="gap1-table"' in en.text
    )
    assert "Give a period to measure gaps 3 and 4" in en.text
    form_only = page_client(site, "admin", "en").get("/gaps")
    assert form_only.status_code == 200 and 'id="largest-gap"' not in form_only.text
    # The form lists the SERVQUAL waves to choose from (no wave id to know by heart).
    for wave in waves:
        assert f'<option value="{wave}">#{wave} · ' in form_only.text
    assert f'<option value="{waves[1]}" selected>' in en.text
    nps = _wave_of(site, template="nps")
    # A survey defined by hand is listed by its columns (E1…, P1…), as the analyses read it.
    by_hand = _wave_of(site, definition=_scale_items(["E1", "P1"], 1, 7))
    listed = page_client(site, "admin", "en").get("/gaps").text
    assert f'<option value="{nps}"' not in listed and f'<option value="{by_hand}">' in listed
    missing = page_client(site, "analyst", "en").get("/gaps", params={"customer_wave": 999_999})
    assert missing.status_code == 404
    assert '<option value="999999" selected>#999999</option>' in missing.text
    assert page_client(site, "agent", "en").get("/gaps").status_code == 403
