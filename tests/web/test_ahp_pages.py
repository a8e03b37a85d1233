"""The AHP page and API (issue 24): the five SERVQUAL dimensions' weights and consistency
ratio from an analyst's 10 pairwise judgements, a warning when CR ≥ 0.10, and the wave's
SERVQUAL weighted by exactly those weights, equal to the analysis API's with them.

The consistent judgements below are a_ij = w_i / w_j for w = (0.4, 0.2, 0.2, 0.1, 0.1):
for such a matrix A w = n w, so the AHP weights are w itself, λmax = n = 5 and
CI = CR = 0 (Saaty 1980, *The Analytic Hierarchy Process*, McGraw-Hill, ch. 2: a
consistent matrix's principal eigenvector is the ratio scale it was built from).
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.support import Desk, open_desk, page_client
from tests.api.test_wave_analysis_api import _servqual, _wave
from tests.storage.support import BACKENDS, Database, open_database
from touchpoint.api.schemas.analytics import AhpWeightsPublic, WaveAhpPublic

with warnings.catch_warnings():
    warnings.simplefilter("ignore")

#: w = (0.4, 0.2, 0.2, 0.1, 0.1): each judgement w_first / w_second.
CONSISTENT = {
    "tangibles:reliability": "2", "tangibles:responsiveness": "2",
    "tangibles:assurance": "4", "tangibles:empathy": "4",
    "reliability:responsiveness": "1", "reliability:assurance": "2",
    "reliability:empathy": "2", "responsiveness:assurance": "2",
    "responsiveness:empathy": "2", "assurance:empathy": "1",
}  # fmt: skip
WEIGHTS = {"tangibles": 0.4, "reliability": 0.2, "responsiveness": 0.2,
           "assurance": 0.1, "empathy": 0.1}  # fmt: skip
#: A cycle: tangibles 9× reliability, reliability 9× responsiveness, yet responsiveness 9×
#: tangibles; every other pair equal. Far from consistent.
CYCLE = {key: "1" for key in CONSISTENT} | {
    "tangibles:reliability": "9",
    "reliability:responsiveness": "9",
    "tangibles:responsiveness": "1/9",
}


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("ahp-pages"), site=True)


@pytest.fixture(scope="module")
def wave(site: Desk) -> int:
    return _wave(site, {"template": "servqual"}, _servqual, 6)


def _chart(html: str, key: str) -> dict[str, Any]:
    found = re.search(rf"id=\"chart-{key}\" data-chart='([^']*)'", html)
    assert found is not None, html
    option: dict[str, Any] = json.loads(found.group(1).replace("&#34;", '"'))
    return option


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_consistent_judgements_give_the_weights_they_were_built_from(site: Desk, wave: int) -> None:
    for lang, word in (("en", "Tangibles"), ("zh_CN", "有形性")):
        c = page_client(site, "analyst", lang)
        r = c.get(f"/waves/{wave}/ahp", params=CONSISTENT)
        assert r.status_code == 200, r.text
        assert word in r.text and 'id="table-weights"' in r.text
        assert 'id="cr-warning"' not in r.text and 'id="cr-ok"' in r.text
        assert _chart(r.text, "weights")["series"][0]["data"] == [40.0, 20.0, 20.0, 10.0, 10.0]
    weights_csv = {**CONSISTENT, "chart": "weights", "download": "csv"}
    rows = _csv(c.get(f"/waves/{wave}/ahp", params=weights_csv))
    assert rows[0] == ["维度", "权重"] and [r[0] for r in rows[1:6]] == [
        "有形性", "可靠性", "响应性", "保证性", "移情性"
    ]  # fmt: skip
    assert [float(r[1]) for r in rows[1:6]] == pytest.approx(list(WEIGHTS.values()), abs=1e-12)
    assert rows[6][0] == "λmax" and float(rows[6][1]) == pytest.approx(5.0, abs=1e-9)
    assert rows[8][0] == "CR" and float(rows[8][1]) == pytest.approx(0.0, abs=1e-9)
    xlsx = c.get(f"/waves/{wave}/ahp", params={**weights_csv, "download": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1][0] == "有形性"
    # The JSON API: the same numbers, the pairs as numbers, the matrix reciprocal.
    api = site.client.get(
        "/api/servqual-ahp",
        params={"judgements": json.dumps(CONSISTENT)},
        headers=site.h("supervisor"),
    )
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["weights"] == pytest.approx(WEIGHTS, abs=1e-12)
    assert body["cr"] == pytest.approx(0.0, abs=1e-9) and body["consistent"] is True
    assert body["judgements"]["tangibles:assurance"] == 4.0
    assert body["matrix"][3][0] == 0.25 and body["criteria"][0] == "tangibles"
    # The OpenAPI documents this answer: every key it sends, and no other.
    assert AhpWeightsPublic.model_validate(body).model_dump().keys() == body.keys()
    spec = site.client.get("/openapi.json").json()["paths"]
    for path, name in (("/api/servqual-ahp", "AhpWeightsPublic"),
                       ("/api/waves/{wave_id}/servqual-ahp", "WaveAhpPublic")):  # fmt: skip
        ok = spec[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{name}"}


def test_inconsistent_judgements_are_flagged(site: Desk, wave: int) -> None:
    r = page_client(site, "analyst", "zh_CN").get(f"/waves/{wave}/ahp", params=CYCLE)
    assert r.status_code == 200, r.text
    assert 'id="cr-warning"' in r.text and "一致性比率" in r.text
    api = site.client.get(
        "/api/servqual-ahp", params={"judgements": json.dumps(CYCLE)}, headers=site.h("analyst")
    ).json()
    assert api["cr"] > 0.10 and api["consistent"] is False
    shown = re.search(r'id="ahp-cr">([^<]*)<', r.text)
    assert shown is not None and float(shown.group(1)) == pytest.approx(api["cr"], abs=5e-4)
    # The bars turn amber with the warning.
    assert _chart(r.text, "weights")["color"] == ["#b7791f"]


def test_weighted_servqual_is_the_apis_with_those_weights(site: Desk, wave: int) -> None:
    # The API takes a pair in either order: "reliability:tangibles" 1/2 is the page's
    # "tangibles:reliability" 2, so the matrix and the weights are the same.
    judgements = {k: v for k, v in CONSISTENT.items() if k != "tangibles:reliability"}
    judgements["reliability:tangibles"] = "1/2"
    c = page_client(site, "analyst", "en")
    page = c.get(f"/waves/{wave}/ahp", params={**CONSISTENT, "servqual": "1"})
    assert page.status_code == 200, page.text
    assert 'id="weighted-servqual"' in page.text and 'id="table-servqual"' in page.text
    ahp = site.client.get(
        "/api/servqual-ahp",
        params={"judgements": json.dumps(judgements)},
        headers=site.h("analyst"),
    ).json()
    direct = site.client.get(
        f"/api/waves/{wave}/analysis/servqual",
        params={"weights": json.dumps(ahp["weights"])},
        headers=site.h("analyst"),
    ).json()
    # Hand check: Σ w_d (P − E)_d with the weights the judgements were built from.
    dims = {d["dimension"]: d["gap"] for d in direct["dimensions"]}
    assert direct["weighted"] == pytest.approx(sum(WEIGHTS[k] * dims[k] for k in WEIGHTS))
    table = {**CONSISTENT, "servqual": "1", "chart": "servqual", "download": "csv"}
    rows = _csv(c.get(f"/waves/{wave}/ahp", params=table))
    assert rows[0] == ["Dimension", "E", "P", "P − E", "Weight", "Weight × (P − E)"]
    assert rows[-1][0] == "Weighted SERVQUAL" and float(rows[-1][-1]) == direct["weighted"]
    assert [float(r[3]) for r in rows[1:6]] == [d["gap"] for d in direct["dimensions"]]
    assert _chart(page.text, "servqual")["series"][0]["data"][0] == round(dims["tangibles"], 3)
    # The wave's JSON API: the AHP part and the analysis with exactly those weights.
    both = site.client.get(
        f"/api/waves/{wave}/servqual-ahp",
        params={"judgements": json.dumps(judgements)},
        headers=site.h("analyst"),
    )
    assert both.status_code == 200, both.text
    assert both.json() == {"ahp": ahp, "servqual": direct}
    assert WaveAhpPublic.model_validate(both.json()).model_dump().keys() == both.json().keys()
    link = re.search(r'id="servqual-api" href="([^"]*)"', page.text)
    assert link is not None
    linked = site.client.get(link.group(1).replace("&amp;", "&"), headers=site.h("analyst"))
    assert linked.json() == direct


def test_a_judgement_off_the_scale_is_refused_naming_the_pair(site: Desk, wave: int) -> None:
    bad = {**CONSISTENT, "reliability:empathy": "12"}
    en = page_client(site, "analyst", "en").get(f"/waves/{wave}/ahp", params=bad)
    assert en.status_code == 400
    assert "Reliability against Empathy: 12 is not on" in en.text and "1/9 to 9" in en.text
    assert 'id="table-weights"' not in en.text
    zh = page_client(site, "analyst", "zh_CN").get(f"/waves/{wave}/ahp", params=bad)
    assert zh.status_code == 400 and "可靠性" in zh.text and "移情性" in zh.text and "12" in zh.text
    for judgements, words in (
        ({**CONSISTENT, "reliability:empathy": 12}, ["reliability:empathy", "12"]),
        ({**CONSISTENT, "assurance:empathy": "1/10"}, ["assurance:empathy", "1/10"]),
        ({**CONSISTENT, "tangibles:speed": 3}, ["tangibles:speed"]),
        ({k: v for k, v in CONSISTENT.items() if k != "tangibles:empathy"}, ["missing"]),
        ({**CONSISTENT, "empathy:assurance": 1}, ["judged twice"]),
    ):
        r = site.client.get(
            "/api/servqual-ahp",
            params={"judgements": json.dumps(judgements)},
            headers=site.h("analyst"),
        )
        assert r.status_code == 400, r.text
        assert all(w in r.json()["detail"] for w in words), r.json()
    not_json = site.client.get(
        f"/api/waves/{wave}/servqual-ahp", params={"judgements": "{"}, headers=site.h("analyst")
    )
    assert not_json.status_code == 400 and "JSON" in not_json.json()["detail"]


def test_roles_and_the_link_from_the_analysis_page(site: Desk, wave: int) -> None:
    agent = page_client(site, "agent", "en")
    assert agent.get(f"/waves/{wave}/ahp").status_code == 403
    for url in ("/api/servqual-ahp", f"/api/waves/{wave}/servqual-ahp"):
        r = site.client.get(
            url, params={"judgements": json.dumps(CONSISTENT)}, headers=site.h("agent")
        )
        assert r.status_code == 403
    supervisor = page_client(site, "supervisor", "en")
    analysis = supervisor.get(f"/waves/{wave}/analysis")
    assert f'href="/waves/{wave}/ahp"' in analysis.text
    form = supervisor.get(f"/waves/{wave}/ahp")
    assert form.status_code == 200 and 'id="ahp-judgements"' in form.text
    assert form.text.count("<select") == 10 and 'id="table-weights"' not in form.text
    assert page_client(site, "admin", "en").get("/waves/999999/ahp").status_code == 404


def test_too_few_answers_show_no_weighted_figures(site: Desk) -> None:
    small = _wave(site, {"template": "servqual"}, _servqual, 3)
    r = page_client(site, "analyst", "en").get(
        f"/waves/{small}/ahp", params={**CONSISTENT, "servqual": "1"}
    )
    assert r.status_code == 200 and 'id="not-enough"' in r.text
    assert 'id="table-servqual"' not in r.text and 'id="table-weights"' in r.text
