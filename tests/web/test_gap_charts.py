"""The five-gap report's charts (issue 24): the five gaps side by side with the largest
highlighted, gaps 5 and 1 per dimension, and the pledges' promises against what was
delivered, each with its table and CSV/XLSX download, in zh-CN and en.

The waves and desk orders are those of ``tests/api/test_gaps_api.py`` (worked out by hand
there); the registers here are smaller: one standard, item 5 resolved within the SLA for
90% of orders, and one pledge, repairs resolved within 45 minutes (responsiveness).
By hand, the largest shortfall of each gap:
  gap 1: reliability, |5.0 - 6.5| / 6 = 0.25;
  gap 2: the important items (E mean >= 126/22) are 5-13; only 5 has a standard: 8/9;
  gap 3: resolution met by 2 of 4 orders, 0.5 against 0.9: 0.4;
  gap 4: resolutions of 40, 50, 90 minutes, 1 of 3 within 45: 2/3, median 50;
  gap 5: reliability, |3.5 - 6.5| / 6 = 0.5.
The largest is gap 2 (8/9).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.support import Desk, open_desk, page_client
from tests.api.test_gaps_api import CUSTOMERS, MANAGERS, _act, _policy, _wave
from tests.storage.support import BACKENDS, T0, Database, open_database

DAY = "2026-11-23"


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("gap-charts"), site=True)


@pytest.fixture(scope="module")
def query(site: Desk) -> dict[str, Any]:
    """The waves, the registers and the period's four repair orders (as in the API test:
    o1 replied at 10 and resolved at 40 minutes, o2 at 20 and 50, o3 at 40 and 90, o4
    never answered); the report is read at T0 + 3 h."""
    customers, managers = _wave(site, CUSTOMERS), _wave(site, MANAGERS)
    site.post(
        "supervisor",
        "/api/service-standards",
        {"item": 5, "metric": "sla_resolution", "target": 0.9, "source": "charter"},
    )
    site.post(
        "supervisor",
        "/api/service-pledges",
        {"name": "城区 45 分钟到达现场", "metric": "resolution_minutes", "promised_value": 45,
         "order_type": "repair", "dimension": "responsiveness"},
    )  # fmt: skip
    _policy(site)
    site.clock.now = T0
    o = [site.order(site.customer()["id"]) for _ in range(4)]
    for minutes, i, what in [
        (10, 0, "reply"), (20, 1, "reply"), (40, 0, "resolve"), (40, 2, "reply"),
        (50, 1, "resolve"), (90, 2, "resolve"),
    ]:  # fmt: skip
        _act(site, minutes, o[i], what)
    site.clock.now = T0 + timedelta(hours=3)
    return {"customer_wave": customers, "manager_wave": managers, "start": DAY, "end": DAY}


def _chart(html: str, key: str) -> dict[str, Any]:
    found = re.search(rf"id=\"chart-{key}\" data-chart='([^']*)'", html)
    assert found is not None, f"no chart {key}"
    option: dict[str, Any] = json.loads(found.group(1).replace("&#34;", '"'))
    return option


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_five_gaps_side_by_side_with_the_largest_highlighted(
    site: Desk, query: dict[str, Any]
) -> None:
    page = page_client(site, "analyst", "zh_CN").get("/gaps", params=query)
    assert page.status_code == 200, page.text
    assert "五个差距" in page.text and 'id="table-five-gaps"' in page.text
    bars = _chart(page.text, "five-gaps")["series"][0]["data"]
    assert [b["value"] for b in bars] == [25.0, 88.9, 40.0, 66.7, 50.0]
    red = [i for i, b in enumerate(bars) if b["itemStyle"]["color"] == "#c53030"]
    assert red == [1]  # gap 2, the report's largest
    c = page_client(site, "supervisor", "en")
    rows = _csv(c.get("/gaps", params={**query, "chart": "five-gaps", "download": "csv"}))
    assert rows[0] == ["Gap", "Largest shortfall", "Where", "Largest gap"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx([0.25, 8 / 9, 0.4, 2 / 3, 0.5])
    assert [r[3] for r in rows[1:]] == ["", "✔", "", "", ""]
    assert rows[1][2] == "Reliability" and rows[4][2] == "城区 45 分钟到达现场"
    assert rows[3][2] == "sla_resolution · 5"


def test_gaps_by_dimension_and_the_pledges(site: Desk, query: dict[str, Any]) -> None:
    c = page_client(site, "analyst", "en")
    page = c.get("/gaps", params=query)
    option = _chart(page.text, "dimensions")
    assert option["xAxis"]["data"][1] == "Reliability"
    gap5, gap1 = (s["data"] for s in option["series"])
    # Customers P - E per dimension; managers' E - customers' E (reliability 5.0 - 6.5).
    assert gap5 == [1.0, -3.0, -1.0, 0.0, 0.0] and gap1 == [0.0, -1.5, 0.0, 0.0, 0.0]
    assert 'id="table-dimensions"' in page.text
    pledges = _chart(page.text, "pledges")
    assert pledges["xAxis"]["data"] == ["城区 45 分钟到达现场"]
    assert [s["data"] for s in pledges["series"]] == [[45.0], [50.0]]
    xlsx = c.get("/gaps", params={**query, "chart": "pledges", "download": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    header, row = (list(r) for r in sheet.iter_rows(values_only=True))
    assert header[:3] == ["Pledge", "Promised (business min)", "Median delivered"]
    assert row[:3] == ["城区 45 分钟到达现场", 45, 50] and row[3] == pytest.approx(1 / 3)
    zh = _csv(
        page_client(site, "analyst", "zh_CN").get(
            "/gaps", params={**query, "chart": "dimensions", "download": "csv"}
        )
    )
    assert zh[0][0] == "维度" and zh[2][0] == "可靠性" and float(zh[2][2]) == -1.5


def test_without_a_period_or_a_managers_wave(site: Desk, query: dict[str, Any]) -> None:
    alone = {"customer_wave": query["customer_wave"]}
    page = page_client(site, "analyst", "en").get("/gaps", params=alone)
    assert page.status_code == 200
    bars = _chart(page.text, "five-gaps")["series"][0]["data"]
    # Gaps 1, 3 and 4 are not measured: no bar. Gap 2 is then the largest.
    assert [b["value"] for b in bars] == [None, 88.9, None, None, 50.0]
    assert [s["name"] for s in _chart(page.text, "dimensions")["series"]] == ["Gap 5 (P − E)"]
    assert 'id="chart-pledges"' not in page.text
    # A chart the page does not show is no download: the page itself.
    r = page_client(site, "analyst", "en").get(
        "/gaps", params={**alone, "chart": "pledges", "download": "csv"}
    )
    assert r.headers["content-type"].startswith("text/html")
    assert page_client(site, "agent", "en").get("/gaps", params=alone).status_code == 403
