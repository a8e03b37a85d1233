"""A wave's one-page report (issue 24): the page shows the wave's counts and the numbers
the API answers for the wave's analysis (gaps and α per dimension, NPS with its
interval), the method notes, "not enough answers" below five, no customer id on an
anonymous wave, 403 for an agent; the PDF is one page with the same numbers."""

from __future__ import annotations

import base64
import re
import warnings
import zlib
from collections.abc import Iterator
from html import unescape

import pytest
from sqlalchemy import select

from tests.api.support import Desk, open_desk, page_client
from tests.api.test_wave_analysis_api import _scale_items, _servqual, _wave
from tests.storage.support import Database, open_database
from touchpoint.storage.models import AuditEntry
from touchpoint.web.i18n import Formatter

with warnings.catch_warnings():
    warnings.simplefilter("ignore")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    yield from open_database("sqlite", tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("wave-report"), site=True)


def _table(html: str) -> list[list[tuple[str, float | None]]]:
    """The report table's rows: each cell's text and its unrounded ``data-value``."""
    body = re.search(r'id="report-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None, html
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r'<td(?: class="num" data-value="([^"]*)")?>(.*?)</td>', row, re.S)
        rows.append([(unescape(t), float(v) if v else None) for v, t in cells])
    return rows


def _facts(html: str) -> dict[str, str]:
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html)
    return {unescape(k): unescape(v) for k, v in pairs}


def test_servqual_report_shows_the_apis_gaps_and_alphas(site: Desk) -> None:
    wave_id = _wave(site, {"template": "servqual"}, _servqual, 6)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/servqual", headers=site.h("analyst"))
    dims = api.json()["dimensions"]
    for lang, word, notes in (("zh-CN", "有形性", "克朗巴赫"), ("en", "Tangibles", "Cronbach")):
        r = page_client(site, "analyst", lang).get(f"/waves/{wave_id}/report")
        assert r.status_code == 200, r.text
        assert word in r.text and notes in r.text and "report-chart" in r.text
        rows = _table(r.text)
        assert len(rows) == 5
        for row, d in zip(rows, dims, strict=True):
            values = [v for _t, v in row[1:]]
            expected = [d[k] for k in ("expectation", "perception", "gap")]
            expected += [d["alpha_expectation"], d["alpha_perception"]]
            assert values == pytest.approx(expected, abs=1e-9)
        assert re.search(r'id="report-n">6<', r.text)
    facts = _facts(r.text)
    assert facts["Invited"] == "6" and facts["Completed"] == "6"
    assert facts["Response rate (RR1)"] == "100.0%"
    assert 'src="/static/vendor/echarts-6.1.0.min.js"' in r.text
    assert 'href="/static/report.css"' in r.text


def test_nps_report_shows_score_interval_and_its_definition(site: Desk) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 7)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/nps", headers=site.h("analyst")).json()
    r = page_client(site, "supervisor", "en").get(f"/waves/{wave_id}/report")
    assert r.status_code == 200
    [row] = _table(r.text)
    assert [v for _t, v in row] == pytest.approx(
        [api["n"], api["nps"], api["promoters"], api["passives"], api["detractors"], *api["ci95"]],
        abs=1e-9,
    )
    assert "adjusted Wald" in r.text and "z = 1.959964" in r.text
    headline = re.search(r'id="report-headline">(.*?)</section>', r.text, re.S)
    assert headline is not None and f"{api['nps']:.1f}" in headline.group(1)


def test_below_five_answers_no_figures_and_agents_refused(site: Desk) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 4)
    r = page_client(site, "analyst", "zh-CN").get(f"/waves/{wave_id}/report")
    assert r.status_code == 200 and "not-enough" in r.text and "答卷不足" in r.text
    assert "report-table" not in r.text and "report-chart" not in r.text
    assert "report-headline" not in r.text and "report-notes" in r.text
    agent = page_client(site, "agent", "en")
    assert agent.get(f"/waves/{wave_id}/report").status_code == 403
    assert agent.get(f"/waves/{wave_id}/report.pdf").status_code == 403
    assert page_client(site, "analyst", "en").get("/waves/999999/report").status_code == 404


def test_anonymous_wave_report_names_no_customer(site: Desk) -> None:
    definition = {**_scale_items(["NPS"], 0, 10), "anonymous": True}
    wave_id = _wave(site, {"definition": definition}, lambda r: {"NPS": r.randint(0, 10)}, 6)
    r = page_client(site, "analyst", "en").get(f"/waves/{wave_id}/report")
    assert r.status_code == 200 and "report-table" in r.text
    assert _facts(r.text)["Anonymous"] == "Yes"
    assert "customer_id" not in r.text and re.search(r"/customers/\d", r.text) is None
    pdf = page_client(site, "analyst", "en").get(f"/waves/{wave_id}/report.pdf")
    assert pdf.status_code == 200 and "customer" not in _pdf_text(pdf.content).lower()


def test_wave_and_analysis_pages_link_to_the_report(site: Desk) -> None:
    wave_id = _wave(site, {"template": "csat"}, lambda r: {"CSAT": r.randint(1, 5)}, 5)
    c = page_client(site, "analyst", "en")
    for page in (f"/waves/{wave_id}", f"/waves/{wave_id}/analysis"):
        assert f'href="/waves/{wave_id}/report"' in c.get(page).text


def _pdf_text(data: bytes) -> str:
    """The PDF's content streams as text, undone from reportlab's ASCII85 and Flate
    filters (Latin text is set in Helvetica, so its words and numbers read plainly)."""
    assert data.startswith(b"%PDF-")
    texts = []
    for head, body in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", data, re.S):
        if b"/ASCII85Decode" in head:
            body = base64.a85decode(body.strip(), adobe=True)
        if b"/FlateDecode" in head:
            body = zlib.decompress(body)
        texts.append(body.decode("latin-1"))
    return "\n".join(texts)


def _pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", data))


def test_pdf_is_one_page_with_the_apis_numbers_and_is_audited(site: Desk) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 9)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/nps", headers=site.h("analyst")).json()
    for lang, locale in (("zh-CN", "zh_CN"), ("en", "en")):
        r = page_client(site, "analyst", lang).get(f"/waves/{wave_id}/report.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert f'filename="wave-{wave_id}-report.pdf"' in r.headers["content-disposition"]
        assert _pages(r.content) == 1
        text = _pdf_text(r.content)
        for value in (api["nps"], *api["ci95"]):
            assert f"({Formatter(locale).number(value, 1)}" in text
        assert "z = 1.959964" in text and "n = 9" in text
    assert b"/STSong-Light" in r.content  # the Chinese CID font, no font file embedded
    with site.db.factory() as s:
        audits = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "survey.report", AuditEntry.entity_id == str(wave_id)
            )
        ).all()
    assert [a.after for a in audits] == [{"format": "pdf", "instrument": "nps", "n": 9}] * 2


def test_servqual_pdf_carries_gaps_and_alphas(site: Desk) -> None:
    wave_id = _wave(site, {"template": "servqual"}, _servqual, 7)
    api = site.client.get(f"/api/waves/{wave_id}/analysis/servqual", headers=site.h("analyst"))
    r = page_client(site, "supervisor", "zh-CN").get(f"/waves/{wave_id}/report.pdf")
    assert r.status_code == 200 and _pages(r.content) == 1
    text = _pdf_text(r.content)
    fmt = Formatter("zh_CN")
    for d in api.json()["dimensions"]:
        for key in ("gap", "alpha_expectation", "alpha_perception"):
            assert f"({fmt.number(d[key], 2)})" in text, key


def test_pdf_below_five_answers_says_so(site: Desk) -> None:
    wave_id = _wave(site, {"template": "ces"}, lambda r: {"CES": r.randint(1, 7)}, 3)
    r = page_client(site, "analyst", "en").get(f"/waves/{wave_id}/report.pdf")
    assert r.status_code == 200 and _pages(r.content) == 1
    text = _pdf_text(r.content)
    assert "Not enough answers: 3" in text and "(CES)" not in text


def test_zone_and_kano_reports_in_html_and_pdf(site: Desk) -> None:
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
    c = page_client(site, "analyst", "en")
    zone = site.client.get(f"/api/waves/{zone_wave}/analysis/zone", headers=site.h("analyst"))
    rows = _table(c.get(f"/waves/{zone_wave}/report").text)
    assert [v for _t, v in rows[0][1:]] == pytest.approx(
        [
            zone.json()["dimensions"][0][k]
            for k in ("adequate", "desired", "perception", "msa", "mss")
        ],
        abs=1e-9,
    )
    kano = site.client.get(f"/api/waves/{kano_wave}/analysis/kano", headers=site.h("analyst"))
    [feature] = kano.json()["features"]
    [row] = _table(c.get(f"/waves/{kano_wave}/report").text)
    assert row[0][0] == "wifi" and [row[3][1], row[4][1]] == pytest.approx(
        [feature["better"], feature["worse"]], abs=1e-9
    )
    for wave_id in (zone_wave, kano_wave):
        pdf = c.get(f"/waves/{wave_id}/report.pdf")
        assert pdf.status_code == 200 and _pages(pdf.content) == 1
    assert "(wifi)" in _pdf_text(pdf.content)
