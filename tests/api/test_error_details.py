"""The API's refusals keep their English ``detail`` word for word, and nothing else joins
the body, now that the errors behind them also carry message codes for the pages."""

from __future__ import annotations

from typing import Any

from tests.api.support import Desk


def _refused(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def _phone(customer_id: int) -> str:
    """A phone number no other customer of the module's database has."""
    return f"139{customer_id:08d}"


def test_a_stale_version_keeps_its_english_detail(desk: Desk) -> None:
    c = desk.customer()
    url = f"/api/customers/{c['id']}"
    desk.client.patch(
        url, json={"version": c["version"], "notes": "first"}, headers=desk.h("agent")
    )
    r = desk.client.patch(
        url, json={"version": c["version"], "notes": "second"}, headers=desk.h("agent")
    )
    assert _refused(r, 409) == {
        "detail": (
            f"customer {c['id']}: version {c['version']} is stale, "
            f"current is {c['version'] + 1}; reload and retry"
        ),
        "current_version": c["version"] + 1,
    }


def test_bad_identities_keep_their_english_detail(desk: Desk) -> None:
    c = desk.customer()
    url = f"/api/customers/{c['id']}/identities"
    for kind, value, detail in (
        ("phone", "abc", "phone 'abc' is not a phone number"),
        ("email", "nope", "email 'nope' is not an e-mail address"),
        ("account", "   ", "identity value for 'account' is empty"),
    ):
        r = desk.client.post(url, json={"kind": kind, "value": value}, headers=desk.h("agent"))
        assert _refused(r, 400) == {"detail": detail}


def test_missing_records_and_empty_fields_keep_their_english_detail(desk: Desk) -> None:
    r = desk.client.get("/api/customers/2147483000", headers=desk.h("agent"))
    assert _refused(r, 404) == {"detail": "customer 2147483000 not found"}
    r = desk.client.get("/api/work-orders/2147483000", headers=desk.h("agent"))
    assert _refused(r, 404) == {"detail": "work_order 2147483000 not found"}
    c = desk.customer()
    body = {
        "customer_id": c["id"],
        "type": "repair",
        "channel": "hotline",
        "subject": "No power",
        "team_id": desk.teams["A"],
    }
    r = desk.client.post(
        "/api/work-orders", json={**body, "subject": "  "}, headers=desk.h("agent")
    )
    assert _refused(r, 400) == {"detail": "subject: must not be empty"}
    r = desk.client.post(
        "/api/work-orders", json={**body, "team_id": 2147483000}, headers=desk.h("agent")
    )
    assert _refused(r, 400) == {"detail": "team_id: team 2147483000 does not exist"}
    r = desk.client.post(
        "/api/work-orders", json={**body, "customer_id": 2147483000}, headers=desk.h("agent")
    )
    assert _refused(r, 400) == {"detail": "customer_id: customer 2147483000 does not exist"}


def test_merge_reasons_and_refusals_keep_their_english_text(desk: Desk) -> None:
    a = desk.customer(name=desk.db.unique("Alpha Zhang "))
    phone = _phone(a["id"])
    desk.post("agent", f"/api/customers/{a['id']}/identities", {"kind": "phone", "value": phone})
    # The same name on the same phone: one person (another name would be a family's).
    b = desk.customer(name=a["name"], identities=[{"kind": "phone", "value": phone}])
    r = desk.client.get(
        "/api/merge/candidates", params={"customer_id": a["id"]}, headers=desk.h("agent")
    )
    assert r.status_code == 200, r.text
    (found,) = [m for m in r.json() if m["b_id"] == b["id"]]
    assert (found["a_id"], found["reasons"]) == (
        a["id"],
        [f"same phone {phone}", "similar names (100)"],
    )
    assert 99 < found["score"] <= 100
    r = desk.client.post(
        "/api/merges",
        json={"survivor_id": a["id"], "merged_id": a["id"]},
        headers=desk.h("supervisor"),
    )
    assert _refused(r, 400) == {
        "detail": f"merged_id: customer {a['id']} cannot be merged into itself"
    }
    merged = desk.post("supervisor", "/api/merges", {"survivor_id": a["id"], "merged_id": b["id"]})
    r = desk.client.post(
        "/api/merges",
        json={"survivor_id": a["id"], "merged_id": b["id"]},
        headers=desk.h("supervisor"),
    )
    assert _refused(r, 400) == {
        "detail": f"customer {b['id']} was already merged into another customer"
    }
    url = f"/api/merges/{merged['id']}"
    assert desk.client.delete(url, headers=desk.h("supervisor")).status_code == 200
    r = desk.client.delete(url, headers=desk.h("supervisor"))
    assert _refused(r, 400) == {"detail": f"merge {merged['id']} was already undone"}


def test_a_similar_name_reason_keeps_its_english_text(desk: Desk) -> None:
    name = desk.db.unique("Lindqvist Hotel Guest ")
    mail = [{"kind": "email", "value": f"{name.replace(' ', '.')}@example.se"}]
    a = desk.customer(name=name, identities=mail)
    b = desk.customer(name=name.upper(), identities=mail)
    r = desk.client.get(
        "/api/merge/candidates", params={"customer_id": b["id"]}, headers=desk.h("agent")
    )
    assert r.status_code == 200, r.text
    pair = [m for m in r.json() if {m["a_id"], m["b_id"]} == {a["id"], b["id"]}]
    assert [m["reasons"][-1:] for m in pair] == [["similar names (100)"]]
