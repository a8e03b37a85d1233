"""Analyses of stored waves (issue 24): ``GET /api/waves/{id}/analysis/{instrument}``
answers what ``touchpoint analyze INSTRUMENT`` prints for the wave's
``responses.parquet`` export (numbers within 1e-9), for every instrument, on SQLite and
PostgreSQL; bad options and unusable columns are 422 naming them; agents may not."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.support import Desk, json_keys, open_desk
from tests.storage.support import Database
from touchpoint.api.schemas.wave_analysis import WAVE_ANALYSES

_TEXT = {"zh-CN": "题", "en": "Item"}


@pytest.fixture(scope="module")
def site(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from open_desk(db, tmp_path_factory.mktemp("analysis"), site=True)


def _scale_items(ids: list[str], low: int, high: int) -> dict[str, Any]:
    return {
        "title": {"zh-CN": "问卷", "en": "Survey"},
        "questions": [
            {"id": q, "type": "scale", "min": low, "max": high, "text": _TEXT} for q in ids
        ],
    }


def _wave(
    site: Desk, body: dict[str, Any], answers: Callable[[random.Random], dict[str, Any]], n: int
) -> int:
    """A wave of ``n`` responses drawn by ``answers`` (fixed seed), answered by link."""
    survey = site.post("supervisor", "/api/surveys", {"name": site.db.unique("s "), **body})
    wave = site.post("supervisor", f"/api/surveys/{survey['id']}/waves", {"name": "w"})
    people = [site.customer()["id"] for _ in range(n)]
    invited = site.post(
        "supervisor",
        f"/api/waves/{wave['id']}/invitations",
        {"customer_ids": people, "channel": "link", "ignore_throttle": True},
    )["invitations"]
    rng = random.Random(wave["id"])
    for invitation in invited:
        token = invitation["url"].rsplit("/s/", 1)[1]
        r = site.client.post(f"/s/{token}", json={"answers": answers(rng)})
        assert r.status_code == 201, r.text
    return int(wave["id"])


def _cli(site: Desk, wave_id: int, tmp: Path, args: list[str]) -> Any:
    r = site.client.get(f"/api/waves/{wave_id}/responses.parquet", headers=site.h("analyst"))
    path = tmp / f"wave-{wave_id}.parquet"
    path.write_bytes(r.content)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "touchpoint",
            "analyze",
            args[0],
            str(path),
            *args[1:],
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _analysis(site: Desk, wave_id: int, instrument: str, params: dict[str, str]) -> Any:
    url = f"/api/waves/{wave_id}/analysis/{instrument}"
    r = site.client.get(url, params=params, headers=site.h("analyst"))
    assert r.status_code == 200, r.text
    # What the OpenAPI documents is the answer, key for key.
    model = WAVE_ANALYSES[instrument]
    documented = model.model_validate(r.json()).model_dump(exclude_unset=True)
    assert json_keys(documented) == json_keys(r.json())
    return r.json()


def _same(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9), where
    else:
        assert a == b, where


def _servqual(rng: random.Random) -> dict[str, Any]:
    return {f"{k}{i}": rng.randint(2, 7) for k in "EP" for i in range(1, 23)}


def _zone(rng: random.Random) -> dict[str, Any]:
    return {f"{k}{i}": rng.randint(1, 9) for k in "ADP" for i in range(1, 23)}


CASES: list[tuple[str, dict[str, Any], Callable[[random.Random], dict[str, Any]], list[str]]] = [
    ("servqual", {"template": "servqual"}, _servqual, []),
    ("zone", {"template": "servqual-zone"}, _zone, []),
    (
        "kano",
        {
            "template": "kano",
            "features": [{"key": "wifi", "label": {"zh-CN": "网", "en": "Wi-Fi"}}],
        },
        lambda r: {"wifi_f": r.randint(1, 5), "wifi_d": r.randint(1, 5)},
        [],
    ),
    ("nps", {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, []),
    ("csat", {"template": "csat"}, lambda r: {"CSAT": r.randint(1, 5)}, ["--scale", "1-5"]),
    ("ces", {"template": "ces"}, lambda r: {"CES": r.randint(1, 7)}, []),
    (
        "drivers",
        {"definition": _scale_items(["SAT", "A", "B", "C"], 1, 7)},
        lambda r: {q: r.randint(1, 7) for q in ("SAT", "A", "B", "C")},
        ["--outcome", "SAT", "--items", "A,B,C"],
    ),
    (
        "csi",
        {"definition": _scale_items(["C1", "C2", "C3"], 1, 10)},
        lambda r: {q: r.randint(3, 10) for q in ("C1", "C2", "C3")},
        ["--items", "C1,C2,C3", "--scale", "1-10", "--weights", "2,1,1"],
    ),
    (
        "loyalty",
        {"definition": _scale_items(["ATT", "REP"], 0, 10)},
        lambda r: {"ATT": r.randint(0, 10), "REP": r.randint(0, 10)},
        ["--attitude", "ATT", "--repeat", "REP"],
    ),
]


@pytest.mark.parametrize(
    ("instrument", "body", "answers", "args"), CASES, ids=[c[0] for c in CASES]
)
def test_the_api_answers_what_the_cli_prints_for_the_export(
    site: Desk,
    tmp_path: Path,
    instrument: str,
    body: dict[str, Any],
    answers: Callable[[random.Random], dict[str, Any]],
    args: list[str],
) -> None:
    wave_id = _wave(site, body, answers, 12)
    params = {
        a.removeprefix("--").replace("-", "_"): b
        for a, b in zip(args[::2], args[1::2], strict=True)
    }
    answer = _analysis(site, wave_id, instrument, params)
    _same(answer, _cli(site, wave_id, tmp_path, [instrument, *args]))


def test_groups_bad_options_and_roles(site: Desk, tmp_path: Path) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 6)
    url = f"/api/waves/{wave_id}/analysis"
    grouped = _analysis(site, wave_id, "nps", {"by": "channel"})
    assert grouped["groups"][0]["group"] == "link"
    _same(grouped, _cli(site, wave_id, tmp_path, ["nps", "--by", "channel"]))
    missing = site.client.get(f"{url}/nps", params={"column": "NOPE"}, headers=site.h("analyst"))
    assert missing.status_code == 422 and "NOPE" in missing.json()["detail"]
    no_outcome = site.client.get(f"{url}/drivers", headers=site.h("analyst"))
    assert no_outcome.status_code == 400 and "outcome" in no_outcome.json()["detail"]
    assert site.client.get(f"{url}/nps", headers=site.h("agent")).status_code == 403
    assert site.client.get(f"{url}/nope", headers=site.h("analyst")).status_code == 422
