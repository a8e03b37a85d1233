"""Shared test support: a fresh database per test module on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from touchpoint.domain.roles import Role
from touchpoint.services.auth import UserDraft, create_user
from touchpoint.services.base import Actor
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import Customer, Team, User, WorkOrder

PG_ENV = "TOUCHPOINT_TEST_PG_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai


@dataclass
class Clock:
    """A settable clock for the app and services."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now = self.now + timedelta(**kw)
        return self.now


@dataclass
class Database:
    """A migrated database for one test module."""

    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]
    counter: list[int] = field(default_factory=lambda: [0])

    def unique(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"


def open_database(backend: str, tmp: Path, revision: str = "head") -> Iterator[Database]:
    """Create, migrate (to ``revision``), yield and drop a fresh database (schema on
    PostgreSQL)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'desk.sqlite3'}"
        upgrade(url, revision)
        engine = make_engine(url)
        try:
            yield Database(backend, url, engine, make_session_factory(engine))
        finally:
            engine.dispose()
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (run under scripts/with-services.sh)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    try:
        upgrade(url, revision)
        engine = make_engine(url, pool_size=5, max_overflow=5)
        try:
            yield Database(backend, url, engine, make_session_factory(engine))
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_user(
    db: Database,
    session: Session,
    role: Role,
    *,
    password: str = "password-123",  # noqa: S107 (test login)
) -> User:
    """A user with ``role`` and a unique username."""
    return create_user(
        session,
        Actor.system(),
        UserDraft(
            username=db.unique(role.value),
            password=password,
            role=role,
            email=f"{db.unique('m')}@example.com",
        ),
        now=T0,
    )


def actor_of(user: User, teams: frozenset[int] = frozenset()) -> Actor:
    """The service actor of ``user``."""
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), team_ids=teams)


def team_orders(db: Database, n: int, at: datetime) -> tuple[int, int, int, list[int]]:
    """A team, its owner and assignee (agents), and ``n`` resolved orders of theirs
    written as plain rows (the models of the first revisions), created at ``at``: for
    tests of what a migration does to rows already stored."""
    with db.factory() as s:
        owner, assignee = make_user(db, s, Role.AGENT), make_user(db, s, Role.AGENT)
        team = Team(name=db.unique("team "))
        customer = Customer(name="客户", created_at=at, updated_at=at)
        s.add_all([team, customer])
        s.flush()
        orders = [
            WorkOrder(
                customer_id=customer.id,
                type="complaint",
                channel="phone",
                priority="normal",
                status="resolved",
                subject="停电",
                owner_id=owner.id,
                assignee_id=assignee.id,
                team_id=team.id,
                hostile=False,
                reopen_count=1,
                has_return_visit=False,
                sla_breached=False,
                created_at=at,
                updated_at=at,
            )
            for _ in range(n)
        ]
        s.add_all(orders)
        s.commit()
        return team.id, owner.id, assignee.id, [o.id for o in orders]
