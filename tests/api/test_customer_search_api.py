"""``GET /api/customers?q=`` finds customers by fragments, best match first, with the same
parameters and response as before (issue 21 item 4)."""

from __future__ import annotations

from typing import Any

from tests.api.support import Desk


def _new(desk: Desk, name: str, *idents: tuple[str, str]) -> int:
    body = {"name": name, "identities": [{"kind": k, "value": v} for k, v in idents]}
    return int(desk.post("agent", "/api/customers", body)["id"])


def _search(desk: Desk, q: str, who: str = "agent", **params: int) -> list[dict[str, Any]]:
    r = desk.client.get("/api/customers", params={"q": q, **params}, headers=desk.h(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_fragments_are_found_best_first(desk: Desk) -> None:
    fragment = _new(desk, "Api Fragment", ("phone", "139 4455 6677"))
    prefix = _new(desk, "Api Prefix", ("email", "44556677@mail.test"))
    exact = _new(desk, "Api Exact", ("account", "4455-6677"))
    assert [c["id"] for c in _search(desk, "4455-6677")] == [exact, prefix, fragment]
    assert [c["id"] for c in _search(desk, "4455-6677", limit=1, offset=1)] == [prefix]
    assert [c["id"] for c in _search(desk, "api frag")] == [fragment]
    (found,) = _search(desk, "94455")
    assert found["name"] == "Api Fragment"
    (ident,) = found["identities"]
    assert (ident["kind"], ident["value"], ident["masked"]) == ("phone", "139 4455 6677", False)


def test_analysts_find_by_fragment_but_see_masked_details(desk: Desk) -> None:
    _new(desk, "Api Masked", ("phone", "13655501234"), ("email", "masked.one@corp.test"))
    (found,) = _search(desk, "5550123", who="analyst")
    values = {(i["kind"], i["value"], i["masked"]) for i in found["identities"]}
    assert values == {("phone", "136******34", True), ("email", "m***@corp.test", True)}


def test_too_short_fragments_answer_an_empty_list(desk: Desk) -> None:
    _new(desk, "Api Short", ("phone", "13712340000"))
    assert _search(desk, "234") == []  # under four characters: whole identities only
    assert [c["name"] for c in _search(desk, "2340")] == ["Api Short"]
    r = desk.client.get("/api/customers", params={"q": "x" * 201}, headers=desk.h("agent"))
    assert r.status_code == 422
