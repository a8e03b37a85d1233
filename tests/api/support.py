"""A desk app on the module's database with users of every role and their tokens."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.storage.support import Clock, Database, make_user
from touchpoint.api.app import create_app
from touchpoint.domain.roles import Role
from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor
from touchpoint.settings import Settings
from touchpoint.web import create_site

with warnings.catch_warnings():
    # starlette 1.10 prefers the httpx2 package for its test client; httpx (locked) still works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "password-123"  # noqa: S105 (test login)


@dataclass
class Desk:
    """Client, clock and the demo cast: admin, supervisor, agent (team A), agent2 (team B),
    analyst."""

    client: TestClient
    clock: Clock
    db: Database
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, who: str, url: str, body: dict[str, Any], status: int = 201) -> Any:
        r = self.client.post(url, json=body, headers=self.h(who))
        assert r.status_code == status, r.text
        return r.json()

    def customer(self, who: str = "agent", **extra: Any) -> dict[str, Any]:
        body = {"name": self.db.unique("Customer "), **extra}
        return self.post(who, "/api/customers", body)  # type: ignore[no-any-return]

    def order(self, customer_id: int, who: str = "agent", **extra: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "type": "repair",
            "channel": "hotline",
            "subject": "No power at home",
            "team_id": self.teams["A"],
            **extra,
        }
        return self.post(who, "/api/work-orders", body)  # type: ignore[no-any-return]


def open_desk(
    db: Database, tmp: Path, *, dispatch: bool = False, site: bool = False, **options: Any
) -> Iterator[Desk]:
    """The desk app (with the pages mounted when ``site``: the respondent's ``/s/``);
    ``options`` are further settings (e.g. ``return_visit_delay_minutes``)."""
    clock = Clock()
    settings = Settings(
        data_dir=tmp,
        database_url=db.url,
        secret_key="test-secret-key",  # noqa: S106 (test key)
        **options,
    )
    build = create_site if site else create_app
    app = build(settings, clock=clock, engine=db.engine, dispatch=dispatch)
    with TestClient(app) as client:
        desk = Desk(client=client, clock=clock, db=db)
        with db.factory() as s:
            for name, role in (
                ("admin", Role.ADMIN),
                ("supervisor", Role.SUPERVISOR),
                ("agent", Role.AGENT),
                ("agent2", Role.AGENT),
                ("analyst", Role.ANALYST),
            ):
                user = make_user(db, s, role, password=PASSWORD)
                desk.ids[name] = user.id
                r = client.post(
                    "/api/auth/token", data={"username": user.username, "password": PASSWORD}
                )
                assert r.status_code == 200, r.text
                desk.tokens[name] = r.json()["access_token"]
            for team, member in (("A", "agent"), ("B", "agent2")):
                t = create_team(
                    s,
                    Actor.system(),
                    TeamDraft(
                        name=db.unique(f"team {team} "),
                        supervisor_id=desk.ids["supervisor"],
                        member_ids=(desk.ids[member],),
                    ),
                    now=clock.now,
                )
                desk.teams[team] = t.id
        yield desk


def page_client(site: Desk, who: str, lang: str) -> TestClient:
    """A browser-like client of ``site``'s pages, logged in as ``who`` through the login
    form and reading ``lang``; redirects are not followed."""
    from tests.web.support import csrf_of
    from touchpoint.storage.models import User

    with site.db.factory() as s:
        username = s.get_one(User, site.ids[who]).username
    c = TestClient(site.client.app, follow_redirects=False)
    c.cookies.set("touchpoint_lang", lang)
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303, r.text
    return c


def json_keys(value: Any) -> Any:
    """The shape of a JSON value: its objects' keys, all the way down (an answer and
    the OpenAPI model documenting it compare by it, key for key)."""
    if isinstance(value, dict):
        return {k: json_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_keys(v) for v in value]
    return None
