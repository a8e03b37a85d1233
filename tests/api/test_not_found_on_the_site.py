"""With the pages mounted, one handler answers a missing record for both: the API's paths
keep their JSON 404, a page gets the 404 page naming the record (the pages themselves
no longer turn the services' errors into pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import Desk, open_desk
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
