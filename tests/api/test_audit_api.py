"""The audit log read back (``GET /api/audit``, ``/admin/audit``): every write with who,
when and the record before and after, newest first, by record, action or user, a page at
a time; administrators only; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.support import Desk, open_desk, page_client
from tests.storage.support import Database


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("audit"), site=True)


def _audit(site: Desk, who: str = "admin", **query: Any) -> list[dict[str, Any]]:
    r = site.client.get("/api/audit", params=query, headers=site.h(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_record_s_history_newest_first_with_its_changes(site: Desk) -> None:
    customer = site.customer(name="王芳")
    r = site.client.patch(
        f"/api/customers/{customer['id']}",
        json={"version": customer["version"], "name": "王芳芳", "customer_class": "vip"},
        headers=site.h("agent"),
    )
    assert r.status_code == 200, r.text
    history = _audit(site, entity="customer", entity_id=str(customer["id"]))
    assert [e["action"] for e in history] == ["customer.update", "customer.create"]
    update, create = history
    assert update["actor"] == create["actor"] != "system"
    assert update["actor_id"] == site.ids["agent"]
    assert set(update["changed"]) >= {"name", "customer_class"}
    assert update["before"]["name"] == "王芳" and update["after"]["name"] == "王芳芳"
    assert create["before"] is None and "name" in create["changed"]
    assert update["id"] > create["id"]


def test_filters_and_pages(site: Desk) -> None:
    made = [site.customer(who="agent2") for _ in range(3)]
    mine = _audit(site, actor_id=site.ids["agent2"], action="customer.create")
    assert [e["entity_id"] for e in mine[:3]] == [str(c["id"]) for c in reversed(made)]
    assert all(e["actor_id"] == site.ids["agent2"] for e in mine)
    first = _audit(site, limit=2)
    older = _audit(site, limit=2, before_id=first[-1]["id"])
    assert len(first) == len(older) == 2 and older[0]["id"] < first[-1]["id"]
    assert _audit(site, entity="customer", entity_id="999999999") == []


def test_only_administrators_read_it(site: Desk) -> None:
    for who in ("supervisor", "agent", "analyst"):
        r = site.client.get("/api/audit", headers=site.h(who))
        assert r.status_code == 403, who
    assert site.client.get("/api/audit").status_code == 401


def test_the_page_shows_the_same_entries_in_the_page_language(site: Desk) -> None:
    customer = site.customer(name="审计页客户")
    admin = page_client(site, "admin", "zh_CN")
    page = admin.get(f"/admin/audit?entity=customer&entity_id={customer['id']}")
    assert page.status_code == 200
    rows = re.findall(r'<tr id="audit-(\d+)">', page.text)
    api = _audit(site, entity="customer", entity_id=str(customer["id"]))
    assert [int(r) for r in rows] == [e["id"] for e in api]
    assert "操作审计" in page.text and f'<a href="/customers/{customer["id"]}">' in page.text
    assert "审计页客户" in page.text
    assert page_client(site, "supervisor", "zh_CN").get("/admin/audit").status_code == 403


def test_the_page_s_filter_form_and_older_pages(site: Desk) -> None:
    for _ in range(51):
        site.customer(who="agent2")
    admin = page_client(site, "admin", "en")
    # The form as a browser sends it: every field, "anyone" as an empty user.
    form = admin.get("/admin/audit?action=&entity=customer&entity_id=&actor_id=")
    assert form.status_code == 200
    first = [int(i) for i in re.findall(r'<tr id="audit-(\d+)">', form.text)]
    assert len(first) == 50
    older = re.search(r'id="older-page" href="([^"]+)"', form.text)
    assert older is not None and "actor_id" not in older.group(1)
    after = admin.get(older.group(1).replace("&amp;", "&"))
    assert after.status_code == 200
    rest = [int(i) for i in re.findall(r'<tr id="audit-(\d+)">', after.text)]
    assert rest and max(rest) < min(first)
    mine = admin.get(f"/admin/audit?actor_id={site.ids['agent2']}&entity=customer")
    assert mine.status_code == 200 and 'id="older-page"' in mine.text
