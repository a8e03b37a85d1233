"""Lists answer a bounded page: valid parameters behave as before, a page larger than the
maximum is refused (422), and the lists that had no paging page through everything."""

from __future__ import annotations

import pytest

from tests.api.support import Desk
from touchpoint.domain.errors import DomainError
from touchpoint.services.incidents import list_incidents


def test_incidents_page_newest_first_with_their_link_counts(desk: Desk) -> None:
    cid = desk.customer()["id"]
    opened = [
        desk.post("supervisor", "/api/incidents", {"title": f"Outage {n}", "announcement": "x"})[
            "id"
        ]
        for n in range(3)
    ]
    order = desk.order(cid)["id"]
    linked = desk.post(
        "agent", f"/api/incidents/{opened[1]}/links", {"work_order_ids": [order]}, status=200
    )
    assert linked["linked_orders"] == 1

    def ids(query: str) -> list[int]:
        r = desk.client.get(f"/api/incidents{query}", headers=desk.h("agent"))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json() if i["id"] in opened]

    newest_first = opened[::-1]
    assert ids("") == newest_first  # the default page holds them all, as before
    r = desk.client.get("/api/incidents", headers=desk.h("agent"))
    counts = {i["id"]: (i["linked_orders"], i["linked_contacts"]) for i in r.json()}
    assert [counts[i] for i in opened] == [(0, 0), (1, 0), (0, 0)]
    everything = [i["id"] for i in r.json()]
    first_two = desk.client.get("/api/incidents?limit=2", headers=desk.h("agent")).json()
    assert [i["id"] for i in first_two] == everything[:2]
    rest = desk.client.get("/api/incidents?limit=1000&offset=2", headers=desk.h("agent")).json()
    assert [i["id"] for i in rest] == everything[2:]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1"])
def test_an_incident_page_beyond_the_bounds_is_refused(desk: Desk, query: str) -> None:
    r = desk.client.get(f"/api/incidents?{query}", headers=desk.h("agent"))
    assert r.status_code == 422, r.text


def test_the_service_refuses_a_page_beyond_the_bounds(desk: Desk) -> None:
    with desk.db.factory() as s:
        with pytest.raises(DomainError, match="limit: 1001"):
            list_incidents(s, limit=1001)
        with pytest.raises(DomainError, match="offset: -1"):
            list_incidents(s, offset=-1)
