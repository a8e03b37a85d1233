"""The whole merge-candidate list over the API (issue 21, item 3): paged from the stored
list the background refresh writes, refreshed on a supervisor's request (202), while one
customer's candidates stay live."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.api.support import Desk
from touchpoint.api.app import create_app
from touchpoint.services.desk_clock import SweepOutcome
from touchpoint.settings import Settings
from touchpoint.storage.merge_models import StoredMergeCandidate
from touchpoint.storage.sweep_lock import sweep_lock_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in tests/api/support.py
    from fastapi.testclient import TestClient


def _candidates(desk: Desk, **params: Any) -> list[dict[str, Any]]:
    r = desk.client.get("/api/merge/candidates", params=params, headers=desk.h("agent"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _pair(a: dict[str, Any], b: dict[str, Any]) -> tuple[int, int]:
    return (min(a["id"], b["id"]), max(a["id"], b["id"]))


def test_the_list_is_stored_refreshed_and_paged(desk: Desk) -> None:
    phone = {"kind": "phone", "value": "13612345678"}
    a = desk.customer(name="慕容复", identities=[phone])
    b = desk.customer(name="慕容復", identities=[{"kind": "phone", "value": "136 1234 5678"}])
    c = desk.customer(name="Murong Fu", identities=[{"kind": "phone", "value": "+86 13612345678"}])
    # One customer's candidates are found now; the whole list waits for a refresh.
    live = {(m["a_id"], m["b_id"]) for m in _candidates(desk, customer_id=a["id"])}
    assert {_pair(a, b), _pair(a, c)} <= live
    assert _pair(a, b) not in {(m["a_id"], m["b_id"]) for m in _candidates(desk, limit=500)}
    for who in ("agent", "analyst"):
        r = desk.client.post("/api/merge/candidates/refresh", headers=desk.h(who))
        assert r.status_code == 403, r.text
    r = desk.client.post("/api/merge/candidates/refresh", headers=desk.h("supervisor"))
    assert r.status_code == 202 and r.json() == {"status": "accepted"}
    # The test client runs the refresh before it returns.
    whole = _candidates(desk, limit=500)
    got = {(m["a_id"], m["b_id"]): m for m in whole}
    assert {_pair(a, b), _pair(a, c), _pair(b, c)} <= set(got)
    assert got[_pair(a, b)]["score"] > 99
    assert "same phone 13612345678" in got[_pair(a, b)]["reasons"]
    assert [m["score"] for m in whole] == sorted((m["score"] for m in whole), reverse=True)
    # Pages of the same order.
    assert _candidates(desk, limit=1, offset=1) == whole[1:2]
    assert _candidates(desk, offset=len(whole)) == []
    r = desk.client.get("/api/merge/candidates", params={"offset": -1}, headers=desk.h("agent"))
    assert r.status_code == 422
    # A merge takes the merged customer's pairs out of the list at once.
    desk.post("supervisor", "/api/merges", {"survivor_id": a["id"], "merged_id": b["id"]})
    left = {(m["a_id"], m["b_id"]) for m in _candidates(desk, limit=500)}
    assert _pair(a, c) in left and not {_pair(a, b), _pair(b, c)} & left


def _timed_app(desk: Desk, tmp: Path, seconds: float) -> FastAPI:
    settings = Settings(
        data_dir=tmp,
        database_url=desk.db.url,
        secret_key="test-secret-key",  # noqa: S106 (test key)
        sweep_seconds=3600,
        merge_refresh_seconds=seconds,
    )
    return create_app(settings, clock=desk.clock, engine=desk.db.engine, dispatch=False, sweep=True)


def test_the_server_refreshes_on_its_timer_one_at_a_time(desk: Desk, tmp_path: Path) -> None:
    phone = [{"kind": "phone", "value": "13512340001"}]
    a = desk.customer(name="Bartholomew Featherstonehaugh", identities=phone)
    b = desk.customer(name="Bartholomew Featherstonhaugh", identities=phone)
    app = _timed_app(desk, tmp_path, 3600)
    refresher = app.state.merge_refresher
    with TestClient(app):  # the lifespan starts the refresher's thread
        stamp = desk.clock.advance(hours=1)
        assert refresher.tick() is SweepOutcome.SWEPT
        with desk.db.factory() as s:
            row = s.get(StoredMergeCandidate, _pair(a, b))
            assert row is not None and row.computed_at == stamp
            # While another worker refreshes (holds the turn) this one skips; the
            # escalation sweep's turn is another one and does not stop a refresh.
            with sweep_lock_for(desk.db.engine, "merge-refresh").turn() as mine:
                assert mine and refresher.tick() is SweepOutcome.SKIPPED
            with sweep_lock_for(desk.db.engine).turn() as mine:
                assert mine and refresher.tick() is SweepOutcome.SWEPT
    # 0 turns the timer off; a refresh can still be asked for.
    off = _timed_app(desk, tmp_path, 0)
    with TestClient(off):
        assert off.state.merge_refresher.tick(timeout=0.2) is None
        assert off.state.merge_refresher.run_once() is SweepOutcome.SWEPT


def test_a_started_server_lists_candidates_without_waiting_an_interval(
    desk: Desk, tmp_path: Path
) -> None:
    phone = [{"kind": "phone", "value": "13512340002"}]
    a = desk.customer(name="Ermengarde Throckmorton", identities=phone)
    b = desk.customer(name="Ermengarde Throckmortin", identities=phone)
    app = _timed_app(desk, tmp_path, 3600)
    with TestClient(app):  # no tick asked for, no refresh requested: the start is enough
        for _ in range(100):
            with desk.db.factory() as s:
                if s.get(StoredMergeCandidate, _pair(a, b)) is not None:
                    break
            threading.Event().wait(0.05)
        else:
            raise AssertionError("the refresher did not run at start")
