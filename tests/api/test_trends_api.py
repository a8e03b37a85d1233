"""``GET /api/surveys/{id}/trends`` and ``GET /api/waves/{id}/segments`` (issue 24):
monthly NPS with the adjusted-Wald interval and "not enough answers" below five, segment
comparison by channel; bad options 400 naming the parameter, agents 403. Both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.support import Desk, open_desk
from tests.storage.support import Database


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("trends"))


def _import(site: Desk, wave_id: int, text: str) -> None:
    r = site.client.post(
        f"/api/waves/{wave_id}/responses/import",
        files={"file": ("rows.csv", text.encode(), "text/csv")},
        headers=site.h("supervisor"),
    )
    assert r.status_code == 201, r.text


def _nps_wave(site: Desk) -> tuple[int, int]:
    """An NPS survey and wave: January 2026 15 promoters, 10 passives, 5 detractors by
    phone and kiosk; February three answers by sms."""
    survey = site.post(
        "supervisor", "/api/surveys", {"name": site.db.unique("t "), "template": "nps"}
    )
    wave = site.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    values = [10] * 15 + [8] * 10 + [3] * 5
    rows = [
        f"{v},{'phone' if i % 2 else 'kiosk'},2026-01-{1 + i % 28:02d}T09:00:00Z"
        for i, v in enumerate(values)
    ]
    rows += [f"9,sms,2026-02-0{d}T09:00:00Z" for d in (1, 2, 3)]
    _import(site, wave["id"], "NPS,channel,submitted_at\n" + "\n".join(rows) + "\n")
    return int(survey["id"]), int(wave["id"])


def _get(site: Desk, url: str, who: str = "analyst", **params: Any) -> Any:
    return site.client.get(url, params=params, headers=site.h(who))


def test_monthly_nps_with_intervals(site: Desk) -> None:
    survey_id, _wave_id = _nps_wave(site)
    r = _get(site, f"/api/surveys/{survey_id}/trends", measure="nps")
    assert r.status_code == 200, r.text
    body = r.json()
    # Months on the desk's clock (TOUCHPOINT_TIME_ZONE, Asia/Shanghai by default).
    assert body["measure"] == "nps" and body["time_zone"] == "Asia/Shanghai"
    assert body["min_n"] == 5
    january, february = body["months"]
    assert january["month"] == "2026-01" and january["n"] == 30
    assert january["value"] == pytest.approx(100 / 3, abs=1e-9)
    # Rocks (2016) adjusted Wald for 15/10/5, worked by hand (see tests/services).
    assert january["ci95"] == pytest.approx([4.778, 55.828], abs=1e-3)
    assert february == {"month": "2026-02", "n": 3, "enough": False, "value": None, "ci95": None}
    assert _get(site, f"/api/surveys/{survey_id}/trends", who="supervisor").status_code == 200
    # Another clock on request (answers at 09:00 UTC keep their months in UTC); an
    # unknown zone is refused by name.
    utc = _get(site, f"/api/surveys/{survey_id}/trends", tz="UTC").json()
    assert utc["time_zone"] == "UTC" and utc["months"] == body["months"]
    bad = _get(site, f"/api/surveys/{survey_id}/trends", tz="Mars/Olympus")
    assert bad.status_code in (400, 422) and "Mars/Olympus" in bad.text
    assert _get(site, f"/api/surveys/{survey_id}/trends", who="agent").status_code == 403


def test_segments_by_channel(site: Desk) -> None:
    _survey_id, wave_id = _nps_wave(site)
    r = _get(site, f"/api/waves/{wave_id}/segments", by="channel", measure="share", column="NPS")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["test"] == "two_proportion_z" and body["n"] == 33
    rows = {s["segment"]: s for s in body["segments"]}
    assert set(rows) == {"kiosk", "phone", "sms"}
    assert rows["sms"]["enough"] is False and rows["sms"]["statistic"] is None
    assert rows["kiosk"]["enough"] and rows["kiosk"]["p_value"] is not None
    assert "customer_id" not in r.text


@pytest.mark.parametrize(
    ("url", "params", "said"),
    [
        ("trends", {"measure": "nps", "column": "NOPE"}, "column: 'NOPE'"),
        ("trends", {"measure": "csi"}, "items: name at least one"),
        ("trends", {"measure": "csat", "scale": "1..5"}, "scale: expected MIN-MAX"),
        ("segments", {"by": "customer_id"}, "by: 'customer_id' is not a segment"),
        ("segments", {"by": "channel", "column": "COMMENT"}, "column: 'COMMENT'"),
    ],
)
def test_bad_options_name_the_parameter(
    site: Desk, url: str, params: dict[str, str], said: str
) -> None:
    survey_id, wave_id = _nps_wave(site)
    path = (
        f"/api/surveys/{survey_id}/trends" if url == "trends" else f"/api/waves/{wave_id}/segments"
    )
    r = _get(site, path, **params)
    assert r.status_code == 400, r.text
    assert said in r.json()["detail"]


def test_unknown_measure_is_422_and_cells_off_the_scale_name_the_wave(site: Desk) -> None:
    survey_id, wave_id = _nps_wave(site)
    r = _get(site, f"/api/surveys/{survey_id}/trends", measure="ces")
    assert r.status_code == 422 and "measure" in r.text
    r = _get(site, f"/api/surveys/{survey_id}/trends", measure="csat", column="NPS", scale="1-5")
    assert r.status_code == 422
    assert f"responses.parquet of wave {wave_id}: row 1, column NPS: value 10" in r.json()["detail"]
    assert _get(site, "/api/surveys/999999/trends").status_code == 404
