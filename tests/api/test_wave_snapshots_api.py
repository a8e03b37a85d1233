"""The waves' Parquet snapshots (issue 24, "Scale"): an analysis of a wave with no new
response reads the snapshot kept under the data directory instead of exporting the wave
again; a new response makes the next analysis write a fresh one (the old file removed);
an error names the export's ``responses.parquet``, not the snapshot's place on disk."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.api.support import Desk, open_desk
from tests.api.test_wave_analysis_api import _wave
from tests.storage.support import Database


@pytest.fixture(scope="module")
def data_dir(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(f"snapshots-{db.engine.dialect.name}")


@pytest.fixture(scope="module")
def site(db: Database, data_dir: Path) -> Iterator[Desk]:
    yield from open_desk(db, data_dir, site=True)


def _snapshots(data_dir: Path, wave_id: int) -> list[Path]:
    return sorted((data_dir / "wave-snapshots").glob(f"wave-{wave_id}-*/responses-*.parquet"))


def _answer_once_more(site: Desk, wave_id: int, score: int) -> None:
    invited = site.post(
        "supervisor",
        f"/api/waves/{wave_id}/invitations",
        {"customer_ids": [site.customer()["id"]], "channel": "link", "ignore_throttle": True},
    )["invitations"]
    token = invited[0]["url"].rsplit("/s/", 1)[1]
    r = site.client.post(f"/s/{token}", json={"answers": {"NPS": score}})
    assert r.status_code == 201, r.text


def test_a_snapshot_is_kept_until_the_wave_gets_a_new_response(site: Desk, data_dir: Path) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 6)
    url = f"/api/waves/{wave_id}/analysis/nps"
    first = site.client.get(url, headers=site.h("analyst"))
    assert first.status_code == 200 and first.json()["n"] == 6
    [kept] = _snapshots(data_dir, wave_id)
    stamp = kept.stat().st_mtime_ns, kept.stat().st_ino
    again = site.client.get(url, params={"by": "channel"}, headers=site.h("analyst"))
    assert again.status_code == 200 and again.json()["n"] == 6
    assert _snapshots(data_dir, wave_id) == [kept]
    assert (kept.stat().st_mtime_ns, kept.stat().st_ino) == stamp

    _answer_once_more(site, wave_id, random.Random(1).randint(0, 10))
    fresh = site.client.get(url, headers=site.h("analyst"))
    assert fresh.status_code == 200 and fresh.json()["n"] == 7
    [renewed] = _snapshots(data_dir, wave_id)
    assert renewed != kept and not kept.exists()


def test_errors_name_the_export_not_the_data_directory(site: Desk, data_dir: Path) -> None:
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 5)
    r = site.client.get(
        f"/api/waves/{wave_id}/analysis/nps", params={"column": "NOPE"}, headers=site.h("analyst")
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("responses.parquet: ") and "NOPE" in detail
    assert str(data_dir) not in detail


def _table(data: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(data))


def test_a_wave_that_gained_answers_extends_its_snapshot_to_equal_the_export(
    site: Desk, data_dir: Path
) -> None:
    """The renewed snapshot is the last one's rows plus the new responses: row for row
    the wave's ``responses.parquet`` export."""
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 5)
    url = f"/api/waves/{wave_id}/analysis/nps"
    assert site.client.get(url, headers=site.h("analyst")).json()["n"] == 5
    for score in (0, 10, 9):
        _answer_once_more(site, wave_id, score)
    after = site.client.get(url, headers=site.h("analyst")).json()
    assert after["n"] == 8
    [kept] = _snapshots(data_dir, wave_id)
    export = site.client.get(f"/api/waves/{wave_id}/responses.parquet", headers=site.h("analyst"))
    assert export.status_code == 200
    assert pq.read_table(kept).equals(_table(export.content))


def test_a_snapshot_not_matching_the_database_is_written_afresh(site: Desk, data_dir: Path) -> None:
    """When the responses up to a snapshot's last id are not the ones it holds (on
    PostgreSQL a response can commit after a later-numbered one), the next snapshot is
    the whole export again, never the old rows plus an overlap."""
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 6)
    url = f"/api/waves/{wave_id}/analysis/nps"
    assert site.client.get(url, headers=site.h("analyst")).json()["n"] == 6
    [kept] = _snapshots(data_dir, wave_id)
    _, count, last = kept.name.removesuffix(".parquet").split("-")
    # The file now claims to stop one response short of what it holds.
    kept.rename(kept.with_name(f"responses-{count}-{int(last) - 1}.parquet"))
    _answer_once_more(site, wave_id, 4)
    assert site.client.get(url, headers=site.h("analyst")).json()["n"] == 7


def test_the_desk_clock_extends_a_kept_snapshot_before_the_next_request(
    site: Desk, data_dir: Path
) -> None:
    """After new responses the desk clock's round extends the wave's kept snapshot, so
    the next analysis reads it as it stands without writing; a wave never analysed gets
    no snapshot from the clock."""
    from touchpoint.services.desk_clock import escalate_as_desk

    state = site.client.app.state.desk  # type: ignore[attr-defined]
    wave_id = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 5)
    never = _wave(site, {"template": "nps"}, lambda r: {"NPS": r.randint(0, 10)}, 5)
    url = f"/api/waves/{wave_id}/analysis/nps"
    assert site.client.get(url, headers=site.h("analyst")).json()["n"] == 5
    _answer_once_more(site, wave_id, 3)
    sweep = escalate_as_desk(None, None, state.snapshots)
    with site.db.factory() as s:
        sweep(s, site.clock.now)
    [fresh] = _snapshots(data_dir, wave_id)
    assert fresh.name.startswith("responses-6-")
    stamp = fresh.stat().st_mtime_ns, fresh.stat().st_ino
    assert site.client.get(url, headers=site.h("analyst")).json()["n"] == 6
    assert _snapshots(data_dir, wave_id) == [fresh]
    assert (fresh.stat().st_mtime_ns, fresh.stat().st_ino) == stamp
    assert _snapshots(data_dir, never) == []
