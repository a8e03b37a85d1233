"""The comparison pages (issue 24): a survey's monthly trend and a wave's segment
comparison, each a chart with its table and CSV/XLSX download, in zh-CN and en; "not
enough answers" below five; bad options named; agents 403. Both databases."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.support import Desk, open_desk, page_client
from tests.storage.support import BACKENDS, Database, open_database


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("trend-pages"), site=True)


def _chart(html: str, element: str) -> Any:
    found = re.search(rf"id=\"{element}\" data-chart='([^']*)'", html)
    assert found is not None, html
    return json.loads(found.group(1).replace("&#34;", '"'))


def _survey(site: Desk) -> tuple[int, int]:
    """A CSAT survey, one wave: March 2026 has 6 answers by phone (5 satisfied) and 6 by
    kiosk (1 satisfied); April 2 answers by sms."""
    body = {"name": site.db.unique("p "), "template": "csat"}
    survey = site.post("supervisor", "/api/surveys", body)
    wave = site.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    rows = [f"{v},phone,2026-03-0{1 + i}T09:00:00Z" for i, v in enumerate([5, 5, 4, 4, 5, 2])]
    rows += [f"{v},kiosk,2026-03-0{1 + i}T09:00:00Z" for i, v in enumerate([1, 2, 3, 2, 4, 3])]
    rows += ["5,sms,2026-04-01T09:00:00Z", "4,sms,2026-04-02T09:00:00Z"]
    text = "CSAT,channel,submitted_at\n" + "\n".join(rows) + "\n"
    r = site.client.post(
        f"/api/waves/{wave['id']}/responses/import",
        files={"file": ("rows.csv", text.encode(), "text/csv")},
        headers=site.h("supervisor"),
    )
    assert r.status_code == 201, r.text
    return int(survey["id"]), int(wave["id"])


def test_csat_trend_chart_table_and_downloads(site: Desk) -> None:
    survey_id, _wave_id = _survey(site)
    api = site.client.get(
        f"/api/surveys/{survey_id}/trends", params={"measure": "csat"}, headers=site.h("analyst")
    ).json()
    march = api["months"][0]
    for lang, words in (
        ("zh-CN", ("月度趋势", "答卷不足")),
        ("en", ("Trends per month", "Not enough answers")),
    ):
        c = page_client(site, "analyst", lang)
        assert 'id="trends-link"' in c.get(f"/surveys/{survey_id}").text
        r = c.get(f"/surveys/{survey_id}/trends")  # a CSAT survey: CSAT by default
        assert r.status_code == 200, r.text
        assert all(w in r.text for w in words) and "trend-table" in r.text
        option = _chart(r.text, "trend-chart")
        assert option["xAxis"]["data"] == ["2026-03", "2026-04"]
        value, low, high = (s["data"] for s in option["series"])
        # The share in percent, as the API gives it (6 of 12 satisfied).
        assert value == [round(march["value"] * 100, 3), None]
        assert low[0] == round(march["ci95"][0] * 100, 3) and high[1] is None
    download = c.get(f"/surveys/{survey_id}/trends", params={"download": "csv"})
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert rows[0] == ["Month", "n", "CSAT", "95% interval, low", "95% interval, high"]
    assert rows[1][:2] == ["2026-03", "12"] and float(rows[1][2]) == pytest.approx(0.5)
    assert rows[2] == ["2026-04", "2", "Not enough answers", "", ""]
    xlsx = c.get(f"/surveys/{survey_id}/trends", params={"download": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(values_only=True)] == ["Month", "2026-03", "2026-04"]


def test_segment_comparison_chart_table_and_downloads(site: Desk) -> None:
    _survey_id, wave_id = _survey(site)
    params = {"by": "channel", "measure": "share", "column": "CSAT"}
    api = site.client.get(
        f"/api/waves/{wave_id}/segments", params=params, headers=site.h("analyst")
    ).json()
    phone = next(s for s in api["segments"] if s["segment"] == "phone")
    for lang, words in (
        ("zh-CN", ("细分群体比较", "电话")),
        ("en", ("Segment comparison", "Phone")),
    ):
        c = page_client(site, "supervisor", lang)
        assert 'id="segments-link"' in c.get(f"/waves/{wave_id}").text
        assert "choose-segment" in c.get(f"/waves/{wave_id}/segments").text
        r = c.get(f"/waves/{wave_id}/segments", params=params)
        assert r.status_code == 200, r.text
        assert all(w in r.text for w in words) and "segment-table" in r.text
        option = _chart(r.text, "segment-chart")
        bars = option["series"][0]["data"]
        kinds = option["xAxis"]["data"]
        assert len(bars) == 3 and len(kinds) == 3
        shown = bars[[s["segment"] for s in api["segments"]].index("phone")]
        assert shown["value"] == round(phone["value"] * 100, 3)
    text = c.get(f"/waves/{wave_id}/segments", params={**params, "download": "csv"}).text
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Segment", "n", "Value"] and rows[0][5:7] == ["z", "p"]
    by_segment = {r[0]: r for r in rows[1:]}
    assert float(by_segment["Phone"][6]) == pytest.approx(phone["p_value"], abs=1e-12)
    assert by_segment["SMS"][2] == "Not enough answers"
    xlsx = c.get(f"/waves/{wave_id}/segments", params={**params, "download": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_bad_options_and_roles(site: Desk) -> None:
    survey_id, wave_id = _survey(site)
    c = page_client(site, "analyst", "en")
    bad = c.get(f"/waves/{wave_id}/segments", params={"by": "customer_id"})
    assert bad.status_code == 400 and "customer_id" in bad.text
    off = c.get(f"/surveys/{survey_id}/trends", params={"measure": "csat", "scale": "2-5"})
    assert off.status_code == 422 and "value 1 is outside the scale 2–5" in off.text
    assert "choose-trend" in c.get(f"/surveys/{survey_id}/trends?measure=csi").text
    # A survey of one's own: nothing is computed until a measure is chosen.
    text = {"zh-CN": "题", "en": "Item"}
    definition = {
        "title": text,
        "questions": [{"id": "C1", "type": "scale", "min": 1, "max": 7, "text": text}],
    }
    own = site.post(
        "supervisor", "/api/surveys", {"name": site.db.unique("o "), "definition": definition}
    )
    first = c.get(f"/surveys/{own['id']}/trends")
    assert first.status_code == 200 and "choose-trend" in first.text
    agent = page_client(site, "agent", "en")
    assert agent.get(f"/surveys/{survey_id}/trends").status_code == 403
    assert agent.get(f"/waves/{wave_id}/segments").status_code == 403
