"""The server runs its own escalation sweep: a breached order is tiered up on the app's
clock with nobody calling ``POST /api/sla/escalations/run``, and two apps on one
database never sweep at the same time."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.support import Desk
from tests.storage.support import Clock, Database
from touchpoint.api.app import create_app
from touchpoint.services import sla_admin
from touchpoint.services.desk_clock import EscalationSweeper, SweepOutcome
from touchpoint.settings import Settings
from touchpoint.storage.models import Escalation

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as in tests/api/support.py
    from fastapi.testclient import TestClient

OFFICE = {
    "timezone": "Asia/Shanghai",
    "hours": {day: [["08:30", "12:00"], ["13:30", "17:30"]] for day in ("mon", "tue", "wed")},
}
FIRST_RESPONSE_HOUR = {
    "first_response_minutes": 60,
    "next_update_minutes": None,
    "next_update_from": "customer_message",
    "resolution_minutes": 600,
}
#: Long enough that no tick comes by itself during a test: ticks are asked for.
IDLE = 3600.0


def _sweeping_app(
    db: Database, tmp: Path, clock: Clock, *, seconds: float = IDLE, own_engine: bool = False
) -> FastAPI:
    """An app that sweeps on ``db`` (on its own engine, as a worker process has, if
    ``own_engine``)."""
    settings = Settings(
        data_dir=tmp,
        database_url=db.url,
        secret_key="test-secret-key",  # noqa: S106 (test key)
        sweep_seconds=seconds,
    )
    engine = None if own_engine else db.engine
    return create_app(settings, clock=clock, engine=engine, dispatch=False, sweep=True)


def _sweeper(app: FastAPI) -> EscalationSweeper:
    sweeper = app.state.sweeper
    assert isinstance(sweeper, EscalationSweeper)
    return sweeper


@contextmanager
def _serving(app: FastAPI) -> Iterator[EscalationSweeper]:
    with TestClient(app):  # runs the lifespan: the sweeper's thread starts and stops
        yield _sweeper(app)


def _order_under_policy(desk: Desk) -> int:
    cal = desk.post(
        "supervisor",
        "/api/sla/calendars",
        {"name": desk.db.unique("office "), "definition": OFFICE},
    )
    desk.post(
        "supervisor",
        "/api/sla/policies",
        {
            "name": desk.db.unique("repair "),
            "definition": FIRST_RESPONSE_HOUR,
            "calendar_id": cal["id"],
            "types": ["repair"],
            "rank": 1,
        },
    )
    order = desk.order(desk.customer()["id"])
    assert order["policy_id"] is not None and order["tier"] == "L1"
    return int(order["id"])


def _escalations(session: Session, order_id: int) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(Escalation).where(Escalation.work_order_id == order_id).order_by(Escalation.id)
    )
    return [(r.target, r.level) for r in rows]


def test_a_breached_order_is_tiered_up_by_the_servers_own_sweep(desk: Desk, tmp_path: Path) -> None:
    order_id = _order_under_policy(desk)
    with _serving(_sweeping_app(desk.db, tmp_path, desk.clock)) as sweeper:
        desk.clock.advance(minutes=30)  # half the first-response hour: nothing due
        assert sweeper.tick() is SweepOutcome.SWEPT
        with desk.db.factory() as s:
            assert _escalations(s, order_id) == []
        desk.clock.advance(minutes=31)  # past the hour: breached
        assert sweeper.tick() is SweepOutcome.SWEPT
    got = desk.client.get(f"/api/work-orders/{order_id}", headers=desk.h("supervisor"))
    assert got.status_code == 200, got.text
    assert got.json()["tier"] == "L2"
    with desk.db.factory() as s:
        steps = _escalations(s, order_id)
    assert ("first_response", "breach") in steps
    assert steps.count(("first_response", "breach")) == 1


def test_the_sweep_ticks_by_itself_every_interval(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticked = threading.Event()
    calls: list[Any] = []
    real = sla_admin.escalate_due

    def counted(*args: Any, **kwargs: Any) -> sla_admin.EscalationSummary:
        calls.append(kwargs["now"])
        if len(calls) >= 2:
            ticked.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(sla_admin, "escalate_due", counted)
    with _serving(_sweeping_app(desk.db, tmp_path, desk.clock, seconds=0.02)):
        assert ticked.wait(10), "no two sweeps within 10 s at a 20 ms interval"
    assert calls[0] == desk.clock.now  # the app's clock, not the wall's


def test_no_sweeper_unless_asked_or_with_zero_seconds(desk: Desk, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=desk.db.url, secret_key="k" * 16)
    assert settings.sweep_seconds == 60
    assert create_app(settings, engine=desk.db.engine, dispatch=False).state.sweeper is None
    off = settings.model_copy(update={"sweep_seconds": 0})
    app = create_app(off, engine=desk.db.engine, dispatch=False, sweep=True)
    assert app.state.sweeper is None


def test_two_apps_on_one_database_never_sweep_at_once(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one app's sweep runs, the other's tick is skipped; then it sweeps."""
    inside = threading.Event()
    release = threading.Event()
    sweeping: list[str] = []

    def held(*_args: Any, **_kwargs: Any) -> sla_admin.EscalationSummary:
        sweeping.append(threading.current_thread().name)
        inside.set()
        assert release.wait(10)
        return sla_admin.EscalationSummary(0, 0, 0, 0)

    monkeypatch.setattr(sla_admin, "escalate_due", held)
    # Each app makes its own engine on the database's URL, as two worker processes do.
    first_app = _sweeping_app(desk.db, tmp_path, desk.clock, own_engine=True)
    second_app = _sweeping_app(desk.db, tmp_path, desk.clock, own_engine=True)
    with _serving(first_app) as first, _serving(second_app) as second:
        first.wake()
        assert inside.wait(10)
        assert second.tick() is SweepOutcome.SKIPPED
        assert len(sweeping) == 1
        release.set()
        assert first.tick() is SweepOutcome.SWEPT  # the held sweep ended, then one more
        assert second.tick() is SweepOutcome.SWEPT
    assert len(sweeping) == 3
