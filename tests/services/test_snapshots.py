"""Audit snapshots are JSON values: ``to_jsonable`` leaves a snapshot as it is and
converts what surrounds it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from touchpoint.services.auth import TeamDraft, create_team
from touchpoint.services.base import Actor, snapshot, to_jsonable
from touchpoint.storage.models import Team

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_a_snapshot_is_json_and_passes_through() -> None:
    snap = snapshot(Team(id=7, name="Hotline", tier="L2", supervisor_id=None, version=1))
    assert snap == {"id": 7, "name": "Hotline", "tier": "L2", "supervisor_id": None, "version": 1}
    assert to_jsonable(snap) == snap
    wrapped = to_jsonable({"at": AT, "team": snap, "items": [AT]})
    assert wrapped == {"at": AT.isoformat(), "team": snap, "items": [AT.isoformat()]}
    json.dumps(wrapped)  # nothing left that JSON cannot hold


def test_a_snapshot_loads_what_is_not_loaded(session: Session) -> None:
    """Read from the row's loaded values, a snapshot still loads an expired column."""
    team = create_team(session, Actor.system(), TeamDraft("Hotline"), now=AT)
    rename = update(Team).where(Team.id == team.id).values(name="Counter")
    session.execute(rename.execution_options(synchronize_session=False))
    assert snapshot(team)["name"] == "Hotline"  # as loaded
    session.expire(team, ["name"])
    assert snapshot(team)["name"] == "Counter"
    session.rollback()
