"""Every order the viewer sees (``/orders``): newest first, by status (resolved and
closed too), type, team and the local dates they were opened on; an order number goes
to its page; a bad filter is said in the page's language; agents see their teams only."""

from __future__ import annotations

import re

from tests.web.support import Site


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="order-(\d+)">', html)]


def test_the_list_narrows_by_status_type_team_and_dates(site: Site) -> None:
    sup = site.client("supervisor")
    everything = sup.get("/orders")
    assert everything.status_code == 200 and 'id="nav-orders">全部工单</a>' in everything.text
    ids = _listed(everything.text)
    assert len(ids) >= 10 and ids == sorted(ids, reverse=True)  # the demo's, newest first
    resolved = sup.get("/orders?status=resolved").text
    assert _listed(resolved) and "已解决" in resolved and "新建</span>" not in resolved
    complaints = _listed(sup.get("/orders?type=complaint").text)
    assert complaints and set(complaints) < set(ids)
    teams = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', everything.text))
    hotel = next(t for t, name in teams.items() if name == "Hotel front desk")
    at_hotel = sup.get(f"/orders?team={hotel}").text
    assert _listed(at_hotel) and set(re.findall(r"<td>(Hotel front desk)</td>", at_hotel))
    assert _listed(sup.get("/orders?start=2000-01-01&end=2000-01-02").text) == []
    today = site.clock.now.date().isoformat()
    assert _listed(sup.get(f"/orders?start=2000-01-01&end={today}").text)


def test_a_number_goes_to_its_order_and_bad_filters_are_said(site: Site) -> None:
    sup = site.client("supervisor")
    r = sup.get("/orders?number=%233")
    assert r.status_code == 303 and r.headers["location"] == "/orders/3"
    bad = sup.get("/orders?status=lost&start=2026-13-40")
    assert bad.status_code == 400 and "状态：“lost”" in bad.text
    assert _listed(bad.text)  # every order, with the reason
    backwards = sup.get("/orders?start=2026-12-05&end=2026-12-01")
    assert backwards.status_code == 400


def test_agents_see_their_teams_orders_only(site: Site) -> None:
    hotel = _listed(site.client("hotel").get("/orders").text)
    everything = _listed(site.client("supervisor").get("/orders").text)
    assert hotel and set(hotel) < set(everything)
