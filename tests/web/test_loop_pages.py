"""The closed loop on the pages (issue 23): the order page shows its return-visit survey
and, for a recovery order, the answer that opened it and the original order; the
customer page's survey card lists the invitation's status (never its link) and the
answer."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.storage.support import Clock
from tests.web.support import Site, csrf_of, migrated_seeded
from touchpoint.settings import Settings
from touchpoint.storage.models import OutboxMessage
from touchpoint.web import create_site

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in tests/web/support.py
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp: Path = tmp_path_factory.mktemp("loop-pages")
    clock = Clock()
    url = migrated_seeded(tmp / "desk.sqlite", clock)
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        secret_key="web-test-secret",  # noqa: S106 (test key)
        return_visit_delay_minutes=0,
    )
    app = create_site(settings, clock=clock, dispatch=False)
    with TestClient(app):
        yield Site(app=app, clock=clock, url=url)


def _api(c: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    token = csrf_of(c.get("/queue").text)
    r = c.request(method, path, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _mailed_token(url: str, address: str) -> str:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            body = s.scalars(
                select(OutboxMessage.payload["body"].as_string())
                .where(OutboxMessage.target == address)
                .order_by(OutboxMessage.id.desc())
            ).first()
    finally:
        engine.dispose()
    assert body is not None
    found = re.search(r"/s/([^\s/]+)\s", body)
    assert found is not None
    return found.group(1)


def _resolved_complaint(site: Site, c: Any, address: str) -> tuple[Any, Any, str]:
    """A customer with an e-mail, a complaint of theirs resolved, and the token of the
    return-visit mail that the resolution sent."""
    identities = [{"kind": "email", "value": address}]
    customer = _api(c, "POST", "/api/customers", {"name": address, "identities": identities})
    body = {"customer_id": customer["id"], "type": "complaint", "channel": "hotline"}
    order = _api(c, "POST", "/api/work-orders", {**body, "subject": "Meter reading wrong"})
    moved = {"to": "resolved", "version": order["version"]}
    _api(c, "POST", f"/api/work-orders/{order['id']}/transitions", moved)
    return customer, order, _mailed_token(site.url, address)


def test_order_and_customer_pages_show_the_loop(site: Site) -> None:
    c = site.client("supervisor", lang="en")
    customer, order, token = _resolved_complaint(site, c, "page.loop@example.com")
    answered = c.post(f"/s/{token}", json={"answers": {"CSAT": 1, "COMMENT": "still wrong"}})
    assert answered.status_code == 201
    page = c.get(f"/orders/{order['id']}").text
    row = re.search(r'id="order-return-visit">(.*?)</td>', page, re.S)
    assert row is not None and "Completed" in row.group(1) and "CSAT 1" in row.group(1)
    (recovery,) = c.get("/api/work-orders", params={"recovery_of": order["id"]}).json()
    recovery_page = c.get(f"/orders/{recovery['id']}").text
    assert f'href="/orders/{order["id"]}"' in recovery_page and "still wrong" in recovery_page
    card = c.get(f"/customers/{customer['id']}").text
    section = card[card.index('id="survey-card"') :]
    assert "CSAT 1" in section and "still wrong" in section and "/s/" not in section
    zh = site.client("supervisor").get(f"/orders/{order['id']}").text
    assert "回访调查" in zh


def test_the_board_shows_return_visits_loops_and_the_outer_loop(site: Site) -> None:
    c = site.client("supervisor", lang="en")
    _customer, _order, token = _resolved_complaint(site, c, "board.loop@example.com")
    assert c.post(f"/s/{token}", json={"answers": {"CSAT": 2}}).status_code == 201
    page = c.get("/board").text
    surveys = page[page.index('id="survey-kpi-table"') :]
    assert "Fewer than 5 answers" in surveys[: surveys.index("</table>")]
    outer = page[page.index('id="outer-loop-table"') :]
    outer = outer[: outer.index("</table>")]
    assert "Not coded" in outer
    zh = site.client("supervisor").get("/board").text
    assert "按原因统计的投诉（外循环）" in zh


def test_a_supervisor_clears_the_hostage_flag_on_the_customer_page(site: Site) -> None:
    from tests.web.support import post_form

    c = site.client("supervisor", lang="en")
    customer = _api(c, "POST", "/api/customers", {"name": "Hostage Page"})
    flagged = _api(
        c,
        "PATCH",
        f"/api/customers/{customer['id']}",
        {"hostage": True, "version": customer["version"]},
    )
    assert flagged["hostage"] is True
    url = f"/customers/{customer['id']}"
    assert 'id="hostage-form"' in c.get(url).text
    assert 'id="hostage-form"' not in site.client("agent", lang="en").get(url).text
    done = post_form(c, url, f"{url}/hostage/clear", {"note": "Apologised in person"})
    assert done.status_code == 303, done.text
    page = c.get(done.headers["location"]).text
    assert "Hostage flag cleared." in page and "Apologised in person" in page
