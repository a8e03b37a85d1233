"""Engine factory and session scope: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pydantic_core
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from touchpoint.storage.deadline import watch_statements

__all__ = ["json_text", "make_engine", "make_session_factory", "per_dialect", "session_scope"]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def json_text(value: Any) -> str:
    """The text a JSON column stores for ``value``, by pydantic-core's serializer.

    Compact UTF-8 (``json.dumps`` escapes non-ASCII, which would make Chinese text
    unreadable in the database), NaN and infinities as ``json.dumps`` writes them; read
    back with ``json.loads``. Datetimes, decimals and enums are written as pydantic
    writes them; any other object raises ``ValueError`` naming its type."""
    try:
        return pydantic_core.to_json(value).decode()
    except pydantic_core.PydanticSerializationError as err:
        raise ValueError(f"not storable as JSON: {err}") from None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys, a busy timeout and a
    pool that never makes a caller wait. JSON columns are written by :func:`json_text`.
    Statements stop at the deadline of the request running them, if any
    (``storage.deadline``)."""
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", json_text)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
            # Never make a caller wait for a pooled connection: the API runs SQLite calls
            # on its event loop, where waiting for a connection that only another request
            # on the same loop can give back would never end. A SQLite connection is an
            # open file; keep as many as the thread pool has threads (anyio: 40).
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", -1)
            # Hand out the connection given back last: SQLite keeps its page cache per
            # connection and drops it when another connection changed the file, so
            # reusing the same connection keeps its cache warm.
            kwargs.setdefault("pool_use_lifo", True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        watch_statements(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    watch_statements(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, closed on exit (services open and commit their own transactions)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()


_Built = TypeVar("_Built")


def per_dialect(build: Callable[[Session], _Built]) -> Callable[[Session], _Built]:
    """``build(session)`` made once per SQL dialect and reused: for statements and
    expressions that differ by database and cost more to build than to run."""
    built: dict[str, _Built] = {}

    @functools.wraps(build)
    def get(session: Session) -> _Built:
        dialect = session.get_bind().dialect.name
        found = built.get(dialect)
        if found is None:
            found = built[dialect] = build(session)
        return found

    return get
