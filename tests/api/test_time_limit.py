"""Every request has a time limit (``TOUCHPOINT_REQUEST_SECONDS``): past it the request's
statement is stopped by the database, its write rolled back and the answer is 503 with
``Retry-After``; the server goes on serving. On SQLite the statements run on the event
loop (the work-order routes) or in a worker thread (the other routes and the pages);
on PostgreSQL in a worker thread."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.storage.support import Clock, Database, make_user
from touchpoint.api.deps import SESSION_COOKIE
from touchpoint.api.errors import install_error_handlers
from touchpoint.api.time_limit import TimeLimit
from touchpoint.domain.roles import Role
from touchpoint.services import order_reads
from touchpoint.services.auth import TeamDraft, TokenSigner, create_team
from touchpoint.services.base import Actor, WriteUnit
from touchpoint.services.sla_clock import sla_reports
from touchpoint.settings import Settings
from touchpoint.storage.models import AuditEntry, Customer, WorkOrder
from touchpoint.web import create_site

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2; httpx (locked) still works
    from fastapi.testclient import TestClient

#: The limit of these tests: long enough for an ordinary request on a busy test machine,
#: far shorter than the slow statements below.
LIMIT = 1.0
SECRET = "time-limit-secret"  # noqa: S105 (test key)
#: A statement that runs for many seconds: ten million rows of a recursive CTE on
#: SQLite (the progress handler stops it), a sleep on PostgreSQL.
SLOW_SQL = {
    "sqlite": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
        "SELECT count(*) FROM c"
    ),
    "postgresql": "SELECT pg_sleep(20)",
}


@dataclass
class LimitedDesk:
    client: TestClient
    db: Database
    headers: dict[str, str]
    team_id: int
    customer_id: int

    def slow(self, session: Session) -> None:
        """Run the backend's slow statement on ``session``."""
        session.connection().exec_driver_sql(SLOW_SQL[self.db.backend])

    def count(self, model: type[Any]) -> int:
        with self.db.factory() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    def open_order(self) -> Any:
        body = {
            "customer_id": self.customer_id,
            "type": "repair",
            "channel": "hotline",
            "subject": "No power",
            "team_id": self.team_id,
        }
        return self.client.post("/api/work-orders", json=body, headers=self.headers)


@pytest.fixture(scope="module")
def desk(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LimitedDesk]:
    tmp = tmp_path_factory.mktemp("limited")
    clock = Clock()
    settings = Settings(data_dir=tmp, database_url=db.url, secret_key=SECRET, request_seconds=LIMIT)
    app = create_site(settings, clock=clock, engine=db.engine, dispatch=False)
    signer = TokenSigner(SECRET)
    with TestClient(app) as client, db.factory() as s:
        user = make_user(db, s, Role.SUPERVISOR)
        team = create_team(
            s,
            Actor.system(),
            TeamDraft(name=db.unique("limited "), supervisor_id=user.id, member_ids=(user.id,)),
            now=clock.now,
        )
        client.cookies.set(SESSION_COOKIE, signer.issue(user, cookie=True))
        headers = {"Authorization": f"Bearer {signer.issue(user)}"}
        r = client.post("/api/customers", json={"name": db.unique("Slow ")}, headers=headers)
        assert r.status_code == 201, r.text
        yield LimitedDesk(client, db, headers, team.id, r.json()["id"])


def _assert_stopped(r: Any, started: float) -> None:
    took = time.monotonic() - started
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "5"  # api.errors.RETRY_LATE_SECONDS
    assert took < LIMIT + 3  # stopped at the limit, not after the statement's many seconds


def test_a_write_past_the_limit_is_rolled_back_and_answered_503(
    desk: LimitedDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order's rows are written, then its write unit runs a statement past the
    limit before its audit row: nothing of it stays."""
    finish = WriteUnit.finish

    def slow_finish(unit: WriteUnit) -> bool:
        desk.slow(unit.session)
        return finish(unit)

    orders, audits = desk.count(WorkOrder), desk.count(AuditEntry)
    monkeypatch.setattr(WriteUnit, "finish", slow_finish)
    started = time.monotonic()
    r = desk.open_order()  # run on the event loop on SQLite
    _assert_stopped(r, started)
    assert r.json()["detail"].startswith("the request took longer than the server's time limit")
    r = desk.client.post("/api/customers", json={"name": "Never"}, headers=desk.headers)
    _assert_stopped(r, started)  # a plain route, run in a worker thread
    assert (desk.count(WorkOrder), desk.count(AuditEntry)) == (orders, audits)
    monkeypatch.undo()
    r = desk.open_order()  # the server goes on serving, and writing
    assert r.status_code == 201, r.text
    assert (desk.count(WorkOrder), desk.count(AuditEntry)) == (orders + 1, audits + 1)


def test_a_write_out_of_time_between_statements_is_not_committed(
    desk: LimitedDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python work past the limit between short statements (which no database stops):
    the write unit refuses to commit, and rolls back."""
    finish = WriteUnit.finish

    def late_finish(unit: WriteUnit) -> bool:
        time.sleep(LIMIT + 0.1)
        return finish(unit)

    orders, audits = desk.count(WorkOrder), desk.count(AuditEntry)
    monkeypatch.setattr(WriteUnit, "finish", late_finish)
    started = time.monotonic()
    _assert_stopped(desk.open_order(), started)
    assert (desk.count(WorkOrder), desk.count(AuditEntry)) == (orders, audits)


def _slow_reports(desk: LimitedDesk) -> Callable[..., Any]:
    """``order_reads.sla_reports`` (which the order lists and queues call) running the
    slow statement first."""

    def slow_reports(session: Session, *args: Any, **kwargs: Any) -> Any:
        desk.slow(session)
        return sla_reports(session, *args, **kwargs)

    return slow_reports


def test_a_read_past_the_limit_is_answered_503_and_the_next_one_served(
    desk: LimitedDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_reads, "sla_reports", _slow_reports(desk))
    started = time.monotonic()
    r = desk.client.get("/api/queue", headers=desk.headers)
    _assert_stopped(r, started)
    assert r.headers["content-type"] == "application/json"
    monkeypatch.undo()
    r = desk.client.get("/api/queue", headers=desk.headers)
    assert r.status_code == 200, r.text
    assert desk.count(Customer) >= 1


def test_a_page_past_the_limit_shows_the_error_page(
    desk: LimitedDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_reads, "sla_reports", _slow_reports(desk))
    started = time.monotonic()
    r = desk.client.get("/queue", headers={"Accept-Language": "en"})
    _assert_stopped(r, started)
    assert r.headers["content-type"].startswith("text/html")
    assert "Took too long" in r.text
    monkeypatch.undo()
    r = desk.client.get("/queue")
    assert r.status_code == 200, r.text


def test_what_no_statement_holds_is_cancelled_on_the_loop() -> None:
    """Awaiting something else than the database (a slow client body, a queue for a
    worker thread) is cancelled a little after the limit and answered the same way."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(TimeLimit, seconds=0.05)

    @app.get("/sleepy")
    async def sleepy() -> dict[str, str]:
        await anyio.sleep(30)
        return {}

    @app.get("/quick")
    async def quick() -> dict[str, str]:
        return {"status": "ok"}

    with TestClient(app) as client:
        started = time.monotonic()
        r = client.get("/sleepy")
        # Retry-After: api.errors.RETRY_LATE_SECONDS
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert time.monotonic() - started < 2
        assert client.get("/quick").json() == {"status": "ok"}


def test_the_limit_is_a_setting_of_thirty_seconds(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).request_seconds == 30
    with pytest.raises(ValueError, match="request_seconds"):
        Settings(data_dir=tmp_path, request_seconds=0)
