"""A wave's analysis page (issue 24): the analysis that fits the survey's template drawn
as a chart with its table and CSV download, in zh-CN and en; other analyses with their
options; "not enough answers" below five; agents 403. Both databases."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from tests.api.support import Desk, open_desk, page_client
from tests.api.test_wave_analysis_api import _scale_items, _servqual, _wave
from tests.storage.support import BACKENDS, Database, open_database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("analysis-pages"), site=True)


def _chart(html: str) -> dict[str, object]:
    found = re.search(r"id=\"analysis-chart\" data-chart='([^']*)'", html)
    assert found is not None, html
    option: dict[str, object] = json.loads(found.group(1).replace("&#34;", '"'))
    return option


def test_servqual_gap_bars_table_and_csv_in_both_languages(site: Desk) -> None:
    wave_id = _wave(site, {"template": "servqual"}, _servqual, 6)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/servqual", headers=site.h("analyst"))
    tangibles = api.json()["dimensions"][0]
    for lang, word in (("zh-CN", "有形性"), ("en", "Tangibles")):
        c = page_client(site, "analyst", lang)
        r = c.get(f"/waves/{wave_id}/analysis")
        assert r.status_code == 200, r.text
        assert "analysis-table" in r.text and word in r.text
        option = _chart(r.text)
        series = option["series"]
        assert isinstance(series, list)
        assert series[0]["data"][0] == pytest.approx(tangibles["gap"], abs=1e-3)
    download = c.get(f"/waves/{wave_id}/analysis", params={"download": "csv"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert rows[0] == ["Dimension", "E", "P", "P − E"] and len(rows) == 6
    assert float(rows[1][3]) == pytest.approx(tangibles["gap"], abs=1e-12)


def test_drivers_and_loyalty_with_their_options(site: Desk) -> None:
    ids = ["SAT", "A", "B", "ATT", "REP"]
    wave_id = _wave(
        site,
        {"definition": _scale_items(ids, 0, 10)},
        lambda r: {q: r.randint(0, 10) for q in ids},
        8,
    )
    c = page_client(site, "supervisor", "en")
    url = f"/waves/{wave_id}/analysis"
    assert "choose-analysis" in c.get(url).text
    drivers = c.get(url, params={"instrument": "drivers", "outcome": "SAT", "items": "A,B"})
    assert drivers.status_code == 200 and "analysis-table" in drivers.text
    assert _chart(drivers.text)["series"]
    loyalty = c.get(url, params={"instrument": "loyalty", "attitude": "ATT", "repeat": "REP"})
    assert "True loyalty" in loyalty.text
    bad = c.get(url, params={"instrument": "drivers", "outcome": "NOPE", "items": "A"})
    assert bad.status_code == 422 and "NOPE" in bad.text


def test_below_five_answers_no_numbers(site: Desk) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 4)
    c = page_client(site, "analyst", "zh-CN")
    r = c.get(f"/waves/{wave_id}/analysis")
    assert r.status_code == 200 and "not-enough" in r.text and "答卷不足" in r.text
    assert "analysis-table" not in r.text and "analysis-chart" not in r.text
    assert (
        c.get(f"/waves/{wave_id}/analysis?download=csv")
        .headers["content-type"]
        .startswith("text/html")
    )
    agent = page_client(site, "agent", "en")
    assert agent.get(f"/waves/{wave_id}/analysis").status_code == 403


def test_nps_interval(site: Desk, tmp_path: Path) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 7)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/nps", headers=site.h("analyst"))
    c = page_client(site, "analyst", "en")
    option = _chart(c.get(f"/waves/{wave_id}/analysis").text)
    series = option["series"]
    assert isinstance(series, list)
    lo, hi = api.json()["ci95"]
    assert [p[0] for p in series[0]["data"]] == [round(lo, 3), round(hi, 3)]
    xlsx = c.get(f"/waves/{wave_id}/analysis?download=xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    text = c.get(f"/waves/{wave_id}/analysis?download=csv").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == [str(v) for v in header]


def test_zone_band_and_kano_scatter(site: Desk) -> None:
    from tests.api.test_wave_analysis_api import _zone

    zone_wave = _wave(site, {"template": "servqual-zone"}, _zone, 5)
    kano_wave = _wave(
        site,
        {
            "template": "kano",
            "features": [{"key": "wifi", "label": {"zh-CN": "网", "en": "Wi-Fi"}}],
        },
        lambda r: {"wifi_f": r.randint(1, 5), "wifi_d": r.randint(1, 5)},
        6,
    )
    c = page_client(site, "analyst", "zh-CN")
    zone = c.get(f"/waves/{zone_wave}/analysis")
    assert zone.status_code == 200 and "容忍区" in zone.text
    assert [s["type"] for s in _chart(zone.text)["series"]] == ["bar", "bar", "scatter"]  # type: ignore[attr-defined]
    kano = c.get(f"/waves/{kano_wave}/analysis")
    assert kano.status_code == 200 and "wifi" in kano.text
    [point] = _chart(kano.text)["series"][0]["data"]  # type: ignore[index]
    assert point["name"] == "wifi" and 0 <= point["value"][0] <= 1


def test_one_answer_without_an_interval_is_not_enough(site: Desk) -> None:
    # One CES answer: no sd, so no t interval (ci95 null in the API) - the page still says
    # "not enough answers" rather than failing on the missing interval.
    wave_id = _wave(site, {"template": "ces"}, lambda r: {"CES": r.randint(1, 7)}, 1)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/ces", headers=site.h("analyst"))
    assert api.status_code == 200 and api.json()["ci95"] is None
    r = page_client(site, "analyst", "en").get(f"/waves/{wave_id}/analysis")
    assert r.status_code == 200 and "not-enough" in r.text
    assert "analysis-table" not in r.text


def test_loyalty_chart_without_complete_pairs() -> None:
    # No answer pairs both columns: the shares are null (n = 0), the dots plain.
    from touchpoint.web.charts import loyalty_quadrants

    keys = ("true", "latent", "spurious", "none")
    names = {k: k for k in (*keys, "attitude_low", "attitude_high", "repeat_low", "repeat_high")}
    option = loyalty_quadrants(dict.fromkeys(keys), names)
    points = option["series"][0]["data"]
    assert [(p["value"][2], p["symbolSize"]) for p in points] == [(None, 20.0)] * 4


def test_drivers_chart_and_table_when_r2_is_0() -> None:
    # A = 1 2 3 1 2 3 and Y = 1 2 1 2 1 2 do not covary (sum of (a - 2)(y - 1.5) = 0):
    # R² = 0, no weight can be rescaled and no item has a quadrant.
    from touchpoint.quality.drivers import driver_report_from_sscp
    from touchpoint.web.pages_analysis import _drivers

    d = np.array([[1, 1], [2, 2], [3, 1], [1, 2], [2, 1], [3, 2]], dtype=float)
    report = driver_report_from_sscp(["A"], 6, d.sum(0), d.T @ d)
    assert report.r_squared == 0
    item = report.items[0]
    r = {
        "n": 6,
        "drivers": [
            {"item": "A", "mean": item.mean, "beta": item.beta, "rescaled_weight": None,
             "quadrant": None}
        ],
    }  # fmt: skip
    shown = _drivers(r, str, {})
    assert shown.chart == {} and shown.rows == [["A", 2.0, item.beta, None, None]]


def test_scores_and_gaps_by_segment(site: Desk) -> None:
    """``by``: all answers first, then each segment under a segment column, charted side
    by side; a segment below five answers says so instead of showing numbers."""
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 8)
    api = site.client.get(
        f"/api/waves/{wave_id}/analysis/nps", params={"by": "channel"}, headers=site.h("analyst")
    ).json()
    [link] = api["groups"]
    c = page_client(site, "analyst", "en")
    page = c.get(f"/waves/{wave_id}/analysis", params={"by": "channel"})
    assert page.status_code == 200, page.text
    series = _chart(page.text)["series"]
    assert isinstance(series, list)
    dots = series[1]["data"]
    assert dots == [[round(api["nps"], 3), "All answers"], [round(link["nps"], 3), "link"]]
    text = c.get(f"/waves/{wave_id}/analysis?by=channel&download=csv").content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][0] == "Segment" and [r[0] for r in rows[1:]] == ["All answers", "link"]

    # Segments of one to three answers each: no figure, their count instead.
    per_score = c.get(f"/waves/{wave_id}/analysis", params={"by": "NPS", "download": "csv"})
    rows = list(csv.reader(io.StringIO(per_score.content.decode("utf-8-sig"))))
    assert all(r[1].startswith("Not enough answers (n = ") for r in rows[2:]), rows

    servqual = _wave(site, {"template": "servqual"}, _servqual, 6)
    page = c.get(f"/waves/{servqual}/analysis", params={"by": "channel"})
    bars = _chart(page.text)["series"]
    assert isinstance(bars, list)
    assert [s["name"] for s in bars] == ["All answers", "link"]
    assert bars[0]["data"] == bars[1]["data"]  # every answer came by link


def test_a_return_visit_wave_opens_on_its_csat(site: Desk) -> None:
    """The return-visit survey is read by its CSAT (1–5), as the KPI board reads it,
    rather than asking which analysis to run."""
    wave_id = _wave(site, {"template": "return-visit"}, lambda r: {"CSAT": r.randint(1, 5)}, 6)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/csat", headers=site.h("analyst"))
    c = page_client(site, "analyst", "en")
    r = c.get(f"/waves/{wave_id}/analysis")
    assert r.status_code == 200, r.text
    assert '<option value="csat" selected>Satisfaction (CSAT)</option>' in r.text
    assert "analysis-table" in r.text
    zh = page_client(site, "analyst", "zh_CN").get(f"/waves/{wave_id}/analysis").text
    assert "<h2>满意度（CSAT） · n = 6</h2>" in zh and ">驱动因素分析</option>" in zh
    download = c.get(f"/waves/{wave_id}/analysis", params={"download": "csv"})
    rows = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert str(api.json()["n"]) in rows[1]  # the CSAT table's n, as the API counts it


def test_an_analysis_refused_is_said_in_the_page_language(site: Desk) -> None:
    """Options and data an analysis cannot use are named in zh-CN on a zh-CN page (the
    API keeps its English), as the desk's other refusals are."""
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 6)
    two = {"definition": _scale_items(["SAT", "A"], 1, 7)}
    small = _wave(site, two, lambda r: {"SAT": r.randint(1, 7), "A": r.randint(1, 7)}, 2)
    zh = page_client(site, "analyst", "zh_CN")
    cases = [
        (f"/waves/{wave_id}/analysis?instrument=servqual", "答卷中没有此分析所需的列 E1, E2"),
        (f"/waves/{wave_id}/analysis?instrument=csi", "题项：请至少填写一列，例如 A,B,C。"),
        (
            f"/waves/{wave_id}/analysis?instrument=csat&scale=1..5",
            "量表：请按“最小-最大”给出量表，例如 1-5（而不是“1..5”）。",
        ),
        (f"/waves/{wave_id}/segments?by=nope", "“nope”不是本轮可用的细分依据"),
        (
            f"/waves/{small}/analysis?instrument=drivers&outcome=SAT&items=A",
            "驱动因素分析需要多于 2 份结果与全部题项都作答的答卷；现有 2 份。",
        ),
        ("/gaps?customer_wave=abc", "“abc”不是调查批次编号。"),
        (f"/gaps?customer_wave={wave_id}", "答卷中没有此分析所需的列 E1"),
        (
            f"/gaps?customer_wave={wave_id}&start=2026-11-01",
            "请按 YYYY-MM-DD 填写时段的起止两个日期。",
        ),
    ]
    for path, said in cases:
        r = zh.get(path)
        assert r.status_code in (400, 422) and said in r.text, (path, r.text[-2000:])
        assert "missing required" not in r.text and "name at least one" not in r.text
    api = site.client.get(
        f"/api/waves/{wave_id}/analysis/servqual", headers=site.h("analyst")
    ).json()
    assert api["detail"].startswith("responses.parquet: missing required columns E1, E2")


def test_cells_and_options_the_engine_refuses_are_said_in_the_page_language(
    site: Desk,
) -> None:
    """A cell off the scale the user chose, and the options only the engine checks (an
    item named twice, the outcome among the items, a scale upside down or not whole, no
    Kano features) are named in zh-CN on a zh-CN page; the API keeps its English."""
    nines = _wave(site, {"template": "nps"}, lambda _r: {"NPS": 9}, 2)
    two = {"definition": _scale_items(["SAT", "A"], 1, 7)}
    small = _wave(site, two, lambda _r: {"SAT": 4, "A": 5}, 2)
    zh = page_client(site, "analyst", "zh_CN")
    cases = [
        (
            f"/waves/{nines}/analysis?instrument=csat&column=NPS&scale=1-5",
            "第 1 行 NPS 列：9 超出量表 1–5。",
        ),
        (
            f"/waves/{small}/analysis?instrument=csi&items=A,A&scale=1-7",
            "题项：“A,A”中有题目重复。",
        ),
        (
            f"/waves/{small}/analysis?instrument=csi&items=A&scale=7-1",
            "量表：请按“最小-最大”给出量表，例如 1-5（而不是“7-1”）。",
        ),
        (
            f"/waves/{small}/analysis?instrument=csat&column=SAT&scale=1.5-7",
            "量表：请按“最小-最大”给出量表，例如 1-5（而不是“1.5-7”）。",
        ),
        (
            f"/waves/{small}/analysis?instrument=drivers&outcome=SAT&items=A,SAT",
            "题项：结果变量“SAT”不能同时作为题项。",
        ),
        (f"/waves/{small}/analysis?instrument=kano", "答卷中没有 Kano 功能列"),
    ]
    for path, said in cases:
        r = zh.get(path)
        assert r.status_code == 422 and said in r.text, (path, r.text[-2000:])
        assert "outside the scale" not in r.text and "named twice" not in r.text
    api = site.client.get(
        f"/api/waves/{nines}/analysis/csat?column=NPS&scale=1-5", headers=site.h("analyst")
    )
    assert api.status_code == 422
    assert api.json()["detail"] == (
        "responses.parquet: row 1, column NPS: value 9 is outside the scale 1–5"
    )
