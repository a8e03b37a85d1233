"""A seeded demo desk with the pages mounted, and helpers to log in and post forms."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.storage.support import Clock
from touchpoint.services.seed import seed_demo
from touchpoint.settings import Settings
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade
from touchpoint.web import create_site

with warnings.catch_warnings():
    # starlette 1.10 prefers the httpx2 package for its test client; httpx (locked) still works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LOGINS = {
    "admin": "admin-demo-1",
    "supervisor": "supervisor-demo-1",
    "agent": "agent-demo-1",
    "agent2": "agent2-demo-1",
    "hotel": "hotel-demo-1",
    "analyst": "analyst-demo-1",
}
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def migrated_seeded(path: Path, clock: Clock) -> str:
    """A SQLite file migrated and seeded with the demo; returns its URL."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            seed_demo(session, clock.now)
            session.commit()
    finally:
        engine.dispose()
    return url


@dataclass
class Site:
    """The app on a seeded database and its fixed clock."""

    app: Any
    clock: Clock
    url: str

    def client(self, who: str | None = None, lang: str = "zh_CN") -> TestClient:
        """A fresh browser-like client, logged in as ``who`` when given."""
        c = TestClient(self.app, follow_redirects=False)
        c.cookies.set("touchpoint_lang", lang)
        if who is not None:
            login(c, who)
        return c


def csrf_of(html: str) -> str:
    """The CSRF token embedded in a page's forms."""
    m = _CSRF.search(html)
    assert m is not None, "page has no CSRF token"
    return m.group(1)


def login(c: TestClient, who: str) -> None:
    """Log ``who`` in through the login form."""
    page = c.get("/login")
    assert page.status_code == 200
    r = c.post(
        "/login",
        data={"username": who, "password": LOGINS[who], "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/queue"


def post_form(c: TestClient, page_url: str, action: str, data: dict[str, Any]) -> Any:
    """Load ``page_url`` for its CSRF token, then post ``data`` to ``action``."""
    page = c.get(page_url)
    assert page.status_code == 200, page.text
    return c.post(action, data={"csrf_token": csrf_of(page.text), **data})


def open_site(tmp: Path) -> Iterator[Site]:
    """Build the site on a fresh seeded database."""
    clock = Clock()
    url = migrated_seeded(tmp / "desk.sqlite", clock)
    settings = Settings(data_dir=tmp, database_url=url, secret_key="web-test-secret")  # noqa: S106
    app = create_site(settings, clock=clock, dispatch=False)
    with TestClient(app):
        yield Site(app=app, clock=clock, url=url)
