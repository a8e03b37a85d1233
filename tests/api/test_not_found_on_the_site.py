"""With the pages mounted, one handler answers a missing record for both: the API's paths
keep their JSON 404, a page gets the 404 page naming the record (the pages themselves
no longer turn the services' errors into pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import Desk, open_desk, page_client
from tests.storage.support import Database


@pytest.fixture(scope="module")
def site_desk(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("missing"), site=True)


def test_the_api_keeps_its_json_404_beside_the_pages(site_desk: Desk) -> None:
    r = site_desk.client.get("/api/work-orders/2147483000", headers=site_desk.h("supervisor"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert "2147483000" in r.json()["detail"]
    survey = site_desk.client.get("/api/surveys/2147483000", headers=site_desk.h("analyst"))
    assert survey.status_code == 404 and "detail" in survey.json()


def test_a_page_address_that_cannot_be_read_gets_a_page_not_json(site_desk: Desk) -> None:
    """``/orders/abc`` or ``/board?group_by=nope`` typed in a browser: the 404 page, or
    a 422 page naming the parameter, in the viewer's language; the API keeps FastAPI's
    JSON 422."""
    zh = page_client(site_desk, "supervisor", "zh_CN")
    order = zh.get("/orders/abc")
    assert order.status_code == 404 and order.headers["content-type"].startswith("text/html")
    assert "未找到" in order.text
    board = zh.get("/board", params={"group_by": "nope"})
    assert board.status_code == 422 and board.headers["content-type"].startswith("text/html")
    assert "这个地址有误" in board.text and "<code>group_by=nope</code>" in board.text
    en = page_client(site_desk, "supervisor", "en").get("/board", params={"group_by": "nope"})
    assert "This address is not right" in en.text
    api = site_desk.client.get("/api/work-orders/abc", headers=site_desk.h("supervisor"))
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["path", "order_id"]
