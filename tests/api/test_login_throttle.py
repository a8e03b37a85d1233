"""Password guessing is throttled: a user locks after too many failed logins, an address
with too many failures waits, every failed and refused attempt is audited (never with
the password), an admin can unlock early, and a flood of wrong passwords leaves the
server answering other requests. On SQLite and PostgreSQL, with a controlled clock."""

from __future__ import annotations

import json
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.api.support import PASSWORD
from tests.storage.support import Clock, Database, make_user
from touchpoint.api.app import create_app
from touchpoint.domain.login_throttle import LoginPolicy
from touchpoint.domain.roles import Role
from touchpoint.services.auth import update_user
from touchpoint.services.base import Actor
from touchpoint.services.login import LoginGate
from touchpoint.settings import Settings
from touchpoint.storage.models import AuditEntry, User
from touchpoint.web import create_site

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2; httpx (locked) still works
    from fastapi.testclient import TestClient

WRONG = "not-the-password-4711"


@dataclass
class Gate:
    """An app on the module's database with its own clock and settings."""

    app: Any
    clock: Clock
    db: Database

    def client(self, address: str) -> TestClient:
        """A client calling from ``address`` (enter it with ``with``)."""
        return TestClient(self.app, client=(address, 50000), follow_redirects=False)

    def user(self, role: Role = Role.AGENT) -> User:
        with self.db.factory() as s:
            return make_user(self.db, s, role, password=PASSWORD)

    def stored(self, user_id: int) -> User:
        with self.db.factory() as s:
            user = s.get(User, user_id)
            assert user is not None
            return user

    def audit(self, action: str, entity_id: object | None = None) -> list[AuditEntry]:
        with self.db.factory() as s:
            query = select(AuditEntry).where(AuditEntry.action == action)
            if entity_id is not None:
                query = query.where(AuditEntry.entity_id == str(entity_id))
            return list(s.scalars(query.order_by(AuditEntry.id)))


def _settings(tmp: Path, db: Database, **login: Any) -> Settings:
    return Settings(data_dir=tmp, database_url=db.url, secret_key="test-secret-key", **login)  # noqa: S106 (test key)


@pytest.fixture
def gate(db: Database, tmp_path: Path) -> Gate:
    clock = Clock()
    app = create_app(_settings(tmp_path, db), clock=clock, engine=db.engine, dispatch=False)
    return Gate(app, clock, db)


def test_the_settings_come_from_the_environment_and_reach_the_app(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = _settings(tmp_path, db)
    assert (defaults.login_max_failures, defaults.login_lock_minutes) == (10, 15)
    assert (defaults.login_max_failures_per_address, defaults.login_verify_threads) == (30, 2)
    for name, value in (
        ("MAX_FAILURES", "3"),
        ("LOCK_MINUTES", "2.5"),
        ("MAX_FAILURES_PER_ADDRESS", "7"),
        ("VERIFY_THREADS", "1"),
    ):
        monkeypatch.setenv(f"TOUCHPOINT_LOGIN_{name}", value)
    app = create_app(_settings(tmp_path, db), engine=db.engine, dispatch=False)
    gate: LoginGate = app.state.desk.login
    assert gate.policy == LoginPolicy(max_failures=3, lock_minutes=2.5, max_failures_per_address=7)
    monkeypatch.setenv("TOUCHPOINT_LOGIN_MAX_FAILURES", "0")
    with pytest.raises(ValidationError, match="login_max_failures"):
        _settings(tmp_path, db)


def token(c: TestClient, username: str, password: str) -> Any:
    return c.post("/api/auth/token", data={"username": username, "password": password})


def cookie_login(c: TestClient, username: str, password: str) -> Any:
    return c.post("/api/auth/login", json={"username": username, "password": password})


def _fail(c: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        r = token(c, username, WRONG)
        assert r.status_code == 401, r.text


def test_ten_failures_lock_the_user_even_for_the_right_password(gate: Gate) -> None:
    user = gate.user()
    with gate.client("10.0.1.1") as c:
        _fail(c, user.username, 10)
        for r in (token(c, user.username, PASSWORD), cookie_login(c, user.username, PASSWORD)):
            assert r.status_code == 429, r.text
            assert r.headers["Retry-After"] == str(15 * 60)
            assert "locked" in r.json()["detail"]
            assert "touchpoint_session" not in r.cookies
        assert token(c, user.username, WRONG).status_code == 429
    stored = gate.stored(user.id)
    assert stored.failed_logins == 10
    assert stored.locked_until == gate.clock.now + timedelta(minutes=15)
    assert stored.version == 1  # a wrong password is no edit of the user
    failed = gate.audit("auth.login_failed", user.id)
    assert [row.after["failed_logins"] for row in failed if row.after] == list(range(1, 11))
    locked = gate.audit("auth.login_locked", user.id)
    assert len(locked) == 3
    assert all(row.actor_id is None and row.entity == "user" for row in failed + locked)
    # 900 s: the 15 minutes of LoginPolicy's lock, counted from the tenth failure.
    assert locked[0].after is not None and locked[0].after["retry_after"] == 900
    assert locked[0].after["address"] == "10.0.1.1"


def test_failed_and_refused_attempts_are_audited_without_the_password(gate: Gate) -> None:
    user = gate.user()
    ghost = gate.db.unique("nobody-")
    with gate.client("10.0.1.2") as c:
        assert token(c, ghost, WRONG).status_code == 401
        _fail(c, user.username, 10)
        assert cookie_login(c, user.username, PASSWORD).status_code == 429
    unknown = [
        r for r in gate.audit("auth.login_failed") if r.after and r.after["username"] == ghost
    ]
    assert len(unknown) == 1 and unknown[0].entity_id == ""
    assert unknown[0].after == {"username": ghost, "address": "10.0.1.2", "unknown_user": True}
    with gate.db.factory() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.like("auth.%"))).all()
    text = json.dumps([[r.before, r.after] for r in rows], default=str)
    assert ghost in text and user.username in text
    assert WRONG not in text and PASSWORD not in text


def test_the_lock_ends_on_the_clock_and_a_success_clears_the_count(gate: Gate) -> None:
    user = gate.user()
    with gate.client("10.0.1.3") as c:
        _fail(c, user.username, 10)
        gate.clock.advance(minutes=14, seconds=59)
        r = token(c, user.username, PASSWORD)
        assert (r.status_code, r.headers["Retry-After"]) == (429, "1")
        gate.clock.advance(seconds=1)
        assert token(c, user.username, PASSWORD).status_code == 200
        assert (gate.stored(user.id).failed_logins, gate.stored(user.id).locked_until) == (0, None)
        cleared = gate.audit("auth.login", user.id)
        assert len(cleared) == 1 and cleared[0].before == {
            "failed_logins": 10,
            "locked_until": gate.clock.now.isoformat(),
        }
        # Nine more failures, then the right password: in, and counting from zero again.
        _fail(c, user.username, 9)
        assert cookie_login(c, user.username, PASSWORD).status_code == 200
        _fail(c, user.username, 9)
        assert token(c, user.username, PASSWORD).status_code == 200
    assert gate.stored(user.id).failed_logins == 0


def test_a_user_with_no_failures_logs_in_without_a_write(gate: Gate) -> None:
    user = gate.user()
    with gate.client("10.0.1.4") as c:
        assert token(c, user.username, PASSWORD).status_code == 200
    assert gate.audit("auth.login", user.id) == []


def test_a_deactivated_user_is_refused_and_counted(gate: Gate) -> None:
    user = gate.user()
    with gate.db.factory() as s:
        update_user(s, Actor.system(), user.id, version=1, now=gate.clock.now, active=False)
    with gate.client("10.0.1.7") as c:
        assert token(c, user.username, PASSWORD).status_code == 401
    (row,) = gate.audit("auth.login_failed", user.id)
    assert row.after is not None and row.after["inactive"] is True
    assert row.after["failed_logins"] == 1


def test_an_admin_unlocks_early_and_is_audited(gate: Gate) -> None:
    user, admin, supervisor = gate.user(), gate.user(Role.ADMIN), gate.user(Role.SUPERVISOR)
    with gate.client("10.0.1.5") as c:
        headers = {
            who.username: {
                "Authorization": f"Bearer {token(c, who.username, PASSWORD).json()['access_token']}"
            }
            for who in (admin, supervisor, user)
        }
        _fail(c, user.username, 10)
        url = f"/api/admin/users/{user.id}/unlock"
        for who in (supervisor, user):
            r = c.post(url, headers=headers[who.username])
            assert r.status_code == 403, r.text
        assert c.post(url).status_code == 401
        assert token(c, user.username, PASSWORD).status_code == 429
        r = c.post(url, headers=headers[admin.username])
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["id"], body["failed_logins"], body["locked_until"]) == (user.id, 0, None)
        assert body["version"] == 1
        assert token(c, user.username, PASSWORD).status_code == 200
        missing = c.post("/api/admin/users/999999/unlock", headers=headers[admin.username])
        assert missing.status_code == 404
    rows = gate.audit("user.unlock", user.id)
    assert len(rows) == 1 and rows[0].actor_id == admin.id
    assert rows[0].before is not None and rows[0].before["failed_logins"] == 10
    assert rows[0].after == {"failed_logins": 0, "locked_until": None}


def test_the_user_list_shows_who_is_locked(gate: Gate) -> None:
    user, admin = gate.user(), gate.user(Role.ADMIN)
    with gate.client("10.0.1.6") as c:
        bearer = token(c, admin.username, PASSWORD).json()["access_token"]
        _fail(c, user.username, 10)
        users = c.get("/api/users", headers={"Authorization": f"Bearer {bearer}"}).json()
    shown = next(u for u in users if u["id"] == user.id)
    assert shown["failed_logins"] == 10 and shown["locked_until"] is not None


def test_an_address_with_too_many_failures_waits_until_the_window_frees(
    db: Database, tmp_path: Path
) -> None:
    clock = Clock()
    settings = _settings(tmp_path, db, login_max_failures_per_address=4)
    gate = Gate(create_app(settings, clock=clock, engine=db.engine, dispatch=False), clock, db)
    users = [gate.user() for _ in range(3)]
    t0 = clock.now
    with gate.client("10.0.2.1") as c, gate.client("10.0.2.2") as other:
        # Five failures over several users and names: more than the limit of four.
        _fail(c, users[0].username, 3)
        clock.advance(minutes=2)
        _fail(c, users[1].username, 1)
        assert token(c, gate.db.unique("nobody-"), WRONG).status_code == 401
        clock.advance(minutes=1)
        for r in (
            token(c, users[2].username, PASSWORD),
            cookie_login(c, users[2].username, PASSWORD),
        ):
            assert r.status_code == 429, r.text
            # Free when the three failures at t0 leave the window: 10 - 3 minutes on.
            assert r.headers["Retry-After"] == str(7 * 60)
            assert "address" in r.json()["detail"]
        # Another address is not held up, and no user was locked.
        assert token(other, users[2].username, PASSWORD).status_code == 200
        clock.now = t0 + timedelta(minutes=10)
        assert token(c, users[2].username, PASSWORD).status_code == 200
        # Two failures (at t0 + 2 min) remain in the window: three more make five, one
        # over the limit of four.
        _fail(c, users[1].username, 3)
        assert token(c, users[2].username, PASSWORD).status_code == 429
    throttled = gate.audit("auth.login_throttled", "10.0.2.1")
    assert len(throttled) == 3 and all(row.entity == "address" for row in throttled)
    assert throttled[0].after == {"username": users[2].username, "address": "10.0.2.1"}


def test_the_login_page_is_throttled_as_the_api(db: Database, tmp_path: Path) -> None:
    from tests.web.support import csrf_of

    clock = Clock()
    site = create_site(_settings(tmp_path, db), clock=clock, engine=db.engine, dispatch=False)
    gate = Gate(site, clock, db)
    user = gate.user()
    with gate.client("10.0.3.1") as c:
        c.cookies.set("touchpoint_lang", "zh_CN")

        def page_login(password: str) -> Any:
            form = c.get("/login")
            data = {"username": user.username, "password": password}
            return c.post("/login", data={**data, "csrf_token": csrf_of(form.text)})

        for _ in range(10):
            assert page_login(WRONG).status_code == 401
        r = page_login(PASSWORD)
        # 900 s: LoginPolicy's 15-minute lock, the clock not moved since the tenth failure.
        assert r.status_code == 429 and r.headers["Retry-After"] == "900"
        assert "15 分钟后重试" in r.text and "touchpoint_session" not in r.cookies
        clock.advance(minutes=15)
        r = page_login(PASSWORD)
        assert r.status_code == 303 and "touchpoint_session" in r.cookies
    assert len(gate.audit("auth.login_failed", user.id)) == 10
    assert len(gate.audit("auth.login_locked", user.id)) == 1


def test_other_requests_are_served_during_a_flood_of_wrong_passwords(
    db: Database, tmp_path: Path
) -> None:
    # Limits out of reach, so that every attempt of the flood costs an argon2 check.
    settings = _settings(
        tmp_path, db, login_max_failures=10**6, login_max_failures_per_address=10**6
    )
    clock = Clock()
    gate = Gate(create_app(settings, clock=clock, engine=db.engine, dispatch=False), clock, db)
    user = gate.user()
    answers: list[int] = []
    stop = threading.Event()
    with gate.client("10.0.4.1") as c:
        bearer = {
            "Authorization": f"Bearer {token(c, user.username, PASSWORD).json()['access_token']}"
        }

        def guess() -> None:
            while not stop.is_set():
                answers.append(token(c, user.username, WRONG).status_code)

        for url, headers in (("/healthz", {}), ("/api/auth/me", bearer)):
            assert c.get(url, headers=headers).status_code == 200  # warm, before the flood
        # Twice as many guessers as the server has threads (settings.threads): with the
        # checks in its thread pool they would hold every thread.
        guessers = [threading.Thread(target=guess) for _ in range(2 * settings.threads)]
        for thread in guessers:
            thread.start()
        timings: list[float] = []
        try:
            time.sleep(0.5)  # the flood under way
            for _ in range(8):
                for url, headers in (("/healthz", {}), ("/api/auth/me", bearer)):
                    started = time.perf_counter()
                    r = c.get(url, headers=headers)
                    timings.append(time.perf_counter() - started)
                    assert r.status_code == 200, r.text
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in guessers:
                thread.join()
    assert len(answers) >= 4 and set(answers) == {401}
    # Measured on 2 cores: a few ms each (the first up to ~0.1 s); with the checks in the
    # server's thread pool instead, 0.6 to 1.8 s each. One of the 16 may meet a pause of
    # the machine (the suite runs on two workers), so the slowest is left out.
    timings.sort()
    assert timings[len(timings) // 2] < 0.2 and timings[-2] < 0.6, timings
